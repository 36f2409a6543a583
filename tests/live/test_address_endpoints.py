"""GET .../addresses/ID/balances and .../transactions: the async contract (API.md "Async
semantics") and the figures, with the explorer replayed from tests/fixtures/esplora."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from addresses.models import AddressBalance, AddressFetchState, AddressTransaction
from tests.live.conftest import (
    BTC_ADDRESS,
    BTC_OTHER,
    ESPLORA,
    FETCH,
    add_address,
    failed,
    load,
    make_portfolio,
    not_ready,
    ok,
    replay_esplora,
)

pytestmark = pytest.mark.django_db


def txid(label: str) -> str:
    return hashlib.sha256(f"fixture:{label}".encode()).hexdigest()


@pytest.fixture
def wallet(alice_api):
    """Alice's portfolio with the fixture address, never fetched."""
    portfolio = make_portfolio(alice_api)
    address = add_address(alice_api, portfolio)
    base = f"/api/portfolios/{portfolio}/addresses/{address}"
    return {"portfolio": portfolio, "address": address, "base": base}


def fetch_calls(mocked) -> list[str]:
    return [c.request.url for c in mocked.calls if c.request.url.startswith(ESPLORA)]


def test_first_balances_call_is_not_ready_then_the_fetched_balance(
    alice_api, wallet, mocked, run_tasks
):
    replay_esplora(mocked)

    # Given an address never fetched, when its balance is asked for
    before = timezone.now()
    with run_tasks() as ran:
        response = alice_api.get(f"{wallet['base']}/balances")
        # then the answer is 503 Not ready at once, before any fetch ran
        try_again_at = not_ready(response)
        assert fetch_calls(mocked) == []
    assert before < try_again_at <= timezone.now() + timedelta(seconds=30)
    # and exactly one fetch was enqueued (it ran at commit)
    assert ran.of(FETCH) == [(wallet["address"],)]
    assert fetch_calls(mocked)[0] == f"{ESPLORA}/address/{BTC_ADDRESS}"

    rows = ok(alice_api.get(f"{wallet['base']}/balances"))

    assert len(rows) == 1
    row = rows[0]
    assert set(row) == {
        "currency",
        "balance",
        "transactions",
        "sent",
        "received",
        "created_at",
        "updated_at",
        "source",
        "history_balance",
        "unexplained",
    }
    assert row["currency"] == {"code": "btc", "title": "Bitcoin"}
    assert row["balance"] == "5.5535165"
    # the fixture history accounts for the whole confirmed balance
    assert (row["history_balance"], row["unexplained"]) == ("5.5535165", None)
    assert row["received"] == "17.51393626"
    assert row["sent"] == "11.96041976"
    assert row["transactions"] == 32
    assert row["source"] == "esplora-btc"
    assert datetime.fromisoformat(row["updated_at"]) >= before.replace(microsecond=0)
    assert row["updated_at"].endswith("+00:00")


def test_address_detail_and_portfolio_show_when_it_was_fetched(
    alice_api, wallet, mocked, run_tasks
):
    replay_esplora(mocked)
    detail = ok(alice_api.get(wallet["base"]))
    assert detail["txns_last_updated"] is None and detail["valid"] is True
    portfolio = ok(alice_api.get(f"/api/portfolios/{wallet['portfolio']}"))
    assert portfolio["balances_last_updated"] is None

    with run_tasks():
        not_ready(alice_api.get(f"{wallet['base']}/transactions"))

    assert ok(alice_api.get(wallet["base"]))["txns_last_updated"] is not None
    portfolio = ok(alice_api.get(f"/api/portfolios/{wallet['portfolio']}"))
    assert portfolio["balances_last_updated"] is not None
    assert portfolio["histories_last_updated"] is not None


def _fetched(alice_api, wallet, mocked, capture):
    replay_esplora(mocked)
    with capture():
        not_ready(alice_api.get(f"{wallet['base']}/transactions"))


