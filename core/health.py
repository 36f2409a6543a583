"""Real checks behind ``/api/status``. Each returns True when healthy. Other apps register theirs
(the workers add ``jobs`` and ``tickers``)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import connection

logger = logging.getLogger(__name__)

CHECKS: dict[str, Callable[[], bool]] = {}


def register(name: str):
    def wrap(func: Callable[[], bool]) -> Callable[[], bool]:
        CHECKS[name] = func
        return func

    return wrap


@register("database")
def database_ok() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


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
