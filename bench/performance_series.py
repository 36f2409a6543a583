"""Benchmark of the materialised value series and the performance read from it (issue 13).

    .venv/bin/python bench/performance_series.py [--rows 100000] [--assets 30] [--years 5]

Creates a scratch ``bench_perf`` database on postgres://postgres@127.0.0.1:5432 (dropped and
created again, then migrated; or ``DATABASE_URL`` when it is PostgreSQL) holding one portfolio
reported in USD and EUR: ``--assets`` crypto assets with a daily close in USD for every day of
``--years`` years, and ``--rows`` ledger rows over those years (buys, sells, income, sends and
receives, trades) in two wallets. Then:

1. the first computation after the import: ``series_update`` builds every day of every
   reporting currency (what the worker does after ``ledger_changed``);
2. an update after one more ledger row dated 30 days ago (the incremental path);
3. GET /api/portfolios/ID/history/performance?timeframe=ALL through Django's test client with
   an access token, the first request and the best of ten repeated ones: served from the
   stored series, never recomputed.

Prints the rows and days counted and each time. Nothing is fetched from outside.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import database_url  # noqa: E402

SCRATCH_DB = "bench_perf"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--assets", type=int, default=30)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = database_url(SCRATCH_DB)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ["DEBUG"] = "1"  # ALLOWED_HOSTS has testserver
    os.environ["TASKS_SYNC"] = "0"
    os.environ["TASKS_IN_PROCESS"] = "0"
    os.environ.setdefault("COINGECKO_URL", "http://127.0.0.1:9")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import reset_queries

    call_command("migrate", verbosity=0)
    reset_queries()
    import django.conf

    django.conf.settings.DEBUG = False  # no query log from here on

    from currencies.models import Currency
    from ledger.holdings import wallet_holdings_recompute
    from ledger.models import LedgerEntry, Wallet
    from performance import series as series_module
    from performance.models import ValuePoint
    from performance.series import series_update
    from portfolios.services import portfolio_create
    from prices.models import Price
    from tests.conftest import client_for
    from users.models import User

    rng = random.Random(args.seed)
    today = datetime.now(UTC).date()
    first = today - timedelta(days=365 * args.years)
    days = (today - first).days + 1
    started = time.perf_counter()
    user = User.objects.create_user(
        email=f"bench-{time.time_ns()}@example.com", password="bench-password-1", name="Bench"
    )
    portfolio = portfolio_create(
        user=user, title="Bench", currency_codes=["usd", "eur"], source="web"
    )
    cryptos = list(
        Currency.objects.filter(is_fiat=False).exclude(code__in=["usd", "eur"]).order_by("code")
    )[: args.assets]
    usd, eur = Currency.objects.get(code="usd"), Currency.objects.get(code="eur")
    prices = []
    level = {c.code: Decimal(rng.randint(1, 50_000)) for c in cryptos}
    for n in range(days):
        day = first + timedelta(days=n)
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
        for c in cryptos:
            level[c.code] = (level[c.code] * Decimal(str(1 + rng.gauss(0.0005, 0.03)))).quantize(
                Decimal("0.00000001")
            )
            prices.append(Price(base=c, quote=usd, at=moment, price=level[c.code], source="bench"))
        prices.append(Price(base=eur, quote=usd, at=moment, price=Decimal("1.08"), source="bench"))
    Price.objects.bulk_create(prices, batch_size=5000)
    wallets = [
        Wallet.objects.create(portfolio=portfolio, kind=Wallet.IMPORT, name=f"Exchange {i}")
        for i in range(2)
    ]
    held: dict[tuple[int, str], Decimal] = {}
    kinds = ["buy"] * 5 + ["income"] * 2 + ["sell", "unclassified_in", "unclassified_out"]
    kinds += ["trade_in", "trade_out"]
    entries = []
    span = days * 86400 - 1
    moments = sorted(rng.randrange(span) for _ in range(args.rows))
    for i, offset in enumerate(moments):
        wallet = rng.choice(wallets)
        asset = rng.choice(cryptos)
        kind = rng.choice(kinds)
        key = (wallet.pk, asset.code)
        quantity = Decimal(rng.randint(1, 10_000)) / 1000
        if kind in ("sell", "unclassified_out", "trade_out"):
            quantity = min(quantity, held.get(key, Decimal(0)))
            if quantity <= 0:
                kind, quantity = "buy", Decimal(1)
        held[key] = held.get(key, Decimal(0)) + (
            -quantity if kind in ("sell", "unclassified_out", "trade_out") else quantity
        )
        entries.append(
            LedgerEntry(
                portfolio=portfolio,
                wallet=wallet,
                occurred_at=datetime.combine(first, datetime.min.time(), UTC)
                + timedelta(seconds=offset),
                kind=kind,
                asset=asset,
                quantity=quantity,
                external_id=f"bench-{i}",
            )
        )
    LedgerEntry.objects.bulk_create(entries, batch_size=5000)
    for wallet in wallets:
        wallet_holdings_recompute(wallet=wallet)
    seeded = time.perf_counter() - started
    print(
        f"seeded: {len(entries):,} ledger rows, {len(cryptos)} assets, {len(prices):,} daily "
        f"closes, {days:,} days, in {seeded:.1f} s"
    )

    series_module.BUILT_AT_MARGIN = timedelta(0)
    result = series_update(portfolio_id=portfolio.pk)
    stored = ValuePoint.objects.filter(portfolio=portfolio).count()
    print(
        f"first computation after the import: {result.seconds:.2f} s for {result.days:,} days "
        f"x 2 currencies = {result.rows:,} rows (stored: {stored:,})"
    )

    LedgerEntry.objects.create(
        portfolio=portfolio,
        wallet=wallets[0],
        occurred_at=datetime.combine(today - timedelta(days=30), datetime.min.time(), UTC),
        kind="income",
        asset=cryptos[0],
        quantity=Decimal("0.5"),
        external_id="bench-late",
    )
    wallet_holdings_recompute(wallet=wallets[0])
    # Rows stamped less than BUILT_AT_MARGIN before an update are read again by the next one
    # (late commits); the bench's prices are seconds old, so without this the "incremental"
    # update would recompute everything.
    series_module.BUILT_AT_MARGIN = timedelta(0)
    result = series_update(portfolio_id=portfolio.pk)
    print(
        f"update after one new row 30 days back: {result.seconds:.3f} s, {result.days} days "
        f"recomputed from {result.since}"
    )

    client = client_for(user, "read")
    url = f"/api/portfolios/{portfolio.pk}/history/performance?timeframe=ALL&currency=usd"
    started = time.perf_counter()
    response = client.get(url)
    first_request = time.perf_counter() - started
    assert response.status_code == 200, response.content[:300]
    body = response.json()["result"]
    timings = []
    for _ in range(10):
        started = time.perf_counter()
        again = client.get(url)
        timings.append(time.perf_counter() - started)
        assert again.status_code == 200
    print(
        f"GET history/performance ALL: first {first_request * 1000:.0f} ms, repeated best "
        f"{min(timings) * 1000:.0f} ms, median {sorted(timings)[5] * 1000:.0f} ms "
        f"({body['data_points']:,} data points, twr {body['twr']}, mwr {body['mwr']}, "
        f"max drawdown {body['max_drawdown']})"
    )


if __name__ == "__main__":
    main()
