"""A fetch that fails keeps the last good data, records the failure on the address's fetch state
and is retried with backoff; an address its explorer rejects turns ``valid: false``. Through the
sync service and through the endpoints, with the explorer and CoinGecko replayed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from django.utils import timezone

from addresses.models import Address, AddressBalance, AddressFetchState, AddressTransaction
from addresses.sync import BACKOFF_BASE_SECONDS, BACKOFF_MAX_SECONDS, address_sync
from currencies.models import Currency
from prices.models import SpotPrice
from tests.live.conftest import (
    BTC_ADDRESS,
    COINGECKO,
    ESPLORA,
    ETHERSCAN,
    FETCH,
    SPOT,
    add_address,
    add_offset,
    age_prices,
    make_portfolio,
    not_ready,
    ok,
    replay_coingecko,
    replay_esplora,
)

pytestmark = pytest.mark.django_db

ADDRESS_URL = f"{ESPLORA}/address/{BTC_ADDRESS}"


@pytest.fixture
def synced(alice_api, mocked, run_tasks):
    """Alice's fixture address, fetched once (5.5535165 BTC, 33 transactions), then data two
    hours old; the explorer's answers are cleared for the test to set."""
    replay_esplora(mocked)
    pid = make_portfolio(alice_api)
    address = add_address(alice_api, pid)
    with run_tasks():
        not_ready(alice_api.get(f"/api/portfolios/{pid}/addresses/{address}/balances"))
    AddressFetchState.objects.filter(address_id=address).update(
        balances_fetched_at=timezone.now() - timedelta(hours=2)
    )
    mocked.reset()
    return {
        "portfolio": pid,
        "address": address,
        "base": f"/api/portfolios/{pid}/addresses/{address}",
    }


def assert_data_kept(address_id: int) -> None:
    balance = AddressBalance.objects.get(address_id=address_id)
    assert balance.balance == Decimal("5.5535165")
    assert AddressTransaction.objects.filter(address_id=address_id).count() == 33
    assert Address.objects.get(pk=address_id).valid is True


def state_of(address_id: int) -> AddressFetchState:
    return AddressFetchState.objects.get(address_id=address_id)


def seconds_until(when) -> float:
    return (when - timezone.now()).total_seconds()


@pytest.mark.parametrize(
    "timeout",
    [
        requests.exceptions.ConnectTimeout("connect timed out"),
        requests.exceptions.ReadTimeout("read timed out"),
    ],
)
def test_a_timeout_keeps_the_data_and_retries_with_backoff(synced, mocked, timeout):
    mocked.get(ADDRESS_URL, body=timeout)

    result = address_sync(address_id=synced["address"])

    assert result.ok is False
    assert len(mocked.calls) == 3  # retried in-process, then given up for now
    assert_data_kept(synced["address"])
    state = state_of(synced["address"])
    assert state.failures == 1
    assert "Timeout" in state.error and state.error_at is not None
    assert 50 < seconds_until(state.next_retry_at) <= 60
    assert state.last_attempt_at is not None and state.last_duration_seconds is not None


def test_backoff_doubles_with_each_failure_in_a_row(synced, mocked):
    mocked.get(ADDRESS_URL, status=503, body="upstream down")
    delays = []
    for _ in range(4):
        address_sync(address_id=synced["address"])
        delays.append(round(seconds_until(state_of(synced["address"]).next_retry_at), -1))
    assert delays == [60, 120, 240, 480]
    assert state_of(synced["address"]).failures == 4
    assert_data_kept(synced["address"])


def test_a_500_keeps_the_data_and_records_the_error(synced, mocked):
    mocked.get(ADDRESS_URL, status=500, body="Internal Server Error")

    address_sync(address_id=synced["address"])

    assert len(mocked.calls) == 3
    assert_data_kept(synced["address"])
    state = state_of(synced["address"])
    assert "HTTP 500" in state.error and state.failures == 1
    assert state.next_retry_at is not None


def test_a_429_waits_as_long_as_retry_after_says(synced, mocked):
    mocked.get(ADDRESS_URL, status=429, headers={"Retry-After": "900"}, body="slow down")

    address_sync(address_id=synced["address"])

    assert len(mocked.calls) == 1  # longer than we wait in-process: left to the next try
    assert_data_kept(synced["address"])
    state = state_of(synced["address"])
    assert "429" in state.error
    assert 890 < seconds_until(state.next_retry_at) <= 900


