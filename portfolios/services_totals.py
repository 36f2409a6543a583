"""Writes of the stored totals (``PortfolioTotals``): invalidating them, and storing what a
request computed in the steady state. Reading them is ``portfolios.selectors``'s."""

from __future__ import annotations

import json
from datetime import datetime

from django.db.models import F

from portfolios.models import Portfolio, PortfolioTotals
from portfolios.selectors_totals import TotalsCounters


def portfolio_totals_invalidate(*, portfolio_id: int) -> None:
    """The stored totals of the portfolio no longer hold: the next request recomputes them.
    The triggers (``portfolios.triggers``) do this for every watched table; call it for a change
    they cannot see, in the change's transaction."""
    Portfolio.objects.filter(pk=portfolio_id).update(totals_generation=F("totals_generation") + 1)


def portfolio_totals_store(
    *,
    portfolio_id: int,
    counters: TotalsCounters,
    balances: list[dict],
    balances_until: datetime | None,
    converted: list[dict] | None = None,
    unpriced: list[str] | None = None,
    converted_until: datetime | None = None,
) -> None:
    """Store the rows as the API renders them (``balance_at`` None where the figure is "now"),
    computed from ``counters``. An answer computed from counters that have moved on since is
    stored harmlessly: it will not match them. One query (an upsert)."""
    PortfolioTotals.objects.bulk_create(
        [
            PortfolioTotals(
                portfolio_id=portfolio_id,
                snapshot_generation=counters.generation,
                snapshot_epoch=counters.epoch,
                balances=json.dumps(balances),
                balances_until=balances_until,
                converted="" if converted is None else json.dumps(converted),
                unpriced=json.dumps(unpriced or []),
                converted_until=converted_until,
            )
        ],
        update_conflicts=True,
        unique_fields=["portfolio"],
        update_fields=[
            "snapshot_generation",
            "snapshot_epoch",
            "balances",
            "balances_until",
            "converted",
            "unpriced",
            "converted_until",
        ],
    )
