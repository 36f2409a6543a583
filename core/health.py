"""The registry of checks behind ``/api/status``. Each check returns True when healthy. Every app
registers its own in its ``AppConfig.ready()`` (``core`` the database and the worker heartbeat,
``prices`` the tickers), so ``core`` needs to know no other app; checks answer in registration
order, which follows ``INSTALLED_APPS``."""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from core.outbox import broker_reachable
from core.tasks import HEARTBEAT_KEY, HEARTBEAT_MAX_AGE

logger = logging.getLogger(__name__)

CHECKS: dict[str, Callable[[], bool]] = {}


def register(name: str, check: Callable[[], bool]) -> None:
    """Add ``check`` to ``/api/status`` under ``name`` (registering a name again replaces it)."""
    CHECKS[name] = check


def run_checks() -> tuple[list[str], list[str]]:
    ok: list[str] = []
    failing: list[str] = []
    for name, check in CHECKS.items():
        try:
            healthy = check()
        except Exception:
            logger.warning("status check %s failed", name, exc_info=True)
            healthy = False
        (ok if healthy else failing).append(name)
    return ok, failing


def database_ok() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def broker_ok() -> bool:
    """The broker (Redis) takes a connection and answers. Without a broker tasks run inside
    the web process: nothing to reach."""
    if settings.TASKS_IN_PROCESS or settings.TASKS_SYNC:
        return True
    return broker_reachable()


def jobs_ok() -> bool:
    """A worker answered within the last minutes (its heartbeat task ran). Without a broker
    tasks run inside the web process, which is then the worker."""
    if settings.TASKS_IN_PROCESS or settings.TASKS_SYNC:
        return True
    beat = cache.get(HEARTBEAT_KEY)
    return beat is not None and timezone.now() - datetime.fromisoformat(beat) < HEARTBEAT_MAX_AGE


# --- Probes for a process manager: /healthz and /readyz (core.middleware.HealthProbeMiddleware) ---


def liveness() -> tuple[int, dict[str, Any]]:
    """The process answers HTTP. Nothing else is looked at (not even the database): a process
    manager restarts a process whose liveness fails, and restarting cures none of the outside
    outages that readiness reports."""
    return 200, {"alive": True}


@functools.cache
def _code_migrations() -> frozenset[tuple[str, str]]:
    """Every migration this code knows of, read from the migration files (no database): the
    code does not change while the process runs, so it is read once per process."""
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


def migrations_ok() -> bool:
    """Every migration of this code is applied to the database (one query)."""
    applied = set(MigrationRecorder(connection).applied_migrations())
    return _code_migrations() <= applied


def cache_ok() -> bool:
    """The shared cache (Redis, or the database cache table) stores and returns a value."""
    token = uuid.uuid4().hex
    cache.set(READINESS_CACHE_KEY, token, 30)
    return cache.get(READINESS_CACHE_KEY) == token


READINESS_CACHE_KEY = "readyz:probe"
# What readiness needs (a failure answers 503) and what it only reports: without the cache the
# service still serves stored data (degraded), so taking every web process out of rotation for
# it would turn a partial outage into a whole one.
READINESS_REQUIRED: dict[str, Callable[[], bool]] = {
    "database": database_ok,
    "migrations": migrations_ok,
}
READINESS_REPORTED: dict[str, Callable[[], bool]] = {"cache": cache_ok}


def _passes(name: str, check: Callable[[], bool]) -> bool:
    try:
        return bool(check())
    except Exception:
        logger.warning("readiness check %s failed", name, exc_info=True)
        return False


def readiness() -> tuple[int, dict[str, Any]]:
    """200 when this process can serve requests: the database answers and has every migration
    of this code. The cache is checked and reported too, but does not make the process unready
    (see READINESS_REQUIRED). 503 otherwise; the body names each check "ok" or "failing"."""
    checks: dict[str, str] = {}
    ready = True
    for name, check in READINESS_REQUIRED.items():
        passed = _passes(name, check)
        ready = ready and passed
        checks[name] = "ok" if passed else "failing"
        if name == "database" and not passed:
            checks["migrations"] = "unknown"  # cannot be read without the database
            break
    for name, check in READINESS_REPORTED.items():
        checks[name] = "ok" if _passes(name, check) else "failing"
    return (200 if ready else 503), {"ready": ready, "checks": checks}
