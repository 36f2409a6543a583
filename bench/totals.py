"""Portfolio totals endpoints: SQL queries per request, and requests per second under gunicorn.

    .venv/bin/python bench/totals.py [--addresses 50] [--small 5] [--txs 200] [--offsets 10]
                                     [--seconds 5] [--concurrency 4] [--workers 2]

Seeds a scratch PostgreSQL database (``bench_totals`` on postgres://postgres@127.0.0.1:5432,
dropped and created again, migrated; or ``BENCH_DATABASE_URL``) with two portfolios already
fetched: a large one (50 addresses of btc/ltc/eth, each with a fetched balance and 200 stored
transactions; 10 offsets of two balances each) and a small one (5 addresses, same otherwise),
reported in btc, usd and eur, with fresh spot prices. Then:

1. the number of SQL queries of GET /api/portfolios/ID/balances and /converted, in-process
   through Django's test client (``CaptureQueriesContext``), for 5 and for 50 addresses: it
   must not grow;
2. requests per second of each under ``gunicorn -w 2`` (sync workers), compared with a trivial
   Django view answering a constant JSON body through the same middleware (``/bench/trivial``,
   added by ``bench/settings.py`` + ``bench/urls.py`` only for this run) and with GET /api/user
   (the cheapest endpoint behind a token: the token lookup and one row, the floor of every
   private endpoint). The load generator is threads sending requests over plain sockets for N
   seconds each (gunicorn's sync workers close every connection, so every request pays the
   same connect). It runs on the same machine: compare the ratios, not the absolute rates.

3. the CPU time one request of each costs this process, in-process (best of five rounds):
   the figure least moved by whatever else the machine is doing;
4. a bounded concurrent run: ``--clients`` (20) threads on ``balances`` for
   ``--concurrent-seconds`` (30), each request timed: p50/p95/p99 and errors;
5. issue 14's table: each ratio and the concurrent run against its target, "met" only when
   measured at the target sizes (50 addresses x 200 transactions + 10 offsets, gunicorn -w 2,
   20 clients for 30 s), "not met" or "(not at target sizes)" otherwise.

The cache: ``REDIS_URL`` when set (as production runs: the bearer-token cache in Redis; give a
database number of your own), else the database cache table.

Nothing is fetched from outside: the data is fresh, and the outside services' URLs point at a
closed local port in case anything tried.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCRATCH_SERVER = "postgres://postgres@127.0.0.1:5432"
SCRATCH_DB = "bench_totals"
CLOSED = "http://127.0.0.1:9/"  # discard port: nothing listens
TOKEN = "bench-totals-read-token"


def database_url() -> str:
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    import psycopg

    with psycopg.connect(f"{SCRATCH_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {SCRATCH_DB}")
    return f"{SCRATCH_SERVER}/{SCRATCH_DB}"


def server_env(db_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key"),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "LOG_LEVEL": "WARNING",
        "ESPLORA_BTC_URL": CLOSED,
        "ESPLORA_LTC_URL": CLOSED,
        "ETHEREUM_RPC_URL": CLOSED,
        "ETHERSCAN_URL": CLOSED,
        "COINGECKO_URL": CLOSED,
        # The API's per-user throttle would answer 429 long before the machine's limit.
        "API_THROTTLE_USER_RATE": "1000000/second",
        "API_THROTTLE_ANON_RATE": "1000000/second",
    }
    # Redis when given (production's cache: bearer tokens are served from it), else
    # self-contained: the database cache, no broker.
    if not env.get("REDIS_URL"):
        env.pop("REDIS_URL", None)
    return env


# -- seeding ---------------------------------------------------------------------------------


def seed(*, title: str, addresses: int, txs: int, offsets: int, user) -> int:
    """One portfolio already fetched; returns its id."""
    from django.utils import timezone

    from addresses.models import Address, AddressBalance, AddressFetchState, AddressTransaction
    from currencies.models import Currency
    from offsets.models import Offset, OffsetBalance
    from portfolios.models import Portfolio, PortfolioCurrency

    now = timezone.now()
    cur = {
        c.code: c
        for c in Currency.objects.filter(code__in=["btc", "ltc", "eth", "usd", "eur", "doge"])
    }
    portfolio = Portfolio.objects.create(user=user, title=title, balances_last_updated=now)
    for position, code in enumerate(["btc", "usd", "eur"]):
        PortfolioCurrency.objects.create(portfolio=portfolio, currency=cur[code], position=position)
    chains = ["btc", "ltc", "eth"]
    rows = []
    for i in range(addresses):
        code = chains[i % 3]
        address = Address.objects.create(
            portfolio=portfolio,
            address=f"{title}-{code}-{i}",
            currency=cur[code],
            txns_last_updated=now,
        )
        AddressFetchState.objects.create(
            address=address,
            balances_fetched_at=now,
            sync_cursor=f"cursor{i}",
            history_complete=True,
        )
        AddressBalance.objects.create(
            address=address,
            currency=cur[code],
            balance=Decimal(i) + Decimal("0.12345678"),
            transactions=txs,
            sent=Decimal(i),
            received=Decimal(2 * i) + Decimal("0.12345678"),
            source="esplora-btc" if code != "eth" else "ethereum-rpc",
        )
        rows += [
            AddressTransaction(
                address=address,
                currency=cur[code],
                key=f"{title}-{i}-{t}",
                reference=f"{i:04d}{t:060d}",
                delta=Decimal(t % 7 - 3) / 100,
                fee=Decimal("0.0001") if t % 7 < 3 else Decimal(0),
                txn_at=now - timedelta(hours=t),
                block_height=800_000 + t,
                source="esplora-btc",
            )
            for t in range(txs)
        ]
    AddressTransaction.objects.bulk_create(rows, batch_size=2000)
    for i in range(offsets):
        offset = Offset.objects.create(portfolio=portfolio, title=f"offset {i}")
        OffsetBalance.objects.create(
            offset=offset, currency=cur["usd"], balance=Decimal(100 * i) + Decimal("0.5")
        )
        OffsetBalance.objects.create(offset=offset, currency=cur["doge"], balance=Decimal(i + 1))
    return portfolio.pk


def seed_prices() -> None:
    from django.utils import timezone

    from currencies.models import Currency
    from prices.models import SpotPrice

    now = timezone.now()
    table = {
        ("btc", "usd"): "60000.5",
        ("btc", "eur"): "55000.25",
        ("ltc", "usd"): "100.25",
        ("ltc", "eur"): "92.5",
        ("ltc", "btc"): "0.0016",
        ("eth", "usd"): "3000.75",
        ("eth", "eur"): "2750.5",
        ("eth", "btc"): "0.05",
        ("doge", "usd"): "0.123456789",
        ("doge", "eur"): "0.11",
        ("doge", "btc"): "0.000002",
    }
    cur = {c.code: c for c in Currency.objects.filter(code__in={c for pair in table for c in pair})}
    for (base, quote), price in table.items():
        SpotPrice.objects.create(
            base=cur[base],
            quote=cur[quote],
            price=Decimal(price),
            at=now,
            source="coingecko",
            fetched_at=now,
        )


def setup(args) -> tuple[int, int]:
    """Seed both portfolios and the read token; returns (small id, large id)."""
    from django.utils import timezone
    from oauth2_provider.models import AccessToken

    from users.models import User

    user = User.objects.create_user(
        email="bench@example.com", password="bench-password-1", name="Bench"
    )
    AccessToken.objects.create(
        user=user, token=TOKEN, scope="read", expires=timezone.now() + timedelta(days=1)
    )
    small = seed(title="small", addresses=args.small, txs=args.txs, offsets=args.offsets, user=user)
    large = seed(
        title="large", addresses=args.addresses, txs=args.txs, offsets=args.offsets, user=user
    )
    seed_prices()
    return small, large


def count_queries(path: str) -> tuple[int, dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    client.get(path)  # warm: first-request imports and caches are not what is measured
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"GET {path} answered {response.status_code}: {response.content[:300]!r}")
    return len(queries), response.json()


def cpu_per_request(paths: dict[str, str], *, rounds: int = 5, n: int = 40) -> dict[str, float]:
    """CPU milliseconds of this process per request, in-process through Django's test client,
    best of ``rounds`` (interleaved): what the code costs, whatever else runs on the machine.
    The database's own time is not in it."""
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    best = dict.fromkeys(paths, float("inf"))
    for path in paths.values():
        client.get(path)
    for _ in range(rounds):
        for name, path in paths.items():
            started = time.process_time()
            for _ in range(n):
                client.get(path)
            best[name] = min(best[name], (time.process_time() - started) / n * 1000)
    return best


