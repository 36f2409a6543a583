"""What the PostgreSQL benchmarks share: a scratch database, and running a measurement in a
child process (a fresh interpreter, so one run's memory and caches do not colour the next)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SCRATCH_SERVER = "postgres://postgres@127.0.0.1:5432"


def database_url(scratch_db: str) -> str:
    """DATABASE_URL when it is set (it must be PostgreSQL), else a fresh ``scratch_db``."""
    given = os.environ.get("DATABASE_URL")
    if given:
        if not given.startswith(("postgres://", "postgresql://", "pgsql://")):
            raise SystemExit("DATABASE_URL must be a PostgreSQL database for this bench")
        return given
    import psycopg

    with psycopg.connect(f"{SCRATCH_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {scratch_db}")
        conn.execute(f"CREATE DATABASE {scratch_db}")
    return f"{SCRATCH_SERVER}/{scratch_db}"


def run_child(script: str, args: list[str], env: dict) -> dict:
    """Run ``script`` with ``args``; its last stdout line is the JSON it measured."""
    done = subprocess.run(
        [sys.executable, script, *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"bench run {args} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])
