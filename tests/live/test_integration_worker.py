"""End to end with real processes: a Celery worker on the real Redis fetches an address and the
prices from a fake Esplora + CoinGecko on 127.0.0.1 (tests/fakes/server.py), while a client
polls the API of a live server until the totals are ready.

Needs PostgreSQL (the worker is another process and must see the test database) and Redis
(``REDIS_URL``); CI sets both. Everything of this test lives on its own Redis database
(``INTEGRATION_REDIS_DB``, 14 unless set), which is emptied first, so no other queue's
messages are consumed and no other run's keys are touched.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from decimal import Decimal, localcontext
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import requests
from django.core.cache import cache
from django.db import connection

from core.money import format_amount
from core.tasks import HEARTBEAT_KEY
from tests.conftest import make_token
from tests.fakes.server import RECORDED_ADDRESS, FakeServer
from users.models import User

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 60.0
WORKER_START_TIMEOUT = 30.0


def _redis_url_on_own_db() -> str:
    parts = urlsplit(os.environ["REDIS_URL"])
    db = os.environ.get("INTEGRATION_REDIS_DB", "14")
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", "", ""))


def _database_url() -> str:
    """The pytest-django test database (``test_<name>``), for the worker process."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    credentials = f"{user}{password}@" if user else ""
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{db['NAME']}"


@pytest.fixture
def requirements():
    if not os.environ.get("REDIS_URL"):
        pytest.skip("integration: set REDIS_URL (a real Redis) to run the Celery worker test")
    if connection.vendor != "postgresql":
        pytest.skip(
            "integration: needs PostgreSQL (DATABASE_URL) so a worker process shares the test database"
        )


@contextmanager
def broker_for_this_test(settings, redis_url: str):
    """This process's cache, rate limits and Celery producer on ``redis_url``; restored after."""
    import redis

    from config.celery import app

    redis.Redis.from_url(redis_url).flushdb()  # purge: our own database, nothing else's
    settings.REDIS_URL = redis_url
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    }
    settings.CELERY_BROKER_URL = redis_url
    settings.TASKS_SYNC = False
    settings.TASKS_IN_PROCESS = False
    previous = app.conf.broker_url
    _reset_producer_pool(app)
    app.conf["broker_url"] = redis_url
    try:
        yield
    finally:
        _reset_producer_pool(app)
        app.conf["broker_url"] = previous


def _reset_producer_pool(app) -> None:
    """Forget every broker connection this process holds: the app's pool, its producer pool and
    kombu's shared registry of both (keyed by URL: a test's own Redis may reuse a port, and a
    pool closed for an earlier test would answer "Acquire on closed pool")."""
    from kombu import pools

    pool = app.__dict__.get("_pool")
    if pool is not None:
        pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    pools.reset()


@contextmanager
def celery_worker(env: dict[str, str]):
    """``celery -A config worker --pool=solo`` as a subprocess; its log is shown on failure."""
    log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"integration-{uuid.uuid4().hex[:8]}@%h",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    except BaseException:
        log.flush()
        print(Path(log.name).read_text()[-6000:], file=sys.stderr)
        raise
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()
        Path(log.name).unlink(missing_ok=True)


def wait_for(what: str, check, timeout: float, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def test_a_real_worker_fetches_what_the_api_waits_for(requirements, live_server, settings):
    started = time.monotonic()
    redis_url = _redis_url_on_own_db()
    with (
        FakeServer() as fake,
        broker_for_this_test(settings, redis_url),
        celery_worker(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings_test",
                "DATABASE_URL": _database_url(),
                "CONN_MAX_AGE": "0",
                "REDIS_URL": redis_url,
                "TASKS_SYNC": "0",
                "ESPLORA_BTC_URL": fake.esplora_url,
                "COINGECKO_URL": fake.coingecko_url,
                "COINGECKO_API_KEY": "",
                "HTTP_TIMEOUT_SECONDS": "5",
            }
        ) as worker,
    ):
        # Given a worker that came up (its heartbeat is in the shared cache)
        wait_for(
            "the worker to start",
            lambda: worker.poll() is not None or cache.get(HEARTBEAT_KEY),
            WORKER_START_TIMEOUT,
        )
        assert worker.poll() is None, "the worker exited"

        # and a user who adds an address through the API
        alice = User.objects.create_user(email="alice@example.com", password="alice-password-1")
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {make_token(alice, 'read write').token}"
        base = f"{live_server.url}/api/portfolios"
        created = api.post(base, json={"title": "Main", "currencies": ["btc", "usd"]}, timeout=10)
        assert created.status_code == 201, created.text
        pid = created.json()["result"]["id"]
        added = api.post(
            f"{base}/{pid}/addresses",
            json={"title": "Cold", "address": RECORDED_ADDRESS, "currency": "btc"},
            timeout=10,
        )
        assert added.status_code == 201, added.text
        aid = added.json()["result"]["id"]

        # When the client asks for the converted totals, it is told to come back
        first = api.get(f"{base}/{pid}/converted", timeout=10)
        assert first.status_code == 503, first.text
        assert first.json()["message"] == "Not ready" and first.json()["try_again_at"]

        # Then, polling, the worker's fetches make them ready
        def ready(url: str):
            response = api.get(url, timeout=10)
            assert response.status_code in (200, 503), response.text
            return response.json() if response.status_code == 200 else None

        converted = wait_for(
            "converted totals", lambda: ready(f"{base}/{pid}/converted"), READY_TIMEOUT
        )
        balances = ready(f"{base}/{pid}/balances")
        address_balances = ready(f"{base}/{pid}/addresses/{aid}/balances")
        transactions = ready(f"{base}/{pid}/addresses/{aid}/transactions")
        status = api.get(f"{live_server.url}/api/status", timeout=10)
        # and the daily prices of the newly held bitcoin, by a task the address fetch queued
        wait_for(
            "the daily prices",
            lambda: any("/market_chart/range" in p for p in fake.requests) or None,
            READY_TIMEOUT,
        )

    # and the figures are the fixture's, exactly
    with localcontext(prec=100):
        usd = Decimal("5.5535165") * Decimal("67187.33589365664123")
    assert [(r["currency"]["code"], r["balance"]) for r in converted["result"]] == [
        ("btc", "5.5535165"),
        ("usd", format_amount(usd)),
    ]
    assert format_amount(usd) == "373125.978476464402405385295"
    assert converted["unpriced"] == []
    assert [(r["currency"]["code"], r["balance"], r["source"]) for r in balances["result"]] == [
        ("btc", "5.5535165", "esplora-btc"),
        ("usd", "0.0", "calculated"),
    ]
    [row] = address_balances["result"]
    assert (row["balance"], row["transactions"], row["source"]) == ("5.5535165", 32, "esplora-btc")
    assert transactions["count"] == 33
    # the worker answered: jobs ok from its heartbeat, tickers ok from the prices it stored
    assert status.status_code == 200, status.text
    assert status.json()["result"]["failing"] == []
    # one fetch of the address (3 Esplora requests), one spot price request, and the daily
    # prices of the newly held bitcoin, asked for once, as soon as its history was fetched
    esplora = [p for p in fake.requests if p.startswith("/esplora/")]
    spot = [p for p in fake.requests if p.startswith("/coingecko/api/v3/simple/price")]
    daily = [p for p in fake.requests if "/coins/bitcoin/market_chart/range" in p]
    assert len(esplora) == 3 and len(spot) == 1 and len(daily) == 1, fake.requests
    assert len(fake.requests) == 5, fake.requests
    assert time.monotonic() - started < 60
