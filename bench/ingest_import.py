"""Statement import speed and memory on PostgreSQL, through the command and through the API.

    .venv/bin/python bench/ingest_import.py [ROWS ...]        (default: 10000 50000 100000)

For each size it writes a realistic V4 statement (newest first; ids whose first 8 hex digits
are the row's Unix time; buys, sells, sends, receives, staking income, rewards, card spends,
advanced trades, one Convert in twenty with its other leg in Notes, deposits and withdrawals;
`$` money with thousands separators; ten assets) to a temporary file, row by row, and imports
it into a fresh portfolio of a scratch database:

- command: ``manage.py import_coinbase_csv`` (``call_command``; the service path);
- api: ``POST /api/portfolios/ID/ingest/csv`` through Django's WSGI handler in-process: the
  multipart body is streamed from a file on disk as ``wsgi.input`` (as a server would), so the
  whole stack runs (middleware, OAuth2 token, DRF, Django's upload handlers spooling the file
  to a temporary file) and nothing on the client side holds the body in memory.

The sizes run in order, each through the command first and then the API, into one database:
the statement of a smaller size is the start of a larger one, so the first run of each size
stores the prices its file shows (a first import), and the API run of that size finds them
stored (a re-import: PostgreSQL only checks them against the unique index). Compare command
and API figures with that in mind.

The work an import enqueues for after its commit (transfer matching, cost-basis rebuild: the
other modules' hooks) is switched off: it runs on a worker, after the answer.

Each measurement runs in its own process: one timed run (wall clock and rows/s of file rows;
CPU seconds of this process, the parser thread included, and of its PostgreSQL backend, read
from /proc when the server is local; the 1-minute load average; the process's peak RSS,
ru_maxrss, Django included) and one run under tracemalloc (peak of Python allocations during
the import alone). Flat memory figures across 10k/50k/100k rows show that memory does not grow
with the file. On a busy machine the wall clock says more about the neighbours than about the
import: rows per CPU-second (Python + PostgreSQL) is the steadier figure.

The database: ``DATABASE_URL`` when set (it must be PostgreSQL; the bench adds users and
portfolios to it), else a scratch ``bench_ingest`` database on postgres://postgres@127.0.0.1:5432
that is dropped and created again, then migrated.
"""

from __future__ import annotations

import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import database_url, run_child  # noqa: E402

SCRATCH_DB = "bench_ingest"
HEADER = (
    "\ufeff\nTransactions\nUser,Bench User,1d5ebcbd-f257-5d9c-9fc2-d433a527aa71\n"
    "ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,Price at Transaction,"
    "Subtotal,Total (inclusive of fees and/or spread),Fees and/or Spread,Notes\n"
)
ASSETS = {  # code: (price in USD, typical quantity)
    "BTC": (95000, 0.002),
    "ETH": (3300, 0.05),
    "SOL": (180, 1.5),
    "ADA": (0.9, 400),
    "DOGE": (0.32, 1500),
    "AVAX": (38, 4),
    "LINK": (21, 8),
    "DOT": (7.5, 30),
    "XLM": (0.4, 700),
    "USDC": (1, 150),
}
CRYPTO = [code for code in ASSETS if code != "USDC"]


def _money(amount: float, sign: str = "") -> str:
    text = f"{sign}${amount:,.2f}"
    return f'"{text}"' if "," in text else text


