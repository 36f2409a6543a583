"""POST /api/portfolios/ID/refresh answers what it enqueued; the beat task
``addresses_refresh_stale`` enqueues exactly the addresses that are due."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from addresses.models import Address, AddressFetchState
from addresses.tasks import addresses_refresh_stale
from prices.models import SpotPrice
from tests.live.conftest import (
    BTC_ADDRESS,
    BTC_OTHER,
    BTC_THIRD,
    FETCH,
    LTC_ADDRESS,
    SPOT,
    add_address,
    make_portfolio,
    ok,
    replay_coingecko,
    replay_esplora,
)

pytestmark = pytest.mark.django_db


def test_refresh_answers_what_it_enqueued(alice_api, enqueued, run_tasks):
    pid = make_portfolio(alice_api)
    ids = [add_address(alice_api, pid, a) for a in (BTC_ADDRESS, BTC_OTHER)]

    with run_tasks():
        first = ok(alice_api.post(f"/api/portfolios/{pid}/refresh"))
        second = ok(alice_api.post(f"/api/portfolios/{pid}/refresh"))

    assert first == {"addresses": ids, "already_queued": [], "prices": True, "accounts": []}
    # the same work is not queued twice while it is waiting for a worker
    assert second == {"addresses": [], "already_queued": ids, "prices": False, "accounts": []}
    assert sorted(enqueued.of(FETCH)) == [(i,) for i in ids]
    assert enqueued.of(SPOT) == [()]


def test_refresh_fetches_fresh_data_too_and_skips_rejected_addresses(
    alice_api, mocked, enqueued, run_tasks
):
    pid = make_portfolio(alice_api)
    fresh = add_address(alice_api, pid, BTC_ADDRESS)
    rejected = add_address(alice_api, pid, BTC_OTHER)
    AddressFetchState.objects.create(address_id=fresh, balances_fetched_at=timezone.now())
    Address.objects.filter(pk=rejected).update(valid=False)

    with run_tasks():
        answer = ok(alice_api.post(f"/api/portfolios/{pid}/refresh"))

    assert answer["addresses"] == [fresh]
    assert enqueued.of(FETCH) == [(fresh,)]


def test_refresh_runs_the_fetches(alice_api, mocked, run_tasks):
    replay_esplora(mocked)
    replay_coingecko(mocked)
    pid = make_portfolio(alice_api)
    address = add_address(alice_api, pid)

    with run_tasks() as ran:
        answer = ok(alice_api.post(f"/api/portfolios/{pid}/refresh"))

    assert answer == {"addresses": [address], "already_queued": [], "prices": True, "accounts": []}
    assert ran.of(FETCH) == [(address,)] and ran.of(SPOT) == [()]
    assert AddressFetchState.objects.get(address_id=address).balances_fetched_at is not None
    assert SpotPrice.objects.filter(base__code="btc", quote__code="usd").exists()
    # and once they finished, a new refresh may be queued again
    with run_tasks():
        again = ok(alice_api.post(f"/api/portfolios/{pid}/refresh"))
    assert again["addresses"] == [address] and again["prices"] is True


def test_refresh_of_an_empty_portfolio(alice_api, enqueued, run_tasks):
    pid = make_portfolio(alice_api)
    with run_tasks():
        assert ok(alice_api.post(f"/api/portfolios/{pid}/refresh")) == {
            "addresses": [],
            "already_queued": [],
            "prices": True,
            "accounts": [],
        }


def test_beat_enqueues_exactly_the_addresses_that_are_due(alice, alice_api, enqueued, run_tasks):
    now = timezone.now()
    pid = make_portfolio(alice_api)
    other = make_portfolio(alice_api, "Other")

    def address(value: str, portfolio: int = pid, currency: str = "btc", **state) -> int:
        pk = add_address(alice_api, portfolio, value, currency)
        if state:
            AddressFetchState.objects.create(address_id=pk, **state)
        return pk

    never = address(BTC_ADDRESS)  # no fetch state at all
    never_tried_again = address(
        BTC_OTHER, balances_fetched_at=None, next_retry_at=now - timedelta(seconds=1)
    )
    stale = address(BTC_THIRD, balances_fetched_at=now - timedelta(hours=1))
    fresh = address(BTC_ADDRESS, other, balances_fetched_at=now - timedelta(minutes=1))
    stale_backing_off = address(
        BTC_OTHER,
        other,
        balances_fetched_at=now - timedelta(hours=1),
        next_retry_at=now + timedelta(minutes=5),
    )
    never_backing_off = address(
        BTC_THIRD,
        other,
        balances_fetched_at=None,
        failures=1,
        next_retry_at=now + timedelta(minutes=1),
    )
    rejected = address(LTC_ADDRESS, currency="ltc")
    Address.objects.filter(pk=rejected).update(valid=False)

    with run_tasks():
        count = addresses_refresh_stale.apply().get()

    due = sorted([never, never_tried_again, stale])
    assert sorted(args[0] for args in enqueued.of(FETCH)) == due
    assert count == 3
    assert not {fresh, stale_backing_off, never_backing_off, rejected} & {
        a[0] for a in enqueued.of(FETCH)
    }

    # run again before the workers got to them: nothing is queued twice
    with run_tasks():
        assert addresses_refresh_stale.apply().get() == 0
    assert len(enqueued.of(FETCH)) == 3


def test_beat_runs_the_due_fetches(alice_api, mocked, run_tasks):
    replay_esplora(mocked)
    pid = make_portfolio(alice_api)
    address = add_address(alice_api, pid)

    with run_tasks():
        addresses_refresh_stale.apply()

    assert AddressFetchState.objects.get(address_id=address).balances_fetched_at is not None
