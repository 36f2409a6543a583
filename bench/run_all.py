"""Run every benchmark in bench/ with small sizes, one after the other (``make bench``).

    .venv/bin/python bench/run_all.py [--full] [NAME ...]

A benchmark is a script of bench/ that runs as ``__main__`` (helper modules such as
settings.py and urls.py are skipped). Each runs in its own process with the arguments below
(``--full``: their own defaults, the sizes their docstrings state targets for); its output is
shown as it comes, then a summary of how long each took and whether it succeeded. NAME limits
the run to some of them (``totals``, ``ingest_parse``, ...). Exits non-zero if any failed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent

# Small sizes: the whole run takes a few minutes.
SMALL_ARGS = {
    "account_sync": ["2000"],
    "costbasis_compute": ["--rows", "20000", "--repeat", "2"],
    "costbasis_rebuild": ["--rows", "20000"],
    "ingest_parse": ["20000"],
    "ingest_import": ["5000"],
    "totals": ["--seconds", "3"],
    "performance_series": ["--rows", "20000", "--assets", "10", "--years", "2"],
}


def benchmarks() -> list[Path]:
    return sorted(
        path
        for path in BENCH.glob("*.py")
        if path.name != Path(__file__).name and 'if __name__ == "__main__"' in path.read_text()
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="each benchmark's own default sizes")
    parser.add_argument("names", nargs="*", help="only these (file names without .py)")
    args = parser.parse_args()

    scripts = [p for p in benchmarks() if not args.names or p.stem in args.names]
    unknown = set(args.names) - {p.stem for p in scripts}
    if unknown:
        parser.error(f"no such benchmark: {', '.join(sorted(unknown))}")
    summary = []
    for script in scripts:
        extra = [] if args.full else SMALL_ARGS.get(script.stem, [])
        print(f"\n=== {script.stem} {' '.join(extra)}".rstrip(), flush=True)
        started = time.perf_counter()
        code = subprocess.run([sys.executable, str(script), *extra], check=False).returncode
        summary.append((script.stem, code, time.perf_counter() - started))

    print("\n=== summary")
    for name, code, seconds in summary:
        print(f"{name:<20} {'ok' if code == 0 else f'FAILED (exit {code})':<16} {seconds:>7.1f} s")
    return 0 if all(code == 0 for _, code, _ in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