def statement_rows(rows: int, seed: int = 7):
    """The data rows of a V4 statement, newest first; each one line."""
    rnd = random.Random(seed)
    end = datetime(2025, 12, 31, tzinfo=UTC)
    for n in range(rows):
        moment = end - timedelta(seconds=n * 97 + rnd.randrange(60))
        ident = f"{int(moment.timestamp()):08x}{n:016x}"
        ts = f"{moment:%Y-%m-%d %H:%M:%S} UTC"
        asset = rnd.choice(CRYPTO)
        base_price, size = ASSETS[asset]
        price = base_price * rnd.uniform(0.6, 1.4)
        qty = round(size * rnd.uniform(0.1, 3), 8)
        value = qty * price
        fee = round(value * 0.015, 2)
        pick = n % 20
        if pick in (0, 1, 2, 3, 4, 5):
            fields = (
                "Buy", asset, f"{qty:.8f}", _money(price), _money(value), _money(value + fee),
                _money(fee), f"Bought {qty:.8f} {asset} for {value + fee:.2f} USD",
            )  # fmt: skip
        elif pick in (6, 7):
            fields = (
                "Sell", asset, f"-{qty:.8f}", _money(price), _money(value), _money(value - fee),
                f"-{fee:.2f}", f"Sold {qty:.8f} {asset} for {value - fee:.2f} USD",
            )  # fmt: skip
        elif pick == 8:
            fields = (
                "Send", asset, f"-{qty:.8f}", _money(price), _money(value, "-"),
                _money(value, "-"), "$0.00", f"Sent {qty:.8f} {asset} to bc1qxy2kgdygjrsqtzq2n0yr",
            )  # fmt: skip
        elif pick == 9:
            fields = (
                "Receive", asset, f"{qty:.8f}", _money(price), _money(value), _money(value),
                "$0.00", f"Received {qty:.8f} {asset} from an external account",
            )  # fmt: skip
        elif pick in (10, 11, 12):
            small = round(qty / 300, 8) or 1e-8
            fields = (
                "Staking Income", asset, f"{small:.8f}", _money(price), _money(small * price),
                _money(small * price), "$0.00", "",
            )  # fmt: skip
        elif pick == 13:
            fields = (
                "Receive", "USDC", "0.002727", "$1.00", "$0.00", "$0.00", "$0.00",
                "Received 0.002727 USDC from Coinbase Rewards",
            )  # fmt: skip
        elif pick == 14:
            spend = round(rnd.uniform(3, 80), 2)
            fields = (
                "Card Spend", "USDC", f"-{spend}", "$1.00", _money(spend, "-"), _money(spend, "-"),
                "$0.00", "",
            )  # fmt: skip
        elif pick == 15:
            fields = (
                "Advanced Trade Buy", asset, f"{qty:.8f}", _money(price), _money(value),
                _money(value + fee / 3), _money(fee / 3),
                f"Bought {qty:.8f} {asset} for {value + fee / 3:.2f} USD on {asset}-USD",
            )  # fmt: skip
        elif pick == 16:
            got = round(value / 1.0, 6)
            fields = (
                "Convert", asset, f"-{qty:.8f}", _money(price), _money(value, "-"),
                _money(value, "-"), "$0.00", f"Converted {qty:.8f} {asset} to {got} USDC",
            )  # fmt: skip
        elif pick == 17:
            cash = rnd.choice((100, 250, 500, 1000))
            fields = ("Deposit", "USD", f"{cash}", "$1.00", _money(cash), _money(cash), "$0.00", "")
        elif pick == 18:
            fields = (
                "Learning Reward", asset, f"{qty / 50:.8f}", _money(price),
                _money(qty / 50 * price), _money(qty / 50 * price), "$0.00",
                f"Received {qty / 50:.8f} {asset} from Coinbase as a learning reward",
            )  # fmt: skip
        else:
            cash = rnd.choice((50, 100, 200))
            fields = (
                "Withdrawal", "USD", f"-{cash}", "$1.00", _money(cash), _money(cash), "$0.00", "",
            )  # fmt: skip
        kind, asset_code, qty_text, *money, notes = fields
        yield f"{ident},{ts},{kind},{asset_code},{qty_text},USD,{','.join(money)},{notes}\n"


