"""Pure parse speed and memory of the Coinbase statement parser.

    .venv/bin/python bench/ingest_parse.py [ROWS]      (default 100000)

Writes a synthetic V4 statement (newest first, `$` money with thousands separators, signed
quantities, one Convert in ten, which waits for a possible second row, exponent quantities)
to a temporary file row by row, then parses it from disk three times, timed (best of three,
wall clock and process CPU time), and once more under tracemalloc for the peak. Only the parser runs; nothing is stored."""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.coinbase import CoinbaseCsvParser  # noqa: E402

HEADER = (
    "\ufeff\nTransactions\nUser,Bench User,1d5ebcbd-f257-5d9c-9fc2-d433a527aa71\n"
    "ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,Price at Transaction,"
    "Subtotal,Total (inclusive of fees and/or spread),Fees and/or Spread,Notes\n"
)
TEMPLATES = (
    "Convert,ETH,-0.01,USD,$3000,-$30.00,-$30.00,$0.00,Converted 0.01 ETH to 30 USDC",
    'Buy,BTC,0.0001,USD,"$95,000.00",$9.50,$9.65,$0.15,Bought 0.0001 BTC for 9.65 USD',
    'Buy,BTC,0.0001,USD,"$95,000.00",$9.50,$9.65,$0.15,Bought 0.0001 BTC for 9.65 USD',
    "Sell,BTC,-0.0001,USD,$95000.00,$9.50,$9.35,-0.15,Sold 0.0001 BTC for 9.35 USD",
    "Send,BTC,-0.00005,USD,$95000,-$4.75,-$4.75,$0.00,Sent 0.00005 BTC to bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh",
    "Staking Income,ETH,2.103e-05,USD,$3000,$0.06,$0.06,$0.00,",
    "Receive,ETH,0.02,USD,$3000,$60.00,$60.00,$0.00,Received 0.02 ETH from an external account",
    "Receive,USDC,0.002727,USD,$1.00,$0.00,$0.00,$0.00,Received 0.002727 USDC from Coinbase Rewards",
    "Card Spend,USDC,-4.41,USD,$1.00,-$4.41,-$4.41,$0.00,",
    "Advanced Trade Buy,SOL,0.5,USD,$150.00,$75.00,$75.45,$0.45,Bought 0.5 SOL for 75.45 USD on SOL-USD",
)


def write_statement(path: Path, rows: int) -> None:
    start = datetime(2025, 12, 31, tzinfo=UTC)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for n in range(rows):
            moment = start - timedelta(seconds=n)
            out.write(f"{n:024x},{moment:%Y-%m-%d %H:%M:%S} UTC,{TEMPLATES[n % 10]}\n")


def parse(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in CoinbaseCsvParser(f))


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "statement.csv"
        write_statement(path, rows)
        size = path.stat().st_size
        wall = cpu = float("inf")
        for _ in range(3):  # best of three: the figure is the parser's, not the machine's load
            started, started_cpu = time.perf_counter(), time.process_time()
            movements = parse(path)
            wall = min(wall, time.perf_counter() - started)
            cpu = min(cpu, time.process_time() - started_cpu)
        tracemalloc.start()
        parse(path)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    print(f"file: {rows} rows, {size / 2**20:.1f} MiB; movements: {movements}")
    print(f"parse, best of 3: {wall:.2f} s wall ({rows / wall:,.0f} rows/s), ", end="")
    print(f"{cpu:.2f} s CPU ({rows / cpu:,.0f} rows/s)")
    print(f"peak memory while parsing (tracemalloc): {peak / 2**20:.2f} MiB")


if __name__ == "__main__":
    main()
