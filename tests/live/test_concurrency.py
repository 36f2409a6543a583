"""Concurrent requests never enqueue the same fetch twice: many clients in parallel threads
against a live server on PostgreSQL (each request its own connection and transaction), the
broker stubbed so that only what is enqueued is counted."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection

from addresses.models import Address
from currencies.models import Currency
from portfolios.models import Portfolio, PortfolioCurrency
from tests.conftest import make_token
from tests.live.conftest import BTC_ADDRESS, BTC_OTHER, BTC_THIRD, LTC_ADDRESS
from users.models import User

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: parallel requests each on their own connection")


def test_parallel_requests_enqueue_one_fetch_per_address(postgresql, live_server, enqueued):
    # Given a portfolio of four addresses never fetched
    alice = User.objects.create_user(email="alice@example.com", password="x-password-1")
    portfolio = Portfolio.objects.create(user=alice, title="Main")
    for position, code in enumerate(["btc", "usd"]):
        PortfolioCurrency.objects.create(
            portfolio=portfolio, currency=Currency.objects.get(code=code), position=position
        )
    addresses = [
        Address.objects.create(
            portfolio=portfolio, address=a, currency=Currency.objects.get(code=c)
        )
        for a, c in [
            (BTC_ADDRESS, "btc"),
            (BTC_OTHER, "btc"),
            (BTC_THIRD, "btc"),
            (LTC_ADDRESS, "ltc"),
        ]
    ]
    token = make_token(alice, "read write").token
    base = f"{live_server.url}/api/portfolios/{portfolio.pk}"
    urls = [f"{base}/balances", f"{base}/converted"] + [
        f"{base}/addresses/{a.pk}/{tail}"
        for a in addresses
        for tail in ("balances", "transactions")
    ]
    start = threading.Barrier(16)
    local = threading.local()

    def hit(i: int) -> int:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
        if i < 16:
            start.wait(timeout=10)  # the first wave leaves together
        return session.get(urls[i % len(urls)], timeout=30).status_code

    # When 16 threads send 160 requests at once
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(hit, range(160)))

    # Then every one was answered "not ready", and one fetch per address went to the broker,
    # and one price refresh
    assert set(statuses) == {503}
    fetched = [args for args in enqueued.of("addresses.tasks.address_fetch")]
    assert sorted(fetched) == sorted((a.pk,) for a in addresses)
    assert enqueued.of("prices.tasks.prices_refresh_spot") == [()]
