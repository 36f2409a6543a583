"""Reads of the stored totals (``PortfolioTotals``, docs/architecture.md "Stored totals"): the
portfolio with its snapshot and the counters in one query, and whether the snapshot still holds.
The writes are ``portfolios.services_totals``'s."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Subquery

from core.exceptions import NotFound
from core.timefmt import format_datetime
from portfolios.freshness import untried_prices
from portfolios.models import Portfolio, PortfolioTotals, TotalsEpoch
from users.models import User


def portfolio_get_with_totals(*, user: User, portfolio_id: int | str) -> Portfolio:
    """``portfolio_get`` with the portfolio's stored totals (``totals_state``) and the current
    ``TotalsEpoch`` (``totals_epoch``) read in the same query: the one lookup a steady-state
    totals request makes (``stored_totals``)."""
    try:
        pk = int(portfolio_id)
    except (TypeError, ValueError):
        raise NotFound("no such portfolio")
    epoch = TotalsEpoch.objects.filter(pk=TotalsEpoch.ID).values("value")[:1]
    portfolio = (
        Portfolio.objects.filter(user=user, pk=pk)
        .select_related("totals_state")
        .annotate(totals_epoch=Subquery(epoch))
        .first()
    )
    if portfolio is None:
        raise NotFound("no such portfolio")
    return portfolio


@dataclass(frozen=True)
class TotalsCounters:
    """The counters a totals computation starts from, read with the portfolio before any of
    its data: what a snapshot computed from that data is stored under."""

    generation: int
    epoch: int


def totals_counters(portfolio: Portfolio) -> TotalsCounters | None:
    """Of a portfolio from ``portfolio_get_with_totals``; None when the epoch's row is missing
    (then nothing is stored: a price stored meanwhile could not have been counted)."""
    epoch = getattr(portfolio, "totals_epoch", None)
    if epoch is None:
        return None
    return TotalsCounters(portfolio.totals_generation, epoch)


def _totals_state(portfolio: Portfolio) -> PortfolioTotals | None:
    try:
        return portfolio.totals_state
    except PortfolioTotals.DoesNotExist:
        return None


@dataclass(frozen=True)
class StoredTotals:
    """Rows as the API renders them, and for converted totals the unpriced currencies."""

    rows: list[dict]
    unpriced: list[str]


def stored_totals(portfolio: Portfolio, *, priced: bool, now: datetime) -> StoredTotals | None:
    """The stored balances (``priced`` False) or converted totals of a portfolio from
    ``portfolio_get_with_totals``, when they still hold: computed from the current counters, not
    past their ``*_until`` moment, and (converted) every unpriced currency's price attempted
    (else ``ensure_prices`` would wait for it). No query; one cache read when something is
    unpriced. None: compute them (``portfolio_valuation``)."""
    state = _totals_state(portfolio)
    counters = totals_counters(portfolio)
    if state is None or counters is None:
        return None
    if (state.snapshot_generation, state.snapshot_epoch) != (counters.generation, counters.epoch):
        return None
    text, until, unpriced = state.balances, state.balances_until, []
    if priced:
        if not state.converted:
            return None
        text, until, unpriced = state.converted, state.converted_until, json.loads(state.unpriced)
        if untried_prices(unpriced):
            return None
    if until is not None and now >= until:
        return None
    return StoredTotals(at_moment(json.loads(text), now), unpriced)


def at_moment(rows: list[dict], now: datetime) -> list[dict]:
    """Stored rows with the figures that are "now" (``balance_at`` None) at ``now``."""
    moment = format_datetime(now)
    for row in rows:
        if row["balance_at"] is None:
            row["balance_at"] = moment
    return rows
