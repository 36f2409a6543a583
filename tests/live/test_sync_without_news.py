"""A sync that finds no new transaction is a good sync: a new empty address becomes ready with a
balance of 0, an idle refresh advances the fetch time and clears an old error, and a balance that
changes with no transaction listed is answered. (A sync with an empty page of transactions used
to crash inside the task, rolling back its fetch state: 503 or stale data for ever.)

Through the endpoints and the beat task, with Esplora, the JSON-RPC node and Etherscan replayed
(answers shaped as tests/fixtures and /work/shared/FORMATS.md describe them)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from addresses.models import Address, AddressFetchState
from addresses.tasks import addresses_refresh_stale
from portfolios.models import Portfolio
from tests.live.conftest import (
    BTC_OTHER,
    ESPLORA,
    ETHEREUM_RPC,
    ETHERSCAN,
    FETCH,
    add_address,
    load,
    make_portfolio,
    not_ready,
    ok,
    replay_esplora,
    synthetic_balance,
)

pytestmark = pytest.mark.django_db

# The EIP-55 specification's own example address (valid checksum).
ETH_ADDRESS = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
EMPTY_BTC = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"
WEI = Decimal(10) ** 18


def replay_empty_esplora(mocked, address: str = EMPTY_BTC) -> None:
    """An address nobody ever paid: zero funded and spent, no transaction."""
    zero = {
        "funded_txo_count": 0,
        "funded_txo_sum": 0,
        "spent_txo_count": 0,
        "spent_txo_sum": 0,
        "tx_count": 0,
    }
    mocked.get(
        f"{ESPLORA}/address/{address}",
        json={"address": address, "chain_stats": zero, "mempool_stats": dict(zero)},
    )
    mocked.get(f"{ESPLORA}/address/{address}/txs", json=[])


class EthereumNode:
    """``eth_getBalance`` answers whatever ``wei`` is now; Etherscan lists nothing for any
    action ("No transactions found", status "0", as Etherscan answers an empty history)."""

    def __init__(self, mocked, wei: int = 0) -> None:
        self.wei = wei
        mocked.add_callback("POST", ETHEREUM_RPC, callback=self._answer)
        mocked.get(ETHERSCAN, json=load("etherscan/empty.json"))

    def _answer(self, request):
        import json

        body = json.loads(request.body)
        assert body["method"] == "eth_getBalance"
        assert body["params"] == [ETH_ADDRESS.lower(), "latest"]
        answer = {"jsonrpc": "2.0", "id": body["id"], "result": hex(self.wei)}
        return 200, {"Content-Type": "application/json"}, json.dumps(answer)


def base_of(portfolio_id: int, address_id: int) -> str:
    return f"/api/portfolios/{portfolio_id}/addresses/{address_id}"


def code_of(row) -> str:
    # Per-currency rows carry {code, title} (API.md); the portfolio's rows are being moved to
    # that shape by another change, so read either.
    return row["currency"]["code"] if isinstance(row["currency"], dict) else row["currency"]


def make_stale(address_id: int, *, hours: int = 2, error: str = "") -> datetime:
    """As if the address was last fetched ``hours`` ago (and its portfolio's totals with it),
    optionally with a failure recorded after that whose backoff has passed."""
    old = timezone.now().replace(microsecond=0) - timedelta(hours=hours)
    AddressFetchState.objects.filter(address_id=address_id).update(
        balances_fetched_at=old,
        last_attempt_at=old,
        error=error,
        error_at=old + timedelta(minutes=5) if error else None,
        failures=3 if error else 0,
        next_retry_at=old + timedelta(minutes=10) if error else None,
    )
    address = Address.objects.get(pk=address_id)
    Address.objects.filter(pk=address_id).update(txns_last_updated=old)
    Portfolio.objects.filter(pk=address.portfolio_id).update(
        balances_last_updated=old, histories_last_updated=old
    )
    return old


@pytest.mark.parametrize(
    ("currency", "replay"),
    [
        ("btc", lambda mocked: replay_empty_esplora(mocked)),
        ("eth", lambda mocked: EthereumNode(mocked, wei=0)),
    ],
    ids=["bitcoin-esplora", "ethereum-rpc-etherscan"],
)
def test_a_new_empty_address_becomes_ready_with_balance_zero(
    alice_api, mocked, run_tasks, currency, replay
):
    replay(mocked)
    address = EMPTY_BTC if currency == "btc" else ETH_ADDRESS
    pid = make_portfolio(alice_api, currencies=(currency, "usd"))
    aid = add_address(alice_api, pid, address, currency)
    base = base_of(pid, aid)

    # Given a new address nobody ever paid, when its balance is first asked for
    with run_tasks() as ran:
        not_ready(alice_api.get(f"{base}/balances"))
    assert ran.of(FETCH) == [(aid,)]

    # then the fetch succeeded: the balance is 0, the history empty, and no error recorded
    [row] = ok(alice_api.get(f"{base}/balances"))
    assert row["currency"]["code"] == currency and row["balance"] == "0.0"
    response = alice_api.get(f"{base}/transactions")
    assert ok(response) == [] and response.json()["count"] == 0
    state = AddressFetchState.objects.get(address_id=aid)
    assert state.balances_fetched_at is not None and state.error == ""
    assert ok(alice_api.get(base))["txns_last_updated"] is not None
    # and the portfolio's totals are ready too (not 503 for ever), the coin at 0
    rows = ok(alice_api.get(f"/api/portfolios/{pid}/balances"))
    assert {code_of(r): r["balance"] for r in rows}[currency] == "0.0"
    assert ok(alice_api.get(f"/api/portfolios/{pid}"))["balances_last_updated"] is not None


def _synced_btc(alice_api, mocked, run_tasks) -> tuple[int, int]:
    """A Bitcoin address with one confirmed receipt, fetched once."""
    replay_esplora(mocked, BTC_OTHER)
    pid = make_portfolio(alice_api)
    aid = add_address(alice_api, pid, BTC_OTHER)
    with run_tasks():
        not_ready(alice_api.get(f"{base_of(pid, aid)}/balances"))
    return pid, aid


def _synced_eth(alice_api, mocked, run_tasks) -> tuple[int, int]:
    """An Ethereum address with no transaction, fetched once."""
    EthereumNode(mocked, wei=0)
    pid = make_portfolio(alice_api, currencies=("eth", "usd"))
    aid = add_address(alice_api, pid, ETH_ADDRESS, "eth")
    with run_tasks():
        not_ready(alice_api.get(f"{base_of(pid, aid)}/balances"))
    return pid, aid


@pytest.mark.parametrize("synced", [_synced_btc, _synced_eth], ids=["bitcoin", "ethereum"])
def test_the_beat_refreshing_an_idle_address_advances_its_fetch_time_and_clears_an_old_error(
    alice_api, mocked, run_tasks, synced
):
    # Given an address fetched two hours ago, whose later fetches failed three times
    pid, aid = synced(alice_api, mocked, run_tasks)
    before = ok(alice_api.get(f"{base_of(pid, aid)}/balances"))
    old = make_stale(aid, error="esplora: GET failed after 3 attempts: HTTP 502")

    # when the beat refreshes it and the explorer has nothing new to say
    with run_tasks() as ran:
        assert addresses_refresh_stale.apply().get() == 1
    assert ran.of(FETCH) == [(aid,)]

    # then the fetch time moved on everywhere it is shown, and the old error is gone
    state = AddressFetchState.objects.get(address_id=aid)
    assert state.balances_fetched_at > old + timedelta(hours=1)
    assert (state.error, state.error_at, state.failures, state.next_retry_at) == ("", None, 0, None)
    detail = ok(alice_api.get(base_of(pid, aid)))
    assert datetime.fromisoformat(detail["txns_last_updated"]) > old + timedelta(hours=1)
    portfolio = ok(alice_api.get(f"/api/portfolios/{pid}"))
    assert datetime.fromisoformat(portfolio["balances_last_updated"]) > old + timedelta(hours=1)
    [row] = ok(alice_api.get(f"{base_of(pid, aid)}/balances"))
    assert row["balance"] == before[0]["balance"]
    assert datetime.fromisoformat(row["updated_at"]) >= datetime.fromisoformat(
        before[0]["updated_at"]
    )
    # and the address page no longer says that fetching fails
    client = Client()
    client.force_login(Address.objects.get(pk=aid).portfolio.user)
    page = client.get(reverse("dashboard:address-detail", args=[pid, aid]))
    assert page.status_code == 200
    assert "Fetching failed" not in page.content.decode()
    # and a beat right after has nothing due
    with run_tasks() as ran:
        assert addresses_refresh_stale.apply().get() == 0


def test_an_idle_address_asked_for_when_stale_is_answered_then_refreshed(
    alice_api, mocked, run_tasks
):
    pid, aid = _synced_btc(alice_api, mocked, run_tasks)
    old = make_stale(aid)

    # Stale data is answered at once (with its age) and a refresh runs at commit
    with run_tasks() as ran:
        [row] = ok(alice_api.get(f"{base_of(pid, aid)}/balances"))
    assert row["balance"] == str(synthetic_balance(BTC_OTHER))
    assert ran.of(FETCH) == [(aid,)]

    # which found nothing new, and still counts as a fetch: the data is fresh again
    fetched = AddressFetchState.objects.get(address_id=aid).balances_fetched_at
    assert fetched > old + timedelta(hours=1)
    with run_tasks() as ran:
        ok(alice_api.get(f"{base_of(pid, aid)}/balances"))
    assert ran.of(FETCH) == []


def test_an_ethereum_balance_that_changes_with_no_transaction_listed_is_answered(
    alice_api, mocked, run_tasks
):
    # Given an Ethereum address fetched while it held nothing
    node = EthereumNode(mocked, wei=0)
    pid = make_portfolio(alice_api, currencies=("eth", "usd"))
    aid = add_address(alice_api, pid, ETH_ADDRESS, "eth")
    base = base_of(pid, aid)
    with run_tasks():
        not_ready(alice_api.get(f"{base}/balances"))
    assert ok(alice_api.get(f"{base}/balances"))[0]["balance"] == "0.0"

    # when a contract pays it 0.75 ETH: the node's balance goes up, Etherscan's transaction
    # list stays empty
    node.wei = 75 * 10**16
    old = make_stale(aid)
    with run_tasks() as ran:
        ok(alice_api.get(f"{base}/balances"))  # stale: answered, refreshed at commit
    assert ran.of(FETCH) == [(aid,)]

    # then the address and the portfolio answer the new balance
    [row] = ok(alice_api.get(f"{base}/balances"))
    assert Decimal(row["balance"]) == Decimal(node.wei) / WEI == Decimal("0.75")
    assert row["balance"] == "0.75"
    assert datetime.fromisoformat(row["updated_at"]) > old
    rows = ok(alice_api.get(f"/api/portfolios/{pid}/balances"))
    assert {code_of(r): r["balance"] for r in rows}["eth"] == "0.75"
    assert ok(alice_api.get(f"{base}/transactions")) == []
