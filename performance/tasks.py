from __future__ import annotations

from celery import shared_task

from core.tasks import clear_enqueued
from performance import series


@shared_task(name="performance.tasks.series_update", ignore_result=True)
def series_update_task(portfolio_id: int) -> int:
    """Bring one portfolio's value series up to date. The flag is cleared first: a change
    committed while this runs enqueues another update, which reads it."""
    clear_enqueued(series.update_key(portfolio_id))
    return series.series_update(portfolio_id=portfolio_id).rows
