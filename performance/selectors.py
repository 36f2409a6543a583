"""Reading the materialised series for a range, and the performance of that range."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from core.exceptions import NotReady, ValidationFailed
from performance.metrics import Day, Performance, performance
from performance.models import SeriesState, ValuePoint
from performance.series import series_update_enqueue
from portfolios.models import Portfolio

TIMEFRAMES = {"1D": 1, "1W": 7, "1M": 30, "3M": 90, "1Y": 365, "ALL": None}
FIRST_BUILD_SECONDS = 30


@dataclass(frozen=True)
class Range:
    start: date
    end: date
    timeframe: str  # one of TIMEFRAMES, or "" when from/to were given


@dataclass(frozen=True)
class Row:
    day: date
    value: Decimal | None  # None: a gap
    flow: Decimal
    unpriced: tuple[str, ...]


def range_parse(params, *, first_day: date | None, today: date | None = None) -> Range:
    """``timeframe`` (default 1M) or ``from``/``to`` (ISO dates, either may be left out: the
    first day held, today). Every problem is reported at once (422)."""
    today = today or timezone.now().date()
    problems: list[str] = []
    raw_from, raw_to = params.get("from"), params.get("to")
    timeframe = params.get("timeframe")
    if (raw_from or raw_to) and timeframe:
        raise ValidationFailed("give either timeframe or from/to, not both")
    if raw_from or raw_to:
        start = _date(raw_from, "from", problems) if raw_from else (first_day or today)
        end = _date(raw_to, "to", problems) if raw_to else today
        if not problems and start and end and start > end:
            problems.append("from must not be after to")
        if problems:
            raise ValidationFailed(problems)
        return Range(start or today, end or today, "")
    timeframe = (timeframe or "1M").strip().upper()
    if timeframe not in TIMEFRAMES:
        raise ValidationFailed(f"timeframe '{timeframe}' is not one of {', '.join(TIMEFRAMES)}")
    days = TIMEFRAMES[timeframe]
    start = today - timedelta(days=days) if days else (first_day or today)
    return Range(start, today, timeframe)


def _date(raw: str, name: str, problems: list[str]) -> date | None:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        problems.append(f"{name} '{raw}' is not a date (YYYY-MM-DD)")
        return None


def series_rows(*, portfolio: Portfolio, currency_id: int, span: Range) -> list[Row]:
    """The stored days of the range, oldest first; 503 Not ready (and the first build
    enqueued) while the series was never built, and an update enqueued when it is behind
    today. A day is a gap when a held or moved asset had no price that day, except assets
    priced on no day of the range: those are left out of every day (else every day would be a
    gap), as the value chart does (``portfolios.history.value_series``)."""
    state = SeriesState.objects.filter(portfolio=portfolio).first()
    if state is None:
        series_update_enqueue(portfolio.pk)
        raise NotReady(timezone.now() + timedelta(seconds=FIRST_BUILD_SECONDS))
    points = list(
        ValuePoint.objects.filter(
            portfolio=portfolio, currency_id=currency_id, day__gte=span.start, day__lte=span.end
        )
        .order_by("day")
        .values_list("day", "value", "flow", "unpriced", "priced")
    )
    if not points or points[-1][0] < timezone.now().date():
        series_update_enqueue(portfolio.pk)
    unpriced_any = {code for p in points for code in p[3]}
    priced_any = {code for p in points for code in p[4]}
    left_out = unpriced_any - priced_any
    rows = []
    for day, value, flow, unpriced, priced in points:
        blocking = [c for c in unpriced if c not in left_out] or (unpriced if not priced else [])
        rows.append(Row(day, None if blocking else value, flow, tuple(unpriced)))
    return rows


def risk_free_rate() -> Decimal:
    return Decimal(str(getattr(settings, "PERFORMANCE_RISK_FREE_RATE", "0")))


def rows_performance(rows: list[Row]) -> Performance:
    days = [
        Day(row.day, row.value or Decimal(0), row.flow, () if row.value is not None else ("?",))
        for row in rows
    ]
    return performance(days, risk_free=risk_free_rate())
