"""Background work after a statement import or an undo."""

from __future__ import annotations

from celery import shared_task

from portfolios.models import Portfolio


@shared_task(name="ingest.tasks.after_import_run", ignore_result=True)
def after_import_run(portfolio_id: int) -> None:
    """Transfer matching and a cost-basis rebuild for the portfolio (``after_import``)."""
    from ingest.services import after_import

    portfolio = Portfolio.objects.filter(pk=portfolio_id).first()
    if portfolio is not None:  # deleted meanwhile: nothing left to do
        after_import(portfolio)
