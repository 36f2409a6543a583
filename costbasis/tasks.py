"""Background work of the cost basis: rebuilding a portfolio's results.

The task keeps the name it was registered under while it lived in ``ledger.tasks``: messages
queued before an upgrade (and a worker still running the old code) use that name."""

from __future__ import annotations

import logging

from celery import shared_task

from core.tasks import clear_enqueued
from costbasis import services as store
from costbasis.build import costbasis_rebuild_now
from portfolios.models import Portfolio

logger = logging.getLogger(__name__)


# The name of the days in ledger.tasks, kept on purpose (see the module docstring).
LEGACY_NAME = "ledger.tasks.costbasis_rebuild"


@shared_task(name=LEGACY_NAME, ignore_result=True)
def costbasis_rebuild_task(portfolio_id: int, force: bool = False) -> None:
    """Bring the portfolio's stored cost basis up to date (costbasis.build). The
    enqueued flag is cleared first, so a change arriving during the build enqueues another
    one, which waits for this build and then continues from it. Then it takes a pending
    request for a rebuild from scratch (made while this task was queued, see
    ``costbasis_rebuild``), so a plain rebuild queued earlier does the full one asked later.
    A failure is recorded on the portfolio's CostBasisBuild (the last good results stay) by
    the service and raised, so the task fails visibly (the worker's log; a test); a request
    from scratch it had taken is asked for again, for the next trigger."""
    clear_enqueued(store.rebuild_key(portfolio_id))
    force = store.full_request_take(portfolio_id=portfolio_id) or force
    portfolio = Portfolio.objects.filter(pk=portfolio_id).first()
    if portfolio is None:  # deleted meanwhile
        return
    try:
        outcome = costbasis_rebuild_now(portfolio=portfolio, force=force)
    except Exception:
        if force:
            store.full_request_restore(portfolio_id=portfolio_id)
        raise
    logger.info(
        "cost basis of portfolio %s: %s (%s), %s rows in %.2f s",
        portfolio_id,
        outcome.mode,
        outcome.reason,
        outcome.entries,
        outcome.timings.get("total", 0.0),
    )
