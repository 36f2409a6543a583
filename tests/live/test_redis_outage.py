"""Redis down is an outage, not a crash (issue 11, point 3), with real processes: a Redis of this
test's own (``redis-server`` on a free port, never the machine's shared one), a live server,
and a Celery worker started as the README says (``celery -A config worker``, no extra flags).

The test stops that Redis under the running stack and checks that stored data is still
answered, that work needing the queue answers 503 ``Unavailable`` with ``try_again_at`` and is
kept in the outbox, that an import is stored and answered 201 with its follow-up work kept, that
/api/status names the broker, that the dashboard shows a banner and that the worker stays up;
then it starts Redis again and checks that the worker reconnects and runs the kept work.

Needs PostgreSQL (``DATABASE_URL``: the worker is another process and must see the test
database) and the ``redis-server`` program.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests
from django.db import connection
from django.test import Client
from django.utils import timezone

from core.models import OutboxMessage
from ledger.models import Import
from tests.conftest import make_token
from tests.fakes.server import RECORDED_ADDRESS, FakeServer
from tests.live.test_integration_worker import _database_url, _reset_producer_pool, wait_for
from users.models import User

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROOT = Path(__file__).resolve().parents[2]
STATEMENT = ROOT / "tests" / "ingest" / "statements" / "l1_buys_sells.csv"
BANNER = "Background work is paused."


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    """``redis-server`` on a port of its own, no persistence; stopped and started at will."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.dir = tempfile.mkdtemp(prefix="own-redis-")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        wait_for("redis-server to answer", lambda: _pings(client), 10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


def _pings(client) -> bool:
    try:
        return bool(client.ping())
    except Exception:
        return False


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("integration: needs the redis-server program")
    if connection.vendor != "postgresql":
        pytest.skip("integration: needs PostgreSQL (DATABASE_URL) shared with a worker process")
    server = OwnRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)


@contextmanager
def stack_on(settings, redis_url: str) -> Iterator[None]:
    """This process (the live server, the test client) on ``redis_url``, as production is
    configured: the cache falling back to the database table, tasks through the outbox."""
    from django.db import connection

    from config.celery import app
    from core import cache as fallback

    # Nothing of an earlier test's outage: its pause (kept per Redis URL, and a test's own Redis
    # may reuse a port) and what the database table held meanwhile.
    fallback._down_until.clear()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM cache_table")
    previous_caches = settings.CACHES
    settings.REDIS_URL = redis_url
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.FallbackCache",
            "LOCATION": redis_url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
        },
        "database": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "cache_table",
        },
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
        settings.CACHES = previous_caches  # the live tests' cleanup reads the usual cache


