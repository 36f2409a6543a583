"""Background work of the ledger: rebuilding a portfolio's cost basis."""

from __future__ import annotations

import logging

from celery import shared_task

from core.tasks import clear_enqueued
from portfolios.models import Portfolio

logger = logging.getLogger(__name__)


@shared_task(name="ledger.tasks.costbasis_rebuild", ignore_result=True)
def costbasis_rebuild_task(portfolio_id: int, force: bool = False) -> None:
    """Bring the portfolio's stored cost basis up to date (ledger.costbasis_store). The
    enqueued flag is cleared first, so a change arriving during the build enqueues another
    one, which waits for this build and then continues from it. A failure is recorded on the
    portfolio's CostBasisBuild (the last good results stay) by the service and raised, so the
    task fails visibly (the worker's log; a test); the next trigger tries again."""
    from ledger.costbasis_store import costbasis_rebuild_now, rebuild_key

    clear_enqueued(rebuild_key(portfolio_id))
    portfolio = Portfolio.objects.filter(pk=portfolio_id).first()
    if portfolio is None:  # deleted meanwhile
        return
    outcome = costbasis_rebuild_now(portfolio=portfolio, force=force)
    logger.info(
        "cost basis of portfolio %s: %s (%s), %s rows in %.2f s",
        portfolio_id,
        outcome.mode,
        outcome.reason,
        outcome.entries,
        outcome.timings.get("total", 0.0),
    )