def write_statement(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for line in statement_rows(rows):
            out.write(line)


# -- one measurement, in a process of its own ----------------------------------------------


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("TASKS_SYNC", "1")
    os.environ["DEBUG"] = "0"  # no query log
    import django

    django.setup()


def _fresh_portfolio(tag: str):
    from portfolios.services import portfolio_create
    from users.models import User

    email = f"bench-{tag}-{time.time_ns()}@example.com"
    user = User.objects.create_user(email=email, password="bench-password-1", name="Bench")
    return user, portfolio_create(user=user, title="Bench", currency_codes=["usd"], source="web")


def _via_command(path: Path, portfolio) -> None:
    from django.core.management import call_command

    call_command(
        "import_coinbase_csv",
        str(path),
        portfolio=portfolio.pk,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )


def _via_api(path: Path, user, portfolio) -> None:
    from django.core.handlers.wsgi import WSGIHandler
    from django.utils import timezone
    from oauth2_provider.models import AccessToken

    token = AccessToken.objects.create(
        user=user,
        token=f"bench-{time.time_ns()}",
        expires=timezone.now() + timedelta(hours=1),
        scope="read write",
    )
    boundary = "benchboundary7d93a1"
    with tempfile.TemporaryDirectory() as tmp:
        body = Path(tmp) / "body"
        with body.open("wb") as out, path.open("rb") as statement:
            out.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{path.name}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
            )
            while chunk := statement.read(1 << 20):
                out.write(chunk)
            out.write(f"\r\n--{boundary}--\r\n".encode())
        status: list[str] = []

        def start_response(
            s: str, headers: list[tuple[str, str]], exc_info: object = None
        ) -> Callable[[bytes], object]:
            status.append(s)
            return lambda data: None  # the body comes back as the handler's iterable

        with body.open("rb") as wsgi_input:
            environ = {
                "REQUEST_METHOD": "POST",
                "PATH_INFO": f"/api/portfolios/{portfolio.pk}/ingest/csv",
                "QUERY_STRING": "",
                "SERVER_NAME": "testserver",
                "SERVER_PORT": "80",
                "HTTP_HOST": "testserver",
                "SERVER_PROTOCOL": "HTTP/1.1",
                "CONTENT_TYPE": f"multipart/form-data; boundary={boundary}",
                "CONTENT_LENGTH": str(body.stat().st_size),
                "HTTP_AUTHORIZATION": f"Bearer {token.token}",
                "wsgi.input": wsgi_input,
                "wsgi.url_scheme": "http",
                "wsgi.errors": sys.stderr,
                "wsgi.version": (1, 0),
                "wsgi.multithread": False,
                "wsgi.multiprocess": False,
                "wsgi.run_once": False,
            }
            response = WSGIHandler()(environ, start_response)
            content = b"".join(response)
    if not status or not status[0].startswith("201"):
        raise SystemExit(f"API import failed: {status} {content[:500]!r}")