def test_one_answer_that_is_not_json_keeps_the_data_and_backs_off_a_minute(synced, mocked):
    mocked.get(ADDRESS_URL, body="<html>maintenance</html>", content_type="text/html")

    address_sync(address_id=synced["address"])

    assert len(mocked.calls) == 1
    assert_data_kept(synced["address"])
    state = state_of(synced["address"])
    assert "not JSON" in state.error
    # a maintenance page says nothing about the address: the first backoff step, not six hours
    assert 50 < seconds_until(state.next_retry_at) <= BACKOFF_BASE_SECONDS
    assert Address.objects.get(pk=synced["address"]).valid is True


def test_answers_that_stay_not_json_back_off_longer_each_time(synced, mocked):
    mocked.get(ADDRESS_URL, body="<html>maintenance</html>", content_type="text/html")

    address_sync(address_id=synced["address"])
    first = seconds_until(state_of(synced["address"]).next_retry_at)
    address_sync(address_id=synced["address"])
    second = seconds_until(state_of(synced["address"]).next_retry_at)

    assert second > first + BACKOFF_BASE_SECONDS / 2
    assert second < BACKOFF_MAX_SECONDS


def test_a_failure_half_way_writes_nothing(synced, mocked):
    # The balance answers with a new figure but the history fails: nothing of it is stored
    doc = {
        "address": BTC_ADDRESS,
        "chain_stats": {"funded_txo_sum": 9, "spent_txo_sum": 0, "tx_count": 99},
        "mempool_stats": {},
    }
    mocked.get(ADDRESS_URL, json=doc)
    mocked.get(f"{ADDRESS_URL}/txs", status=500)

    address_sync(address_id=synced["address"])

    assert_data_kept(synced["address"])
    assert AddressBalance.objects.get(address_id=synced["address"]).transactions == 32


def test_the_next_good_fetch_clears_the_failure(synced, mocked):
    mocked.get(ADDRESS_URL, status=500)
    address_sync(address_id=synced["address"])
    mocked.reset()
    replay_esplora(mocked)

    assert address_sync(address_id=synced["address"]).ok is True

    state = state_of(synced["address"])
    assert (state.error, state.failures, state.next_retry_at, state.error_at) == ("", 0, None, None)


@pytest.mark.parametrize("body", ["Invalid Bitcoin address", "Invalid address"])
def test_an_address_the_explorer_rejects_turns_invalid(alice_api, synced, mocked, body):
    mocked.get(ADDRESS_URL, status=400, body=body)

    address_sync(address_id=synced["address"])

    detail = ok(alice_api.get(synced["base"]))
    assert detail["valid"] is False
    state = state_of(synced["address"])
    assert body in state.error and state.next_retry_at is None
    # what was stored stays, and is still answered
    assert AddressBalance.objects.get(address_id=synced["address"]).balance == Decimal("5.5535165")
    assert ok(alice_api.get(f"{synced['base']}/balances"))[0]["balance"] == "5.5535165"


def test_an_ethereum_address_the_explorer_refuses_turns_invalid(alice):
    # Stored before validation got stricter, say: the explorer's own check refuses it
    from portfolios.models import Portfolio

    portfolio = Portfolio.objects.create(user=alice, title="Old")
    address = Address.objects.create(
        portfolio=portfolio, address="0x1234", currency=Currency.objects.get(code="eth")
    )

    result = address_sync(address_id=address.pk)

    assert result.ok is False
    address.refresh_from_db()
    assert address.valid is False
    assert "is not an Ethereum address" in state_of(address.pk).error


def test_etherscan_refusing_the_api_key_is_not_the_addresses_fault(alice, mocked):
    from portfolios.models import Portfolio

    portfolio = Portfolio.objects.create(user=alice, title="Eth")
    address = Address.objects.create(
        portfolio=portfolio,
        address="0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
        currency=Currency.objects.get(code="eth"),
    )
    mocked.post(
        "http://eth-rpc.test/", json={"jsonrpc": "2.0", "id": 1, "result": "0x0234c8a3397aab58"}
    )
    mocked.get(ETHERSCAN, json={"status": "0", "message": "NOTOK", "result": "Invalid API Key"})

    address_sync(address_id=address.pk)

    address.refresh_from_db()
    assert address.valid is True
    assert "Invalid API Key" in state_of(address.pk).error
    assert not AddressBalance.objects.filter(address=address).exists()