@contextmanager
def readme_worker(
    env: dict[str, str], *, pool: str = "prefork"
) -> Iterator[tuple[subprocess.Popen, Path]]:
    """``celery -A config worker`` as the README starts it (one child process; ``solo`` runs
    tasks in the worker process itself, so that killing it kills the task)."""
    log = Path(tempfile.mkstemp(prefix="celery-outage-", suffix=".log")[1])
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "info", "-c", "1"]
            + [f"--pool={pool}"]
            + ["-n", f"outage-{uuid.uuid4().hex[:8]}@%h"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process, log
    except BaseException:
        print(log.read_text()[-8000:], file=sys.stderr)
        raise
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.unlink(missing_ok=True)


def test_a_redis_outage_keeps_data_answers_and_work(own_redis, live_server, settings):
    with (
        FakeServer() as fake,
        stack_on(settings, own_redis.url),
        readme_worker(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings_test",
                "DATABASE_URL": _database_url(),
                "CONN_MAX_AGE": "0",
                "REDIS_URL": own_redis.url,
                "TASKS_SYNC": "0",
                "ESPLORA_BTC_URL": fake.esplora_url,
                "COINGECKO_URL": fake.coingecko_url,
                "COINGECKO_API_KEY": "",
                "HTTP_TIMEOUT_SECONDS": "5",
            }
        ) as (worker, log),
    ):
        # Given a running stack and a user with a portfolio whose prices the worker fetched
        alice = User.objects.create_user(email="alice@example.com", password="alice-password-1")
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {make_token(alice, 'read write').token}"
        base = f"{live_server.url}/api/portfolios"
        created = api.post(base, json={"title": "Main", "currencies": ["btc", "usd"]}, timeout=10)
        assert created.status_code == 201, created.text
        pid = created.json()["result"]["id"]
        offset = {"title": "Paper", "balances": [{"currency": "btc", "balance": "1.5"}]}
        assert api.post(f"{base}/{pid}/offsets", json=offset, timeout=10).status_code == 201

        def answer(url: str):
            response = api.get(url, timeout=15)
            assert response.status_code in (200, 503), response.text
            return response.json() if response.status_code == 200 else None

        converted_before = wait_for(
            "prices fetched by the worker", lambda: answer(f"{base}/{pid}/converted"), 90
        )
        balances_before = answer(f"{base}/{pid}/balances")
        assert worker.poll() is None

        # When its Redis stops
        own_redis.stop()
        stopped_at = timezone.now()

        # then stored data is still answered: totals and the value history
        assert answer(f"{base}/{pid}/balances")["result"] == balances_before["result"]
        converted = api.get(f"{base}/{pid}/converted", timeout=15)
        assert converted.status_code == 200, converted.text
        assert converted.json()["result"] == converted_before["result"]
        history = api.get(f"{base}/{pid}/converted/history?currency=usd&days=30", timeout=15)
        assert history.status_code in (200, 503), history.text
        if history.status_code == 503:
            assert history.json()["message"] == "Unavailable"

        # and a refresh is accepted, its work kept in the outbox rather than lost
        refresh = api.post(f"{base}/{pid}/refresh", timeout=15)
        assert refresh.status_code < 500, refresh.text

        # and a new address is stored, its first fetch waiting for the queue: 503 Unavailable
        added = api.post(
            f"{base}/{pid}/addresses",
            json={"title": "Cold", "address": RECORDED_ADDRESS, "currency": "btc"},
            timeout=15,
        )
        assert added.status_code == 201, added.text
        aid = added.json()["result"]["id"]
        waiting = api.get(f"{base}/{pid}/addresses/{aid}/balances", timeout=15)
        assert waiting.status_code == 503, waiting.text
        body = waiting.json()
        assert body["success"] is False and "result" not in body
        assert body["message"] == "Unavailable"
        try_again_at = datetime.fromisoformat(body["try_again_at"])
        assert try_again_at > stopped_at and body["try_again_at"].endswith("+00:00")
        assert int(waiting.headers["Retry-After"]) >= 1
        assert OutboxMessage.objects.filter(task="addresses.tasks.address_fetch").exists()

        # and an import is stored and answered 201, its follow-up work in the outbox
        imported = api.post(
            f"{base}/{pid}/ingest/csv",
            files={"file": ("statement.csv", STATEMENT.read_bytes(), "text/csv")},
            timeout=30,
        )
        assert imported.status_code == 201, imported.text
        assert Import.objects.filter(pk=imported.json()["result"]["id"]).exists()
        assert OutboxMessage.objects.filter(task="ingest.tasks.after_import_run").exists()
        # while a refused file stores nothing, outage or not
        imports_before = Import.objects.count()
        refused = api.post(
            f"{base}/{pid}/ingest/csv",
            files={"file": ("statement.csv", b"not,a,statement\n1,2,3\n", "text/csv")},
            timeout=30,
        )
        assert 400 <= refused.status_code < 500, refused.text
        assert Import.objects.count() == imports_before

        # and /api/status names the broker
        status = requests.get(f"{live_server.url}/api/status", timeout=15)
        assert status.status_code == 503, status.text
        assert "broker" in status.json()["failing"]
        assert "database" in status.json()["ok"]

        # and the dashboard's portfolio page shows what is stored under a banner
        browser = Client()
        browser.force_login(alice)
        page = browser.get(f"/portfolios/{pid}/")
        assert page.status_code == 200
        assert BANNER in page.content.decode()

        # and the worker is still there, trying to reconnect
        time.sleep(8)
        assert worker.poll() is None, log.read_text()[-4000:]

        # When Redis comes back
        own_redis.start()

        # then the worker reconnects and runs the kept work: the address is fetched
        fetched = wait_for(
            "the kept fetch to run", lambda: answer(f"{base}/{pid}/addresses/{aid}/balances"), 120
        )
        assert [(r["currency"]["code"], r["balance"]) for r in fetched["result"]] == [
            ("btc", "5.5535165")
        ]
        wait_for(
            "the outbox to empty", lambda: not OutboxMessage.objects.exists(), 60, interval=0.5
        )
        assert worker.poll() is None
        assert "Unrecoverable" not in log.read_text()
        # and the broker is reported ok again, the banner gone
        status = requests.get(f"{live_server.url}/api/status", timeout=15)
        assert "broker" not in (
            status.json().get("failing") or status.json()["result"]["failing"]
        ), status.text
        assert BANNER not in browser.get(f"/portfolios/{pid}/").content.decode()
        assert any(p.startswith("/esplora/") for p in fake.requests)
        assert timezone.now() - stopped_at < timedelta(minutes=5)


