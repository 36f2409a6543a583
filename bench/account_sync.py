"""Syncing an exchange account with a long history: Kraken's real ccxt client against a local
fake Kraken (an HTTP server on 127.0.0.1 that ``EXCHANGE_URLS`` points at).

    .venv/bin/python bench/account_sync.py [TRADES ...]        (default: 50000)

For each size the fake holds that many trades (plus a deposit, a withdrawal and a staking
reward) and a first sync of a fresh account stores them all into the ledger (three rows a
trade: base, quote, fee). Reported per size: ledger rows per second (wall clock), the peak of
Python allocations during the sync (tracemalloc, a second run: flat across sizes means memory
does not grow with the history), and the HTTP requests sent against the minimum Kraken's page
size allows (50 trades a page: ceil(trades / 50) + the six other calls). The work a sync
enqueues after its commit (the cost-basis rebuild) is switched off: a worker does it later.

The database: ``DATABASE_URL`` when set (PostgreSQL), else a scratch ``bench_accounts``
database on postgres://postgres@127.0.0.1:5432, dropped, created and migrated.
"""

from __future__ import annotations

import bisect
import json
import math
import os
import sys
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from unittest import mock
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import database_url, run_child  # noqa: E402

SCRATCH_DB = "bench_accounts"


class _NoMock:
    def add_callback(self, *args, **kwargs) -> None:
        return None


def fake_server(trades: int):
    """The fake Kraken of the tests, served over HTTP; trades kept newest first once."""
    from tests.accounts.fakes import FakeKraken

    fake = FakeKraken(_NoMock(), trades=trades)  # type: ignore[arg-type]
    newest_first = sorted(fake.trades.items(), key=lambda kv: -float(kv[1]["time"]))
    negated_times = [-float(t["time"]) for _, t in newest_first]  # ascending, for bisect
    count = {"requests": 0}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            return None

        def _serve(self, method: str) -> None:
            count["requests"] += 1
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            params = {k: v[-1] for k, v in parse_qs(parts.query + "&" + body).items()}
            if parts.path.endswith("/TradesHistory"):
                # Pages are slices: the fake allocates one page, not the whole history, so the
                # peak measured is the sync's.
                start = float(params.get("start", 0))
                newer = bisect.bisect_left(negated_times, -start)
                offset = int(params.get("ofs", 0))
                page = newest_first[offset : min(offset + 50, newer)]
                status, payload = (
                    200,
                    {
                        "error": [],
                        "result": {"trades": dict(page), "count": newer},
                    },
                )
            else:
                status, payload = fake.route(method, parts.path, params, self)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, count


def child(trades: int, traced: bool) -> dict:
    server, count = fake_server(trades)
    os.environ["EXCHANGE_URLS"] = json.dumps({"kraken": f"http://127.0.0.1:{server.server_port}"})
    os.environ["EXCHANGE_CCXT_RATE_LIMIT_MS"] = json.dumps({"kraken": 0.001})
    # A budget the fake allows (the real default is ccxt's Kraken rateLimit: 60 a minute).
    os.environ["EXCHANGE_RATE_LIMITS"] = json.dumps({"kraken": [100, 1]})
    # DEBUG off: with it Django keeps every query in memory, which would be the bench's peak.
    from cryptography.fernet import Fernet

    os.environ["FERNET_KEYS"] = Fernet.generate_key().decode()
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()
    from accounts.services import account_create
    from accounts.sync import account_sync
    from ledger.models import LedgerEntry
    from portfolios.services import portfolio_create
    from tests.accounts.fakes import API_KEY, SECRET
    from users.models import User

    user = User.objects.create_user(email=f"bench-{time.time_ns()}@example.com", password="x")
    portfolio = portfolio_create(user=user, title="Bench", currency_codes=["usd"], source="bench")
    with mock.patch("accounts.tasks.account_fetch_enqueue", return_value=True):
        account = account_create(
            portfolio=portfolio,
            title="Kraken",
            exchange="kraken",
            credentials={"apiKey": API_KEY, "secret": SECRET},
        )
    with mock.patch("accounts.sync.after_ledger_change"):
        if traced:
            tracemalloc.start()
        started = time.perf_counter()
        result = account_sync(account_id=account.pk)
        took = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] if traced else 0
    assert result.ok, result.error
    rows = LedgerEntry.objects.filter(wallet__account__pk=account.pk).count()
    server.shutdown()
    return {
        "trades": trades,
        "rows": rows,
        "seconds": took,
        "peak_mib": peak / 2**20,
        "requests": count["requests"],
        "minimum": math.ceil(trades / 50) + 6,
    }


def main(argv: list[str]) -> None:
    if argv and argv[0] == "--child":
        print(json.dumps(child(int(argv[1]), argv[2] == "traced")))
        return
    sizes = [int(a) for a in argv] or [50_000]
    env = {**os.environ, "DATABASE_URL": database_url(SCRATCH_DB)}
    import subprocess

    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0"],
        env={**env, "DEBUG": "1", "SECRET_KEY": "bench-only"},
        check=True,
    )
    print(f"{'trades':>8} {'rows':>8} {'rows/s':>9} {'peak MiB':>9} {'requests':>9} {'minimum':>8}")
    for size in sizes:
        timed = run_child(__file__, ["--child", str(size), "plain"], env)
        traced = run_child(__file__, ["--child", str(size), "traced"], env)
        print(
            f"{size:>8} {timed['rows']:>8} {timed['rows'] / timed['seconds']:>9.0f} "
            f"{traced['peak_mib']:>9.1f} {timed['requests']:>9} {timed['minimum']:>8}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
