"""Background work of portfolios."""

from __future__ import annotations

from celery import shared_task

from portfolios.history_fetch import portfolio_price_history_ensure
from portfolios.models import Portfolio


@shared_task(name="portfolios.tasks.portfolios_price_history_ensure", ignore_result=True)
def portfolios_price_history_ensure() -> int:
    """Beat, nightly: every portfolio's held-period daily prices that are still missing (a
    backfill that failed when its asset appeared) are enqueued again. Returns how many assets
    were enqueued."""
    return sum(
        len(portfolio_price_history_ensure(portfolio_id=pk))
        for pk in Portfolio.objects.values_list("pk", flat=True).iterator()
    )
