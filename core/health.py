"""The registry of checks behind ``/api/status``. Each check returns True when healthy. Every app
registers its own in its ``AppConfig.ready()`` (``core`` the database and the worker heartbeat,
``prices`` the tickers), so ``core`` needs to know no other app; checks answer in registration
order, which follows ``INSTALLED_APPS``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection
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