def measure(path: Path, rows: int, via: str, traced: bool) -> dict:
    _django()
    from ingest import services
    from ledger.models import LedgerEntry

    # The work an import enqueues for later (transfer matching, cost-basis rebuild) runs on a
    # worker after the answer; it is not part of the import's figure, so it is not enqueued
    # here (patch.object fails loudly should the function be renamed).
    mock.patch.object(services, "_after_import_enqueue", lambda portfolio_id: None).start()

    user, portfolio = _fresh_portfolio(via)
    backend = _backend_cpu()
    if traced:
        tracemalloc.start()
    started, cpu, pg = time.perf_counter(), time.process_time(), backend()
    if via == "command":
        _via_command(path, portfolio)
    else:
        _via_api(path, user, portfolio)
    seconds = time.perf_counter() - started
    cpu, pg = time.process_time() - cpu, backend() - pg
    peak = tracemalloc.get_traced_memory()[1] if traced else None
    stored = LedgerEntry.objects.filter(portfolio=portfolio).count()
    return {
        "rows": rows,
        "entries": stored,
        "seconds": seconds,
        "python_cpu": cpu,
        "postgres_cpu": pg,
        "load": os.getloadavg()[0],
        "tracemalloc_peak": peak,
        "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def _backend_cpu():
    """CPU seconds used so far by this connection's PostgreSQL backend process (when the
    server is on this machine; else always 0)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    stat = Path(f"/proc/{pid}/stat")

    def read() -> float:
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    return read


# -- the orchestra --------------------------------------------------------------------------


def _database_url() -> str:
    return database_url(SCRATCH_DB)


def _child(args: list[str], env: dict) -> dict:
    return run_child(__file__, args, env)


def main(sizes: list[int]) -> None:
    env = {**os.environ, "DATABASE_URL": _database_url()}
    env.setdefault("SECRET_KEY", "bench-only-secret-key")
    print(f"database: {env['DATABASE_URL']}", flush=True)
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"],
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        check=True,
    )
    print(
        f"{'rows':>7} {'via':<8} {'entries':>8} {'MiB':>5} {'seconds':>8} {'rows/s':>8} "
        f"{'py CPU':>7} {'pg CPU':>7} {'rows/CPU-s':>10} {'load':>5} "
        f"{'tracemalloc peak':>17} {'ru_maxrss':>10}"
    )
    api_runs: dict[int, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for rows in sizes:
            path = Path(tmp) / f"statement-{rows}.csv"
            write_statement(path, rows)
            mib = path.stat().st_size / 2**20
            for via in ("command", "api"):
                timed = _child(["--one", str(path), str(rows), via], env)
                traced = _child(["--one", str(path), str(rows), via, "--traced"], env)
                busy = timed["python_cpu"] + timed["postgres_cpu"]
                if via == "api":
                    api_runs[rows] = {**timed, "peak": traced["tracemalloc_peak"]}
                print(
                    f"{rows:>7} {via:<8} {timed['entries']:>8} {mib:>5.1f} "
                    f"{timed['seconds']:>8.2f} {rows / timed['seconds']:>8,.0f} "
                    f"{timed['python_cpu']:>7.2f} {timed['postgres_cpu']:>7.2f} "
                    f"{rows / busy:>10,.0f} {timed['load']:>5.1f} "
                    f"{traced['tracemalloc_peak'] / 2**20:>13.1f} MiB "
                    f"{timed['maxrss_kib'] / 1024:>6.0f} MiB",
                    flush=True,
                )
    print_target(api_runs)


TARGET_ROWS = 100_000
TARGET_RATE = 20_000


def print_target(api_runs: dict[int, dict]) -> None:
    """Issue 14: >= 20,000 rows/s through the API at 100,000 rows, memory flat. "met" only when
    the run included 100,000 rows (and, for memory, a smaller size to compare with)."""
    print("\nissue 14 target (the machine's other load moves the wall clock; rows/CPU-s less):")
    run = api_runs.get(TARGET_ROWS)
    if run is None:
        print(f"  import through the API: (not at target size: {TARGET_ROWS:,} rows)")
    else:
        rate = TARGET_ROWS / run["seconds"]
        busy = TARGET_ROWS / (run["python_cpu"] + run["postgres_cpu"])
        print(
            f"  import through the API, {TARGET_ROWS:,} rows: {rate:,.0f} rows/s "
            f"({busy:,.0f} rows per CPU-second)   target >= {TARGET_RATE:,}   "
            + ("met" if rate >= TARGET_RATE else "NOT met")
        )
    sizes = sorted(api_runs)
    if len(sizes) < 2 or TARGET_ROWS not in api_runs:
        print("  memory flat: (needs a smaller size and 100,000 rows in the same run)")
        return
    low, high = api_runs[sizes[0]]["peak"], api_runs[TARGET_ROWS]["peak"]
    flat = high <= low * 1.5 + 2**20
    print(
        f"  memory: tracemalloc peak {low / 2**20:.1f} MiB at {sizes[0]:,} rows, "
        f"{high / 2**20:.1f} MiB at {TARGET_ROWS:,}   target flat   "
        + ("met" if flat else "NOT met")
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        _, _, file, count, how, *rest = sys.argv
        result = measure(Path(file), int(count), how, traced=rest == ["--traced"])
        print(json.dumps(result))
    else:
        main([int(a) for a in sys.argv[1:]] or [10_000, 50_000, 100_000])
