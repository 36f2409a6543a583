from __future__ import annotations

from celery import shared_task

from core.exceptions import ProviderError
from core.tasks import clear_enqueued, enqueue_once
from prices.services import prices_refresh_spot

SPOT_KEY = "prices:spot"


def prices_spot_enqueue() -> bool:
    return enqueue_once(SPOT_KEY, 120, prices_refresh_spot_task)


@shared_task(name="prices.tasks.prices_refresh_spot", ignore_result=True)
def prices_refresh_spot_task() -> int:
    try:
        return prices_refresh_spot()
    except ProviderError:
        return 0  # recorded by the service; beat tries again on schedule
    finally:
        clear_enqueued(SPOT_KEY)


@shared_task(name="prices.tasks.prices_refresh_history", ignore_result=True)
def prices_refresh_history() -> int:
    """Daily history for held assets (used by value-over-time); filled in by the history module."""
    try:
        from prices.history import prices_refresh_daily_history
    except ImportError:
        return 0
    return prices_refresh_daily_history()
