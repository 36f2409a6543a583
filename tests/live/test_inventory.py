"""GET /api/portfolios/ID/inventory (API.md "Inventory"): async like the balances, one row per
reporting or held currency ``{currency: {code, title}, balance, balance_at, source}``, the
balance made of purchase and sale movements only; an address's on-chain receives and sends
count until the user re-classifies them. Esplora replayed from tests/fixtures/esplora."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest

from tests.conftest import client_for
from tests.ingest.conftest import statement, upload
from tests.live.conftest import (
    BTC_BALANCE,
    FETCH,
    add_address,
    add_offset,
    failed,
    make_portfolio,
    not_ready,
    ok,
    replay_esplora,
)

pytestmark = pytest.mark.django_db

BTC = {"code": "btc", "title": "Bitcoin"}
USD = {"code": "usd", "title": "United States dollar"}
ROW_KEYS = {
    "currency",
    "balance",
    "balance_at",
    "source",
    "acquired",
    "disposed",
    "unclassified_in",
    "unclassified_out",
    "rows",
    "missing_values",
    "values",
}


def txid(label: str) -> str:
    """The txids of the fixture history (tests/fixtures/esplora)."""
    return hashlib.sha256(f"fixture:{label}".encode()).hexdigest()


def by_code(rows: list[dict]) -> dict[str, dict]:
    return {row["currency"]["code"]: row for row in rows}


@pytest.fixture
def only_an_address(alice_api, mocked):
    """Alice's portfolio (btc, usd) holding nothing but the fixture Bitcoin address."""
    replay_esplora(mocked)
    pid = make_portfolio(alice_api)
    address = add_address(alice_api, pid)
    return {"id": pid, "address": address, "base": f"/api/portfolios/{pid}"}


def fetched(alice_api, portfolio, run_tasks) -> list[dict]:
    """The first request answers 503 and enqueues the fetch; the second the rows."""
    with run_tasks() as ran:
        not_ready(alice_api.get(f"{portfolio['base']}/inventory"))
    assert ran.of(FETCH) == [(portfolio["address"],)]
    return ok(alice_api.get(f"{portfolio['base']}/inventory"))


def ledger_row(alice_api, portfolio, reference: str, kind: str) -> dict:
    rows = ok(alice_api.get(f"{portfolio['base']}/transactions", {"kind": kind, "limit": 1000}))
    [row] = [r for r in rows if r["reference"] == reference]
    return row


def reclassify(alice_api, portfolio, row: dict, kind: str) -> None:
    url = f"{portfolio['base']}/transactions/{row['id']}"
    assert ok(alice_api.patch(url, {"kind": kind}, format="json"))["kind"] == kind


def test_an_address_only_portfolio_is_not_ready_then_holds_the_address_balance(
    alice_api, only_an_address, run_tasks
):
    rows = fetched(alice_api, only_an_address, run_tasks)

    # one row per held or reporting currency, sorted by code, currencies as {code, title}
    assert [r["currency"] for r in rows] == [BTC, USD]
    assert all(set(r) == ROW_KEYS for r in rows)
    btc, usd = rows
    # the receives and sends (and the network fees they paid) add up to what Esplora reports
    # as the confirmed balance (chain_stats funded - spent), and to the address's own balance
    address = f"{only_an_address['base']}/addresses/{only_an_address['address']}"
    [balance] = ok(alice_api.get(f"{address}/balances"))
    assert btc["balance"] == balance["balance"] == str(BTC_BALANCE) == "5.5535165"
    assert btc["source"] == "esplora-btc"
    # acquired and disposed are the confirmed gains and losses of the address's transactions
    # (the receipt still in the mempool does not count yet)
    txns = ok(alice_api.get(f"{address}/transactions", {"limit": 1000}))
    confirmed = [Decimal(t["delta"]) for t in txns if t["reference"] != txid("pending-receive")]
    assert len(confirmed) == len(txns) - 1 == 32
    assert Decimal(btc["acquired"]) == sum(d for d in confirmed if d > 0) == Decimal("7.12367795")
    assert Decimal(btc["disposed"]) == -sum(d for d in confirmed if d < 0)
    assert btc["unclassified_in"] == btc["acquired"]
    # the same age as the balances (the address's fetch)
    totals = by_code(ok(alice_api.get(f"{only_an_address['base']}/balances")))
    assert btc["balance_at"] == totals["btc"]["balance_at"]
    assert btc["balance_at"].endswith("+00:00")
    # a reporting currency nothing moved
    assert (usd["balance"], usd["acquired"], usd["disposed"], usd["rows"]) == (
        "0.0",
        "0.0",
        "0.0",
        0,
    )