def test_transactions_newest_first_with_delta_and_fee(alice_api, wallet, mocked, run_tasks):
    _fetched(alice_api, wallet, mocked, run_tasks)

    response = alice_api.get(f"{wallet['base']}/transactions")

    rows = ok(response)
    body = response.json()
    assert body["count"] == 33 and body["next"] is None and len(rows) == 33
    assert set(rows[0]) == {
        "currency",
        "delta",
        "txn_at",
        "fee",
        "reference",
        "created_at",
        "updated_at",
        "source",
    }
    # newest first: the unconfirmed receipt (stored with the time it was first seen), then
    # the confirmed ones by block time
    assert rows[0]["reference"] == txid("pending-receive")
    assert rows[0]["delta"] == "0.0025" and rows[0]["fee"] == "0.0"
    times = [datetime.fromisoformat(r["txn_at"]) for r in rows]
    assert times == sorted(times, reverse=True)
    assert rows[1]["reference"] == load("esplora/txs.json")[1]["txid"]
    by_ref = {r["reference"]: r for r in rows}
    # a spend: delta is what the address lost, fee included; the fee it paid
    assert by_ref[txid("spend-with-change")]["delta"] == "-1.5000452"
    assert by_ref[txid("spend-with-change")]["fee"] == "0.0000452"
    # incoming: no fee counted
    assert by_ref[txid("receive-0")]["delta"] == "0.1"
    assert by_ref[txid("receive-0")]["fee"] == "0.0"
    # a coinjoin it funded only one input of: the fee is not its own
    assert by_ref[txid("coinjoin")]["fee"] == "0.0"
    assert by_ref[txid("coinbase-payout")]["txn_at"] == "2023-07-22T05:36:40+00:00"
    assert {r["currency"]["code"] for r in rows} == {"btc"}
    assert {r["source"] for r in rows} == {"esplora-btc"}
    # the confirmed deltas add up to the confirmed balance
    confirmed = [Decimal(r["delta"]) for r in rows[1:]]
    assert sum(confirmed) == Decimal("5.5535165")


def test_transactions_are_paged_with_limit_offset_count_and_next(
    alice_api, wallet, mocked, run_tasks
):
    _fetched(alice_api, wallet, mocked, run_tasks)
    url = f"{wallet['base']}/transactions"
    everything = ok(alice_api.get(url, {"limit": 1000}))

    first = alice_api.get(url, {"limit": 10})
    body = first.json()
    assert body["count"] == 33 and len(body["result"]) == 10
    assert body["next"].startswith("http://testserver" + url + "?")
    assert "limit=10" in body["next"] and "offset=10" in body["next"]
    second = alice_api.get(body["next"])
    assert [r["reference"] for r in second.json()["result"]] == [
        r["reference"] for r in everything[10:20]
    ]
    last = alice_api.get(url, {"limit": 10, "offset": 30}).json()
    assert len(last["result"]) == 3 and last["next"] is None and last["count"] == 33
    beyond = alice_api.get(url, {"offset": 40}).json()
    assert beyond["result"] == [] and beyond["next"] is None and beyond["count"] == 33


@pytest.mark.parametrize(
    ("query", "sentence"),
    [
        ({"limit": 1001}, "limit must be between 1 and 1000"),
        ({"limit": 0}, "limit must be between 1 and 1000"),
        ({"limit": "ten"}, "limit must be a whole number"),
        ({"offset": -1}, "offset must not be negative"),
    ],
)
def test_bad_paging_is_422(alice_api, wallet, mocked, run_tasks, query, sentence):
    _fetched(alice_api, wallet, mocked, run_tasks)
    body = failed(alice_api.get(f"{wallet['base']}/transactions", query), 422)
    assert body["invalid"] == [sentence]


def test_default_limit_is_100(alice_api, wallet):
    # Given 150 stored transactions and a fresh fetch state
    address_id = wallet["address"]
    now = timezone.now()
    AddressFetchState.objects.create(address_id=address_id, balances_fetched_at=now)
    AddressTransaction.objects.bulk_create(
        AddressTransaction(
            address_id=address_id,
            currency_id=_btc_id(),
            key=f"t{i}",
            reference=f"t{i}",
            delta=Decimal(i),
            txn_at=now - timedelta(minutes=i),
            source="esplora-btc",
        )
        for i in range(150)
    )

    body = alice_api.get(f"{wallet['base']}/transactions").json()

    assert len(body["result"]) == 100 and body["count"] == 150
    assert "offset=100" in body["next"]
    assert body["result"][0]["reference"] == "t0" and body["result"][-1]["reference"] == "t99"


def _btc_id() -> int:
    from currencies.models import Currency

    return Currency.objects.get(code="btc").pk


