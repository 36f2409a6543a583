"""Benchmark of the pure cost-basis computation (costbasis.engine.compute).

Generates a deterministic random ledger (several assets and wallets; buys, sells, income,
trades, accepted transfers with a network fee, fees in crypto, unclassified moves, cash) and
prints, per method x pooling, the wall and CPU time of compute() (best of --repeat runs) and
its peak traced memory (a separate run under tracemalloc, which slows code down). The rows are
handed over in (at, id) order, as the ledger query returns them; --shuffle adds the sort.

    python bench/costbasis_compute.py [--rows 100000] [--repeat 3] [--seed 7] [--shuffle]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from costbasis.engine import Entry, Method, Pooling, Settings, compute  # noqa: E402
from ledger.kinds import Kind  # noqa: E402

ASSETS = {"BTC": 30_000, "ETH": 2_000, "SOL": 100, "ADA": 1, "DOT": 7}
WALLETS = ["address:1", "address:2", "import:coinbase", "exchange:3"]
START = datetime(2019, 1, 1, tzinfo=UTC)


_SATOSHI = Decimal("1e-8")
_CENT = Decimal("0.01")


def _amount(rng: random.Random, low: float, high: float) -> Decimal:
    """A random amount with 8 decimals, built exactly from an integer."""
    return Decimal(rng.randint(int(low * 10**8), int(high * 10**8))).scaleb(-8)


def _q(amount: Decimal) -> Decimal:
    """A quantity as the ledger stores it (8 decimals here), rounded down."""
    return amount.quantize(_SATOSHI, rounding=ROUND_DOWN)


def _v(amount: Decimal) -> Decimal:
    return amount.quantize(_CENT)


def generate_ledger(rows: int, seed: int = 7) -> list[Entry]:
    rng = random.Random(seed)
    entries: list[Entry] = []
    at = START
    balance = {(asset, wallet): Decimal(0) for asset in ASSETS for wallet in WALLETS}
    next_id = 1

    def add(
        kind: Kind, asset: str, quantity: Decimal, wallet: str, value: Decimal | None, **kw
    ) -> int:
        nonlocal next_id
        if quantity <= 0:
            quantity = _SATOSHI  # a rounded-away amount: keep the row, as a dust movement
        entry_id = next_id
        next_id += 1
        entries.append(Entry(entry_id, at, kind, asset, quantity, wallet, value, **kw))
        return entry_id

    while len(entries) < rows:
        at += timedelta(seconds=rng.randint(0, 3600))
        asset = rng.choice(list(ASSETS))
        wallet = rng.choice(WALLETS)
        price = _v(Decimal(ASSETS[asset]) * _amount(rng, 0.5, 2.0))
        held = balance[(asset, wallet)]
        roll = rng.random()
        if roll < 0.38 or held < Decimal("0.001"):
            quantity = _q(_amount(rng, 0.01, 2.0) * 1000 / ASSETS[asset])
            add(
                Kind.BUY,
                asset,
                quantity,
                wallet,
                _v(quantity * price),
                fee_value=_v(_amount(rng, 0, 5)),
            )
            balance[(asset, wallet)] += quantity
        elif roll < 0.58:
            # Mostly within the wallet's balance; now and then an oversell.
            quantity = _q(held * _amount(rng, 0.05, 1.1))
            add(
                Kind.SELL,
                asset,
                quantity,
                wallet,
                _v(quantity * price),
                fee_value=_v(_amount(rng, 0, 5)),
            )
            balance[(asset, wallet)] -= min(quantity, held)
        elif roll < 0.70:
            quantity = _q(_amount(rng, 0.001, 0.1) * 100 / ASSETS[asset])
            add(Kind.INCOME, asset, quantity, wallet, _v(quantity * price))
            balance[(asset, wallet)] += quantity
        elif roll < 0.78:
            quantity = _q(held * _amount(rng, 0.1, 0.9))
            other = rng.choice([a for a in ASSETS if a != asset])
            value = _v(quantity * price)
            received = _q(value / ASSETS[other])
            add(Kind.TRADE_OUT, asset, quantity, wallet, value)
            add(Kind.TRADE_IN, other, received, wallet, value)
            balance[(asset, wallet)] -= quantity
            balance[(other, wallet)] += received
        elif roll < 0.88:
            quantity = _q(held * _amount(rng, 0.1, 1.0))
            target = rng.choice([w for w in WALLETS if w != wallet])
            fee = _q(quantity * _amount(rng, 0, 0.002))
            out_id, in_id = next_id, next_id + 1
            add(
                Kind.TRANSFER_OUT,
                asset,
                quantity,
                wallet,
                _v(quantity * price),
                transfer_peer=in_id,
            )
            at += timedelta(seconds=rng.randint(0, 600))
            add(Kind.TRANSFER_IN, asset, quantity - fee, target, None, transfer_peer=out_id)
            balance[(asset, wallet)] -= quantity
            balance[(asset, target)] += quantity - fee
        elif roll < 0.91:
            quantity = _q(held * _amount(rng, 0.001, 0.01))
            add(Kind.FEE, asset, quantity, wallet, _v(quantity * price))
            balance[(asset, wallet)] -= quantity
        elif roll < 0.93:
            quantity = _q(held * _amount(rng, 0.1, 0.5))
            add(Kind.UNCLASSIFIED_OUT, asset, quantity, wallet, _v(quantity * price))
            balance[(asset, wallet)] -= quantity
        elif roll < 0.96:
            quantity = _q(_amount(rng, 0.01, 1.0) * 1000 / ASSETS[asset])
            add(Kind.UNCLASSIFIED_IN, asset, quantity, wallet, _v(quantity * price))
            balance[(asset, wallet)] += quantity
        else:
            add(Kind.FIAT_DEPOSIT, "EUR", _amount(rng, 10, 5000), wallet, None)
    del entries[rows:]
    return entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--shuffle", action="store_true", help="hand the rows over in random order (adds the sort)"
    )
    args = parser.parse_args()

    started = time.perf_counter()
    entries = generate_ledger(args.rows, args.seed)
    if args.shuffle:
        random.Random(args.seed).shuffle(entries)
    kinds = Counter(entry.kind.value for entry in entries)
    print(
        f"ledger: {len(entries)} rows, {len(ASSETS)} assets, {len(WALLETS)} wallets, "
        f"{'shuffled' if args.shuffle else 'in (at, id) order'}; "
        f"generated in {time.perf_counter() - started:.1f} s"
    )
    print("  " + ", ".join(f"{kind} {count}" for kind, count in kinds.most_common()))
    print(f"best of {args.repeat}; peak memory from one more run under tracemalloc")
    print(
        f"{'method':<8} {'pooling':<11} {'wall s':>7} {'cpu s':>7} {'peak MiB':>9} "
        f"{'disposals':>9} {'open lots':>9} {'flags':>6}"
    )
    for pooling in Pooling:
        for method in Method:
            settings = Settings(method=method, pooling=pooling, fiat_assets=frozenset({"EUR"}))
            wall = cpu = float("inf")
            for _ in range(args.repeat):
                gc.collect()
                started, started_cpu = time.perf_counter(), time.process_time()
                result = compute(entries, settings)
                wall = min(wall, time.perf_counter() - started)
                cpu = min(cpu, time.process_time() - started_cpu)
            gc.collect()
            tracemalloc.start()
            compute(entries, settings)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(
                f"{method:<8} {pooling:<11} {wall:>7.3f} {cpu:>7.3f} {peak / 2**20:>9.1f} "
                f"{len(result.disposals):>9} {len(result.lots):>9} {len(result.flags):>6}"
            )


if __name__ == "__main__":
    main()
