"""/api/status: the ``jobs`` check (a worker's heartbeat in the shared cache) and the ``tickers``
check (spot prices are fresh), each one real."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from core.tasks import HEARTBEAT_KEY, worker_heartbeat
from currencies.models import Currency
from prices.models import SpotPrice
from prices.services import SPOT_REFRESH_SECONDS
from tests.live.conftest import add_offset, make_portfolio

pytestmark = pytest.mark.django_db


def status() -> tuple[int, dict]:
    response = APIClient().get("/api/status")
    return response.status_code, response.json()


def check(name: str) -> str:
    code, body = status()
    ok_list = body["result"]["ok"] if code == 200 else body["ok"]
    failing = body["result"]["failing"] if code == 200 else body["failing"]
    assert (name in ok_list) != (name in failing)
    return "ok" if name in ok_list else "failing"


@pytest.fixture
def broker(settings):
    """As in production: tasks go to a broker and separate workers run them."""
    settings.TASKS_SYNC = False
    settings.TASKS_IN_PROCESS = False


def test_everything_ok_is_200():
    code, body = status()
    assert code == 200
    assert body["success"] is True
    assert body["result"] == {"ok": ["database", "broker", "jobs", "tickers"], "failing": []}


def test_jobs_are_ok_when_tasks_run_in_the_web_process(settings):
    settings.TASKS_SYNC = False
    settings.TASKS_IN_PROCESS = True
    assert check("jobs") == "ok"


def test_jobs_fail_without_a_worker_heartbeat(broker):
    code, body = status()

    assert code == 503
    assert body["success"] is False and "result" not in body
    assert body["message"] == "Unavailable"
    assert body["failing"] == ["jobs"]
    assert body["ok"] == ["database", "broker", "tickers"]


def test_jobs_are_ok_after_the_heartbeat_task_ran(broker):
    worker_heartbeat.apply()
    assert check("jobs") == "ok"
    assert status()[0] == 200


def test_any_finished_task_counts_as_a_heartbeat(broker):
    from addresses.tasks import address_fetch

    address_fetch.apply(args=(10**9,))  # no such address: the task just finishes

    assert cache.get(HEARTBEAT_KEY) is not None
    assert check("jobs") == "ok"


def test_an_old_heartbeat_fails(broker):
    cache.set(HEARTBEAT_KEY, (timezone.now() - timedelta(minutes=4)).isoformat(), 3600)
    assert check("jobs") == "failing"
    cache.set(HEARTBEAT_KEY, (timezone.now() - timedelta(minutes=2)).isoformat(), 3600)
    assert check("jobs") == "ok"


def _spot(fetched_ago: timedelta) -> None:
    now = timezone.now()
    SpotPrice.objects.update_or_create(
        base=Currency.objects.get(code="btc"),
        quote=Currency.objects.get(code="usd"),
        defaults={
            "price": Decimal("60000.5"),
            "at": now,
            "source": "coingecko",
            "fetched_at": now - fetched_ago,
        },
    )


def test_tickers_ok_while_nothing_needs_a_price():
    assert check("tickers") == "ok"


def test_tickers_ok_for_a_single_fiat_portfolio(alice_api):
    pid = make_portfolio(alice_api, currencies=["usd"])
    add_offset(alice_api, pid, {"usd": "10"})
    assert check("tickers") == "ok"


@pytest.mark.parametrize("holding", ["btc", "eth"])
def test_tickers_fail_without_prices_while_a_portfolio_holds_a_coin(alice_api, holding):
    pid = make_portfolio(alice_api, currencies=["btc", "usd"])
    add_offset(alice_api, pid, {holding: "1"})

    code, body = status()

    assert code == 503 and "tickers" in body["failing"]


def test_tickers_ok_with_fresh_prices_and_failing_with_old_ones(alice_api):
    pid = make_portfolio(alice_api, currencies=["usd"])
    add_offset(alice_api, pid, {"btc": "1"})

    _spot(timedelta(minutes=1))
    assert check("tickers") == "ok"

    _spot(timedelta(seconds=SPOT_REFRESH_SECONDS * 2 + 60))
    assert check("tickers") == "failing"