def test_stale_data_is_answered_at_once_and_a_refresh_enqueued(
    alice_api, wallet, mocked, run_tasks
):
    _fetched(alice_api, wallet, mocked, run_tasks)
    # Given data fetched two hours ago
    old = timezone.now() - timedelta(hours=2)
    AddressFetchState.objects.filter(address_id=wallet["address"]).update(balances_fetched_at=old)
    AddressBalance.objects.filter(address_id=wallet["address"]).update(updated_at=old)
    calls_before = len(fetch_calls(mocked))

    # When the balance is asked for
    with run_tasks() as ran:
        response = alice_api.get(f"{wallet['base']}/balances")
        # Then the stored data comes back at once, with its age
        rows = ok(response)
        assert rows[0]["balance"] == "5.5535165"
        assert rows[0]["updated_at"] == old.replace(microsecond=0).isoformat()
        assert len(fetch_calls(mocked)) == calls_before
    # and a refresh was enqueued and ran: the incremental sync asks /txs only
    assert ran.of(FETCH) == [(wallet["address"],)]
    new_calls = fetch_calls(mocked)[calls_before:]
    assert new_calls == [f"{ESPLORA}/address/{BTC_ADDRESS}", f"{ESPLORA}/address/{BTC_ADDRESS}/txs"]
    state = AddressFetchState.objects.get(address_id=wallet["address"])
    assert state.balances_fetched_at > old
    assert AddressTransaction.objects.filter(address_id=wallet["address"]).count() == 33


def test_fresh_data_enqueues_nothing(alice_api, wallet, mocked, run_tasks):
    _fetched(alice_api, wallet, mocked, run_tasks)
    with run_tasks() as ran:
        ok(alice_api.get(f"{wallet['base']}/balances"))
        ok(alice_api.get(f"{wallet['base']}/transactions"))
    assert ran.calls == []


def test_many_requests_enqueue_one_fetch(alice_api, wallet, enqueued, run_tasks):
    # Given a broker (tasks not run here), when ten clients ask at once
    with run_tasks():
        for _ in range(5):
            not_ready(alice_api.get(f"{wallet['base']}/balances"))
            not_ready(alice_api.get(f"{wallet['base']}/transactions"))

    # then one fetch went to the broker
    assert enqueued.of("addresses.tasks.address_fetch") == [(wallet["address"],)]


def test_stale_data_many_requests_enqueue_one_refresh(alice_api, wallet, enqueued, run_tasks):
    AddressFetchState.objects.create(
        address_id=wallet["address"], balances_fetched_at=timezone.now() - timedelta(hours=1)
    )
    with run_tasks():
        for _ in range(5):
            assert ok(alice_api.get(f"{wallet['base']}/balances")) == []

    assert enqueued.of("addresses.tasks.address_fetch") == [(wallet["address"],)]


def test_each_address_has_its_own_fetch(alice_api, wallet, mocked, enqueued, run_tasks):
    other = add_address(alice_api, wallet["portfolio"], BTC_OTHER)
    with run_tasks():
        for _ in range(3):
            not_ready(alice_api.get(f"{wallet['base']}/balances"))
            not_ready(
                alice_api.get(f"/api/portfolios/{wallet['portfolio']}/addresses/{other}/balances")
            )

    assert sorted(enqueued.of("addresses.tasks.address_fetch")) == sorted(
        [(wallet["address"],), (other,)]
    )


def test_a_finished_fetch_lets_the_next_one_be_enqueued(alice_api, wallet, mocked, run_tasks):
    _fetched(alice_api, wallet, mocked, run_tasks)
    AddressFetchState.objects.filter(address_id=wallet["address"]).update(
        balances_fetched_at=timezone.now() - timedelta(hours=1)
    )
    with run_tasks() as first:
        ok(alice_api.get(f"{wallet['base']}/balances"))
    AddressFetchState.objects.filter(address_id=wallet["address"]).update(
        balances_fetched_at=timezone.now() - timedelta(hours=1)
    )
    with run_tasks() as second:
        ok(alice_api.get(f"{wallet['base']}/balances"))
    assert first.of(FETCH) == second.of(FETCH) == [(wallet["address"],)]


def test_a_rejected_address_is_not_fetched_again_on_every_request(
    alice_api, wallet, mocked, run_tasks
):
    mocked.get(f"{ESPLORA}/address/{BTC_ADDRESS}", status=400, body="Invalid Bitcoin address")
    with run_tasks():
        not_ready(alice_api.get(f"{wallet['base']}/balances"))
    assert ok(alice_api.get(wallet["base"]))["valid"] is False
    calls = len(mocked.calls)

    # The explorer said no: the answer is what is stored (nothing), and no fetch is made
    with run_tasks() as ran:
        assert ok(alice_api.get(f"{wallet['base']}/balances")) == []
        assert ok(alice_api.get(f"{wallet['base']}/transactions")) == []
    assert ran.calls == [] and len(mocked.calls) == calls


def test_changing_the_address_forgets_the_old_ones_data(alice_api, wallet, mocked, run_tasks):
    _fetched(alice_api, wallet, mocked, run_tasks)

    ok(alice_api.patch(wallet["base"], {"address": BTC_OTHER}, format="json"))

    # the balance of the old address must not be answered as the new one's
    not_ready(alice_api.get(f"{wallet['base']}/balances"))