def test_through_the_endpoint_stale_data_survives_a_failing_refresh(
    alice_api, synced, mocked, run_tasks
):
    mocked.get(ADDRESS_URL, status=500)

    # When stale data is asked for, it is answered and the refresh (which fails) runs
    with run_tasks() as ran:
        rows = ok(alice_api.get(f"{synced['base']}/balances"))
    assert rows[0]["balance"] == "5.5535165" and ran.of(FETCH) == [(synced["address"],)]
    calls = len(mocked.calls)

    # Then the data is still there, and asking again waits for the backoff
    with run_tasks() as ran:
        assert ok(alice_api.get(f"{synced['base']}/balances"))[0]["balance"] == "5.5535165"
        assert len(ok(alice_api.get(f"{synced['base']}/transactions"))) == 33
    assert ran.calls == [] and len(mocked.calls) == calls
    assert state_of(synced["address"]).failures == 1


def test_through_the_endpoint_a_failed_first_fetch_says_when_to_come_back(
    alice_api, mocked, run_tasks
):
    mocked.get(ADDRESS_URL, status=429, headers={"Retry-After": "300"})
    pid = make_portfolio(alice_api)
    address = add_address(alice_api, pid)
    url = f"/api/portfolios/{pid}/addresses/{address}/balances"
    with run_tasks():
        not_ready(alice_api.get(url))

    with run_tasks() as ran:
        when = not_ready(alice_api.get(url))

    assert when == state_of(address).next_retry_at.replace(microsecond=0)
    assert 290 < seconds_until(when) <= 300
    assert ran.calls == []


def test_coingecko_failing_keeps_the_stored_prices(alice_api, mocked, run_tasks):
    replay_coingecko(mocked)
    pid = make_portfolio(alice_api, currencies=["usd"])
    add_offset(alice_api, pid, {"btc": "0.5"})
    with run_tasks():
        not_ready(alice_api.get(f"/api/portfolios/{pid}/converted"))
    age_prices(timedelta(hours=1))
    mocked.reset()
    mocked.get(f"{COINGECKO}/simple/price", status=500)

    # When the prices are stale and CoinGecko is down, the old prices answer
    with run_tasks() as ran:
        rows = ok(alice_api.get(f"/api/portfolios/{pid}/converted"))

    assert rows[0]["balance"] == "30000.25"
    assert ran.of(SPOT) == [()] and len(mocked.calls) == 3
    assert SpotPrice.objects.get(base__code="btc", quote__code="usd").price == Decimal("60000.5")


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 429, "headers": {"Retry-After": "60"}},
        {"status": 200, "body": "not json", "content_type": "text/plain"},
        {"body": requests.exceptions.ConnectTimeout("timed out")},
    ],
)
def test_coingecko_failing_before_any_price_is_not_ready(alice_api, mocked, run_tasks, answer):
    mocked.get(f"{COINGECKO}/simple/price", **answer)
    pid = make_portfolio(alice_api, currencies=["usd"])
    add_offset(alice_api, pid, {"btc": "0.5"})

    with run_tasks():
        not_ready(alice_api.get(f"/api/portfolios/{pid}/converted"))
    # the price was never had: still not ready, never a made-up value
    with run_tasks():
        not_ready(alice_api.get(f"/api/portfolios/{pid}/converted"))
    assert not SpotPrice.objects.exists()


def test_after_a_failed_price_refresh_requests_do_not_retry_at_once(alice_api, mocked, run_tasks):
    replay_coingecko(mocked)
    pid = make_portfolio(alice_api, currencies=["usd"])
    add_offset(alice_api, pid, {"btc": "0.5"})
    with run_tasks():
        not_ready(alice_api.get(f"/api/portfolios/{pid}/converted"))
    age_prices(timedelta(hours=1))
    mocked.reset()
    mocked.get(f"{COINGECKO}/simple/price", status=500)
    with run_tasks() as ran:
        ok(alice_api.get(f"/api/portfolios/{pid}/converted"))
    assert ran.of(SPOT) == [()]

    # the refresh failed just now: the next requests answer the old prices and wait
    with run_tasks() as ran:
        for _ in range(3):
            assert ok(alice_api.get(f"/api/portfolios/{pid}/converted"))[0]["balance"] == "30000.25"
    assert ran.calls == [] and len(mocked.calls) == 3
