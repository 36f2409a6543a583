from __future__ import annotations

from datetime import date

from celery import shared_task

from core.exceptions import ProviderError
from core.tasks import clear_enqueued, enqueue_once
from prices.history import prices_backfill_daily_history, prices_refresh_daily_history
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


# A backfill that succeeded is not asked again for this long (the nightly run adds new days);
# one that failed clears its flag so that the next trigger asks again.
BACKFILL_FLAG_SECONDS = 12 * 3600


def backfill_key(code: str, quotes: list[str], start: date) -> str:
    return f"prices:backfill:{code}:{','.join(quotes)}:{start.isoformat()}"


def prices_backfill_enqueue(*, code: str, quotes: list[str], start: date) -> bool:
    """Enqueue (after commit) the daily history of ``code`` in ``quotes`` from ``start``,
    unless the same backfill was enqueued by any process within the flag's lifetime."""
    quotes = sorted({q.lower() for q in quotes})
    return enqueue_once(
        backfill_key(code, quotes, start),
        BACKFILL_FLAG_SECONDS,
        prices_backfill_history,
        code,
        quotes,
        start.isoformat(),
    )


@shared_task(name="prices.tasks.prices_backfill_history", ignore_result=True)
def prices_backfill_history(code: str, quotes: list[str], start: str) -> int:
    """The held period's daily prices of one asset that are not stored yet (see
    ``prices_backfill_daily_history``)."""
    day = date.fromisoformat(start)
    try:
        result = prices_backfill_daily_history(code=code, quotes=quotes, start=day)
    except Exception:
        clear_enqueued(backfill_key(code, quotes, day))
        raise
    if result.failed:
        clear_enqueued(backfill_key(code, quotes, day))
    return result.stored
