from __future__ import annotations

from celery import shared_task

from core.exceptions import ProviderError
from core.tasks import clear_enqueued, enqueue_once
from prices.history import prices_refresh_daily_history
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


HISTORY_KEY = "prices:history"


def prices_history_enqueue() -> bool:
    """At most one daily-history refresh an hour, whoever asks (it only fetches missing days)."""
    return enqueue_once(HISTORY_KEY, 3600, prices_refresh_history)


@shared_task(name="prices.tasks.prices_refresh_history", ignore_result=True)
def prices_refresh_history() -> int:
    """Daily history of the currencies in use (value over time); only days not stored yet."""
    return prices_refresh_daily_history()