# -- load ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request_bytes(path: str, port: int, token: str | None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def one(port: int, raw: bytes) -> int:
    """One request on a new connection; the HTTP status."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(raw)
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    head = b"".join(chunks)[:12]
    return int(head.split(b" ", 2)[1])


def load(port: int, path: str, token: str | None, *, seconds: float, concurrency: int) -> dict:
    """``concurrency`` threads sending requests for ``seconds``; then 30 sequential ones for the
    latency of one request with nothing queued before it."""
    raw = request_bytes(path, port, token)
    done = [0] * concurrency
    errors = [0] * concurrency
    stop = time.perf_counter() + seconds

    def run(slot: int) -> None:
        while time.perf_counter() < stop:
            if one(port, raw) == 200:
                done[slot] += 1
            else:
                errors[slot] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies = []
    for _ in range(30):
        t0 = time.perf_counter()
        one(port, raw)
        latencies.append(time.perf_counter() - t0)
    latencies.sort()
    return {
        "rps": sum(done) / elapsed,
        "errors": sum(errors),
        "p50_ms": latencies[len(latencies) // 2] * 1000,
    }


def concurrent(port: int, path: str, token: str | None, *, clients: int, seconds: float) -> dict:
    """``clients`` threads sending requests back to back for ``seconds``; every request timed
    (connect included). Percentiles of all of them, and the errors (non-200 or exceptions)."""
    raw = request_bytes(path, port, token)
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    stop = time.perf_counter() + seconds

    def run(slot: int) -> None:
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            try:
                ok = one(port, raw) == 200
            except OSError:
                ok = False
            latencies[slot].append(time.perf_counter() - t0)
            errors[slot] += not ok

    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    every = sorted(x for slot in latencies for x in slot)

    def pct(p: float) -> float:
        return every[min(len(every) - 1, int(p / 100 * len(every)))] * 1000

    return {
        "requests": len(every),
        "rps": len(every) / elapsed,
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "errors": sum(errors),
    }


def measure(port: int, targets: dict[str, tuple[str, str | None]], args) -> dict[str, dict]:
    """Every target in turn, ``args.rounds`` times over (interleaved, so that a burst of other
    work on the machine does not land on one endpoint only); per target the best round, as the
    other benchmarks take the best of several runs: the figure is the code's, not the load's."""
    for path, token in targets.values():  # warm every worker: imports, URL resolver, connections
        for _ in range(20):
            if (status := one(port, request_bytes(path, port, token))) != 200:
                raise SystemExit(f"GET {path} answered {status} under gunicorn")
    rounds: dict[str, list[dict]] = {name: [] for name in targets}
    for _ in range(args.rounds):
        for name, (path, token) in targets.items():
            rounds[name].append(
                load(
                    port,
                    path,
                    token,
                    seconds=args.seconds / args.rounds,
                    concurrency=args.concurrency,
                )
            )
    return {
        name: {
            "rps": max(r["rps"] for r in runs),
            "p50_ms": min(r["p50_ms"] for r in runs),
            "errors": sum(r["errors"] for r in runs),
            "spread": (min(r["rps"] for r in runs), max(r["rps"] for r in runs)),
        }
        for name, runs in rounds.items()
    }


def start_gunicorn(env: dict, port: int, workers: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn exited")
        try:
            if one(port, request_bytes("/bench/trivial", port, None)) == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not answer within 30 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addresses", type=int, default=50)
    parser.add_argument("--small", type=int, default=5)
    parser.add_argument("--txs", type=int, default=200, help="stored transactions per address")
    parser.add_argument("--offsets", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=6.0, help="load per endpoint, in all")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; best is shown")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=20, help="concurrent run: client threads")
    parser.add_argument(
        "--concurrent-seconds", type=float, default=30.0, help="concurrent run: duration"
    )
    args = parser.parse_args()

    db_url = database_url()
    env = server_env(db_url)
    print(f"database: {db_url}", flush=True)
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"],
        env=env,
        check=True,
    )
    os.environ.update(
        {
            k: env[k]
            for k in (
                "DATABASE_URL",
                "DJANGO_SETTINGS_MODULE",
                "SECRET_KEY",
                "DEBUG",
                "ALLOWED_HOSTS",
                "LOG_LEVEL",
                # the in-process measurements too: a 429 costs less than the answer measured
                "API_THROTTLE_USER_RATE",
                "API_THROTTLE_ANON_RATE",
            )
        }
    )
    if not env.get("REDIS_URL"):
        os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.db import connections

    small, large = setup(args)
    print(
        f"seeded: {args.addresses} addresses x {args.txs} transactions + {args.offsets} offsets "
        f"(and {args.small} addresses for the small portfolio), fresh spot prices",
        flush=True,
    )
    endpoints = {
        "balances": "/api/portfolios/{}/balances",
        "converted": "/api/portfolios/{}/converted",
    }
    queries = {}
    for name, template in endpoints.items():
        n_small, body_small = count_queries(template.format(small))
        n_large, body_large = count_queries(template.format(large))
        queries[name] = (n_small, n_large)
        if name == "converted":
            assert body_large["unpriced"] == [], body_large
    user_queries, _ = count_queries("/api/user")
    cpu = cpu_per_request(
        {
            "trivial": "/bench/trivial",
            "user": "/api/user",
            **{name: template.format(large) for name, template in endpoints.items()},
        }
    )
    connections.close_all()

    port = free_port()
    server = start_gunicorn(env, port, args.workers)
    try:
        targets = {
            "trivial": ("/bench/trivial", None),
            "user": ("/api/user", TOKEN),
            **{name: (template.format(large), TOKEN) for name, template in endpoints.items()},
        }
        results = measure(port, targets, args)
        crowd = concurrent(
            port,
            endpoints["balances"].format(large),
            TOKEN,
            clients=args.clients,
            seconds=args.concurrent_seconds,
        )
    finally:
        server.terminate()
        server.wait(timeout=15)

    trivial, user = results["trivial"]["rps"], results["user"]["rps"]
    print(
        f"\ngunicorn -w {args.workers} (sync), {args.concurrency} client threads, "
        f"{args.seconds:g} s per endpoint in {args.rounds} interleaved rounds (best shown), "
        f"{os.cpu_count()} CPUs shared with the client\n"
    )
    print(
        f"{'endpoint':<32} {'queries':>7} {'queries':>7} {'req/s':>6} {'rounds req/s':>13} "
        f"{'p50 ms':>6} {'vs trivial':>10} {'vs /api/user':>12} {'CPU ms':>7}"
    )
    print(f"{'':<32} {f'{args.small} addr':>7} {f'{args.addresses} addr':>7}{'':>53}{'in-proc':>7}")
    rows = [
        ("/bench/trivial (constant JSON)", "trivial", (0, 0)),
        ("/api/user (token + one row)", "user", (user_queries, user_queries)),
    ]
    rows += [(f"/api/portfolios/ID/{name}", name, queries[name]) for name in endpoints]
    for label, key, (q_small, q_large) in rows:
        r = results[key]
        low, high = r["spread"]
        print(
            f"{label:<32} {q_small:>7} {q_large:>7} {r['rps']:>6.0f} {f'{low:.0f}-{high:.0f}':>13} "
            f"{r['p50_ms']:>6.1f} {r['rps'] / trivial:>10.2f} {r['rps'] / user:>12.2f} "
            f"{cpu[key]:>7.2f}" + (f"  ({r['errors']} errors)" if r["errors"] else "")
        )
    grew = [name for name, (a, b) in queries.items() if a != b]
    print("\nquery count grows with addresses: " + (", ".join(grew) if grew else "no"))
    print(
        f"\nconcurrent: {args.clients} clients on /api/portfolios/ID/balances for "
        f"{args.concurrent_seconds:g} s: {crowd['requests']} requests, {crowd['rps']:.0f} req/s, "
        f"p50 {crowd['p50_ms']:.1f} ms, p95 {crowd['p95_ms']:.1f} ms, "
        f"p99 {crowd['p99_ms']:.1f} ms, {crowd['errors']} errors"
    )
    print_targets(args, results, crowd, cache="redis" if env.get("REDIS_URL") else "database")


def at_target_sizes(args) -> bool:
    return (args.addresses, args.txs, args.offsets, args.workers) == (50, 200, 10, 2) and (
        args.clients,
        args.concurrent_seconds,
    ) == (20, 30.0)


def verdict(ok: bool, args) -> str:
    if not at_target_sizes(args):
        return "(not at target sizes)"
    return "met" if ok else "NOT met"


def print_targets(args, results: dict, crowd: dict, *, cache: str) -> None:
    """Issue 14's table: this run's figure of each workload against its target."""
    trivial = results["trivial"]["rps"]
    print(f"\nissue 14 targets (cache: {cache}; the machine's other load moves the rates):")
    for key, label in (
        ("balances", "portfolios/ID/balances"),
        ("converted", "portfolios/ID/converted"),
        ("user", "/api/user"),
    ):
        ratio = results[key]["rps"] / trivial
        errors = results[key]["errors"]
        print(
            f"  {label:<26} {ratio:5.2f} x trivial   target >= 0.50   "
            f"{verdict(ratio >= 0.5 and errors == 0, args)}"
        )
    p95_ok = crowd["p95_ms"] < 30 and crowd["errors"] == 0
    print(
        f"  {'20 clients, balances':<26} p95 {crowd['p95_ms']:.0f} ms, {crowd['errors']} errors   "
        f"target p95 < 30 ms, 0 errors   {verdict(p95_ok, args)}"
    )


if __name__ == "__main__":
    main()
