"""Alice's book for the performance tests: one wallet with buys, a reward and a sale, and the
daily BTC closes of the last ten days but one; and the first-build helpers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from performance import series as series_module
from prices.models import Price
from tests.ledger_api.conftest import cur, make_entry, make_portfolio, make_wallet

TODAY = timezone.now().date()


def day(n: int):
    return TODAY - timedelta(days=n)


def at(n: int, hour: int = 12) -> datetime:
    return datetime.combine(day(n), time(hour), UTC)


def close(n: int, price: str, base: str = "btc", quote: str = "usd") -> None:
    Price.objects.create(
        base=cur(base),
        quote=cur(quote),
        at=at(n, 0),
        price=D(price),
        kind=Price.DAILY,
        source="test",
    )


PRICES = {
    10: "100",
    9: "110",
    8: "105",
    7: "120",
    6: "90",
    5: "95",
    3: "130",
    2: "125",
    1: "140",
    0: "150",
}  # day 4 has no close: a gap


@pytest.fixture(autouse=True)
def _own_flags(monkeypatch):
    token = uuid.uuid4().hex[:12]
    monkeypatch.setattr(series_module, "update_key", lambda pk: f"perf:{token}:{pk}")


@pytest.fixture
def book(alice):
    portfolio = make_portfolio(alice, currencies=("usd",))
    wallet = make_wallet(portfolio)
    make_entry(wallet, "buy", "1", at(10), value="100")
    make_entry(wallet, "income", "0.1", at(8))  # a reward: return, not a flow
    make_entry(wallet, "buy", "1", at(6), value="90")  # a deposit in the middle of the range
    make_entry(wallet, "sell", "0.5", at(2), value="62.5")  # a withdrawal
    for n, price in PRICES.items():
        close(n, price)
    return portfolio


def not_ready(response) -> None:
    assert response.status_code == 503, response.content
    body = response.json()
    assert body["success"] is False and body["message"] == "Not ready"
    assert "try_again_at" in body


def built(api, url, django_capture_on_commit_callbacks):
    """The first request is 503 Not ready and enqueues the build (run here, as a worker)."""
    with django_capture_on_commit_callbacks(execute=True):
        not_ready(api.get(url))
    return api.get(url)
