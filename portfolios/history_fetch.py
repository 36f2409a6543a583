"""Fetching the daily prices a portfolio's value history needs, as soon as an asset appears.

A statement import, an address sync that found the address's transactions, and "refresh now"
call ``portfolio_price_history_ensure``: for every priceable asset the portfolio holds or held,
the daily prices over its held period (its first movement to yesterday; today is valued at
spot) are enqueued for fetching when the price store does not cover them yet, instead of
waiting for the nightly run (which only adds the days after the last one stored).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from currencies.models import Currency
from portfolios.models import PortfolioCurrency
from portfolios.sources import holdings_sources
from prices.history import history_reach
from prices.models import Price
from prices.tasks import prices_backfill_enqueue

BASE_QUOTE = "usd"  # every asset is fetched in USD (the bridge) besides the reporting fiats


def portfolio_held_since(*, portfolio_id: int) -> dict[str, datetime]:
    """The first movement of every currency the portfolio holds or held: address
    transactions, ledger rows (statements, address mirrors) and offsets (their creation).
    One query per source."""
    firsts: dict[str, datetime] = {}
    for source in holdings_sources():
        for code, first in source.held_since(portfolio_id):
            if first is not None and (code not in firsts or first < firsts[code]):
                firsts[code] = first
    return firsts


def portfolio_price_history_ensure(
    *, portfolio_id: int, today: date | None = None
) -> dict[str, date]:
    """Enqueue the missing daily prices of every priceable asset of the portfolio over its held
    period, in USD and each fiat reporting currency (a crypto reporting currency is fetched
    like a held asset, over the portfolio's whole period, so that bridging through USD works).
    Pairs whose days are all stored are not enqueued; each backfill is enqueued once across
    processes. Returns {code: first day asked} of what was enqueued."""
    today = today or timezone.now().date()
    reporting = list(
        PortfolioCurrency.objects.filter(portfolio_id=portfolio_id).values_list(
            "currency__code", "currency__is_fiat", "currency__coingecko_id"
        )
    )
    quotes = sorted({BASE_QUOTE} | {code for code, is_fiat, _ in reporting if is_fiat})
    since = {
        code: first.date()
        for code, first in portfolio_held_since(portfolio_id=portfolio_id).items()
    }
    if since:
        earliest = min(since.values())
        for code, is_fiat, coingecko_id in reporting:
            if coingecko_id and not is_fiat:
                since[code] = min(since.get(code, earliest), earliest)
    priceable = set(
        Currency.objects.filter(code__in=list(since), is_fiat=False)
        .exclude(coingecko_id__isnull=True)
        .exclude(coingecko_id="")
        .values_list("code", flat=True)
    )
    reach = history_reach(today)
    yesterday = today - timedelta(days=1)
    # Days beyond the plan's reach cannot be fetched (statement prices cover their own days).
    starts = {code: max(since[code], reach) if reach else since[code] for code in priceable}
    starts = {code: start for code, start in starts.items() if start <= yesterday}
    covered = _covered(starts, quotes, today)
    enqueued = {}
    for code, start in sorted(starts.items()):
        wanted = (yesterday - start).days + 1
        missing = [q for q in quotes if q != code and covered.get((code, q), 0) < wanted]
        if missing and prices_backfill_enqueue(code=code, quotes=missing, start=start):
            enqueued[code] = start
    return enqueued


def _covered(starts: dict[str, date], quotes: list[str], today: date) -> dict[tuple[str, str], int]:
    """How many daily closes are stored for each (asset, quote) from the asset's start to
    yesterday. One query."""
    if not starts:
        return {}
    window = Q()
    for code, start in starts.items():
        window |= Q(base__code=code, at__gte=datetime.combine(start, time.min, UTC))
    rows = (
        Price.objects.filter(
            window,
            kind=Price.DAILY,
            source="coingecko",
            quote__code__in=quotes,
            at__lt=datetime.combine(today, time.min, UTC),
        )
        .values_list("base__code", "quote__code")
        .annotate(days=Count("id"))
        .order_by()
    )
    return {(base, quote): days for base, quote, days in rows}