class BlackHole:
    """A TCP server that accepts connections and never answers: a fetch against it hangs."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/esplora/api"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()


def test_a_worker_killed_mid_fetch_blocks_the_fetch_for_one_lease_only(
    own_redis, live_server, settings
):
    import redis

    lease = 3
    settings.TASK_FLAG_LEASE_SECONDS = lease
    hole = BlackHole()
    broker = redis.Redis.from_url(own_redis.url)
    try:
        with (
            stack_on(settings, own_redis.url),
            readme_worker(
                {
                    "DJANGO_SETTINGS_MODULE": "config.settings_test",
                    "DATABASE_URL": _database_url(),
                    "CONN_MAX_AGE": "0",
                    "REDIS_URL": own_redis.url,
                    "TASKS_SYNC": "0",
                    "ESPLORA_BTC_URL": hole.url,
                    "HTTP_TIMEOUT_SECONDS": "120",
                    "TASK_FLAG_LEASE_SECONDS": str(lease),
                },
                pool="solo",
            ) as (worker, _log),
        ):
            # Given an address whose first fetch a worker has started (the explorer hangs)
            alice = User.objects.create_user(email="alice@example.com", password="pw-alice-1")
            api = requests.Session()
            api.headers["Authorization"] = f"Bearer {make_token(alice, 'read write').token}"
            base = f"{live_server.url}/api/portfolios"
            pid = api.post(base, json={"title": "M", "currencies": ["btc"]}, timeout=10).json()[
                "result"
            ]["id"]
            aid = api.post(
                f"{base}/{pid}/addresses",
                json={"title": "Cold", "address": RECORDED_ADDRESS, "currency": "btc"},
                timeout=10,
            ).json()["result"]["id"]
            balances = f"{base}/{pid}/addresses/{aid}/balances"
            assert api.get(balances, timeout=10).status_code == 503
            wait_for("the fetch to reach the explorer", lambda: hole.accepted, 60)
            wait_for("the queue to be taken", lambda: broker.llen("celery") == 0, 10)

            # When the worker is killed in the middle of it
            worker.kill()
            worker.wait(timeout=10)
            killed = time.monotonic()

            # then the fetch is not enqueued again while its lease runs
            first = api.get(balances, timeout=10)
            assert first.status_code == 503 and first.json()["message"] == "Not ready"
            assert broker.llen("celery") == 0
            # and once the lease has run out (not the flag's 5 minutes), a request enqueues it
            wait_for(
                "the fetch to be enqueued again",
                lambda: (
                    api.get(balances, timeout=10).status_code == 503 and broker.llen("celery") == 1
                ),
                lease + 10,
                interval=0.5,
            )
            assert time.monotonic() - killed < lease + 10
    finally:
        hole.close()