def test_a_receive_reclassified_leaves_the_inventory_but_not_the_balances(
    alice_api, only_an_address, run_tasks
):
    # Given the address fetched: the inventory and the balances agree
    portfolio = only_an_address
    assert by_code(fetched(alice_api, portfolio, run_tasks))["btc"]["balance"] == "5.5535165"

    # When the user says the 0.1 BTC received was a gift, and the 0.11234567 BTC one came from
    # another of her wallets
    gift = ledger_row(alice_api, portfolio, txid("receive-0"), "unclassified_in")
    moved = ledger_row(alice_api, portfolio, txid("receive-1"), "unclassified_in")
    assert (gift["quantity"], moved["quantity"]) == ("0.1", "0.11234567")
    reclassify(alice_api, portfolio, gift, "gift_in")
    reclassify(alice_api, portfolio, moved, "transfer_in")

    # Then neither counts as a purchase any more (5.5535165 - 0.1 - 0.11234567) ...
    btc = by_code(ok(alice_api.get(f"{portfolio['base']}/inventory")))["btc"]
    assert btc["balance"] == "5.34117083"
    assert btc["acquired"] == "6.91133228"  # 7.12367795 - 0.21234567
    # ... while the coins are still at the address
    totals = by_code(ok(alice_api.get(f"{portfolio['base']}/balances")))
    assert totals["btc"]["balance"] == "5.5535165"


def test_a_send_reclassified_as_a_transfer_keeps_its_network_fee(
    alice_api, only_an_address, run_tasks
):
    # Given the address fetched, and its spend of 1.5 BTC that paid 0.0000452 BTC of fee
    portfolio = only_an_address
    fetched(alice_api, portfolio, run_tasks)
    send = ledger_row(alice_api, portfolio, txid("spend-with-change"), "unclassified_out")
    fee = ledger_row(alice_api, portfolio, txid("spend-with-change"), "fee")
    assert (send["quantity"], fee["quantity"]) == ("1.5", "0.0000452")

    # When the send is re-classified as a transfer to one of her own wallets
    reclassify(alice_api, portfolio, send, "transfer_out")

    # Then it is no sale any more, but the fee still left the address
    btc = by_code(ok(alice_api.get(f"{portfolio['base']}/inventory")))["btc"]
    assert btc["balance"] == "7.0535165"  # 5.5535165 + 1.5
    # and re-classifying the fee row itself (as a spend) takes it out too
    reclassify(alice_api, portfolio, fee, "spend")
    btc = by_code(ok(alice_api.get(f"{portfolio['base']}/inventory")))["btc"]
    assert btc["balance"] == "7.0535617"  # 7.0535165 + 0.0000452


def test_statement_buys_sells_and_trades_count_income_does_not(api_for_statements):
    api, portfolio = api_for_statements
    # Given a Coinbase statement (tests/ingest/statements/v5.csv)
    ok(upload(api, portfolio, statement("v5.csv")), 201)

    rows = by_code(ok(api.get(f"/api/portfolios/{portfolio.pk}/inventory")))
    balances = by_code(ok(api.get(f"/api/portfolios/{portfolio.pk}/balances")))

    # BTC: bought 0.001, received 0.05 (unclassified: a purchase until re-classified),
    # converted 0.01 away
    assert (rows["btc"]["acquired"], rows["btc"]["disposed"]) == ("0.051", "0.01")
    assert rows["btc"]["balance"] == balances["btc"]["balance"] == "0.041"
    # ETH: 0.38 from the convert, 0.1 sent (unclassified)
    assert rows["eth"]["balance"] == balances["eth"]["balance"] == "0.28"
    # SOL: bought 1.5, sold 2; the 0.01 of staking income is no purchase
    assert (rows["sol"]["acquired"], rows["sol"]["disposed"]) == ("1.5", "2.0")
    assert rows["sol"]["balance"] == "-0.5"
    assert balances["sol"]["balance"] == "-0.49"
    assert {rows[c]["source"] for c in ("btc", "eth", "sol")} == {"Coinbase"}
    assert rows["sol"]["currency"] == {"code": "sol", "title": "Solana"}
    # the reporting currency, nothing bought or sold in it
    assert rows["usd"]["balance"] == "0.0"
    assert list(rows) == sorted(rows)


@pytest.fixture
def api_for_statements(alice):
    from portfolios.services import portfolio_create

    portfolio = portfolio_create(
        user=alice, title="Main", currency_codes=["usd"], source="private-api"
    )
    return client_for(alice), portfolio


def test_offsets_are_no_purchases(alice_api):
    # an offset notes coins held somewhere: a balance, not a purchase or a sale
    pid = make_portfolio(alice_api, currencies=["usd"])
    add_offset(alice_api, pid, {"btc": "1"})

    rows = ok(alice_api.get(f"/api/portfolios/{pid}/inventory"))

    assert rows[0].pop("balance_at").endswith("+00:00")
    assert rows == [
        {
            "currency": USD,
            "balance": "0.0",
            "source": "calculated",
            "acquired": "0.0",
            "disposed": "0.0",
            "unclassified_in": "0.0",
            "unclassified_out": "0.0",
            "rows": 0,
            "missing_values": 0,
            "values": [],
        }
    ]
    assert by_code(ok(alice_api.get(f"/api/portfolios/{pid}/balances")))["btc"]["balance"] == "1.0"


def test_bob_gets_404_and_nothing_is_fetched_for_him(bob, only_an_address, run_tasks):
    bob_api = client_for(bob, "read write delete")
    with run_tasks() as ran:
        body = failed(bob_api.get(f"{only_an_address['base']}/inventory"), 404)
    assert body["message"] == "Not found"
    assert ran.calls == []
