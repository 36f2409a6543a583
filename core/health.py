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


@register("jobs")
def jobs_ok() -> bool:
    """A worker answered within the last minutes (its heartbeat task ran). Without a broker
    tasks run inside the web process, which is then the worker."""
    from datetime import datetime

    from django.conf import settings
    from django.core.cache import cache
    from django.utils import timezone

    from core.tasks import HEARTBEAT_KEY, HEARTBEAT_MAX_AGE

    if settings.TASKS_IN_PROCESS or settings.TASKS_SYNC:
        return True
    beat = cache.get(HEARTBEAT_KEY)
    return beat is not None and timezone.now() - datetime.fromisoformat(beat) < HEARTBEAT_MAX_AGE


@register("tickers")
def tickers_ok() -> bool:
    """Spot prices are younger than twice their refresh interval (or nothing needs a price:
    no currency in use, or a single fiat one)."""
    from datetime import timedelta

    from django.db.models import Max
    from django.utils import timezone

    from prices.models import SpotPrice
    from prices.services import SPOT_REFRESH_SECONDS, currencies_in_use

    latest = SpotPrice.objects.aggregate(latest=Max("fetched_at"))["latest"]
    if latest is None:
        from currencies.models import Currency

        in_use = currencies_in_use()
        return (
            len(in_use) <= 1
            and not Currency.objects.filter(code__in=in_use, is_fiat=False).exists()
        )
    return timezone.now() - latest < timedelta(seconds=SPOT_REFRESH_SECONDS * 2)
