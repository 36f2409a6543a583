"""Loading what a portfolio's value history is computed from (a fixed number of queries)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

from portfolios.history import SPOT, HistoryPoint, Holding, PricePoint, value_history
from portfolios.models import Portfolio
from portfolios.sources import holdings_sources
from prices.models import Price, SpotPrice

MAX_DAYS = 365


def portfolio_value_history(
    *, portfolio: Portfolio, target: str, days: int, today: date | None = None
) -> list[HistoryPoint]:
    """The value of ``portfolio`` in ``target`` at the end of each of the last ``days`` days,
    today last (valued with today's spot prices), each day with that day's own prices only."""
    today = today or timezone.now().date()
    day_list = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
    since = datetime.combine(day_list[0], time.min, UTC)
    holdings = _holdings(portfolio, since)
    codes = {h.currency for h in holdings} | {target, "usd", "btc"}
    prices = portfolio_price_points(codes, day_list[0], today)
    return value_history(holdings, prices, target, day_list)


def _holdings(portfolio: Portfolio, since: datetime) -> list[Holding]:
    return [h for source in holdings_sources() for h in source.history(portfolio, since)]


def portfolio_price_points(codes: set[str], start: date, today: date) -> list[PricePoint]:
    """Every stored price of the window, each for the day it belongs to: daily closes and
    prices observed in statements (their day), and the spot prices quoted inside the window
    (the day they were quoted: today's value is today's quote). Nothing from before the window
    is carried in. Two queries."""
    since = datetime.combine(start, time.min, UTC)
    until = datetime.combine(today + timedelta(days=1), time.min, UTC)
    points = [
        PricePoint(base, quote, at.date(), price, kind=kind, at=at)
        for base, quote, at, price, kind in Price.objects.filter(
            base__code__in=codes, quote__code__in=codes, at__gte=since, at__lt=until
        ).values_list("base__code", "quote__code", "at", "price", "kind")
    ]
    points.extend(
        PricePoint(base, quote, at.date(), price, kind=SPOT, at=at)
        for base, quote, price, at in SpotPrice.objects.filter(
            base__code__in=codes, quote__code__in=codes, at__gte=since, at__lt=until
        ).values_list("base__code", "quote__code", "price", "at")
    )
    return points


def portfolio_first_day(*, portfolio: Portfolio) -> date | None:
    """The UTC day of the portfolio's earliest known movement (a ledger row, an address
    transaction, an offset): where "all" of its value history starts. One query per source."""
    moments = [source.first_moment(portfolio) for source in holdings_sources()]
    known = [m for m in moments if m is not None]
    return min(known).date() if known else None
