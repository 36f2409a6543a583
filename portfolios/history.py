"""A portfolio's value day by day. Pure: dataclasses in, dataclasses out.

Each holding is anchored at its current balance and walked back through its movements:
the balance at the end of day D is the current balance minus every movement after D. This
needs only the movements inside the window, and it stays right for an address whose early
history was never fetched.

Prices are never carried forward: a price fills only the day it belongs to (a daily close its
day, a spot price or a trade price seen in a statement the day it was quoted). A day with no
price for a held asset values the priced part and names the rest in ``unpriced``; the chart
draws such a day as a gap (``value_series``) and the changes over a day or a month
(``value_change``) are only computed between days valued with real prices for the same
holdings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from prices.conversion import convert, exact_sum

DAILY = "daily"  # a daily close from the price API
SPOT = "spot"  # a live quote, valid for the day it was quoted on
OBSERVED = "observed"  # a price seen in a statement (a trade price)
# Which price of a pair counts when a day has several: a live quote of that day is the
# newest, a daily close is the market's reference, a trade price includes its spread.
PRICE_PREFERENCE = {SPOT: 0, DAILY: 1, OBSERVED: 2}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Holding:
    """One source's holding of one currency: ``current`` now, and the signed ``movements``
    (time, delta) that led to it. An offset is a holding with one movement: its creation."""

    currency: str
    current: Decimal
    movements: tuple[tuple[datetime, Decimal], ...] = ()


@dataclass(frozen=True)
class PricePoint:
    """1 ``base`` = ``price`` ``quote`` on ``day``; ``kind`` is one of DAILY, SPOT, OBSERVED and
    ``at`` the exact time when known (the latest of one kind wins within a day)."""

    base: str
    quote: str
    day: date
    price: Decimal
    kind: str = DAILY
    at: datetime | None = None


@dataclass(frozen=True)
class HistoryPoint:
    """The value of the priced holdings at the end of ``day``; ``unpriced`` names the held
    currencies without a price that day (left out of ``value``)."""

    day: date
    value: Decimal
    unpriced: tuple[str, ...] = field(default_factory=tuple)
    priced: tuple[str, ...] = field(default_factory=tuple)  # the held currencies valued


def day_end(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, UTC)


def balances_by_day(
    holdings: Iterable[Holding], days: list[date]
) -> dict[date, dict[str, Decimal]]:
    """The balance of every currency at the end of each day (days ascending)."""
    result: dict[date, dict[str, Decimal]] = {day: defaultdict(Decimal) for day in days}
    for holding in holdings:
        movements = sorted(holding.movements, key=lambda m: m[0], reverse=True)
        balance = holding.current
        index = 0
        for day in reversed(days):
            boundary = day_end(day)
            while index < len(movements) and movements[index][0] >= boundary:
                balance -= movements[index][1]
                index += 1
            result[day][holding.currency] += balance
    return {
        day: {code: amount for code, amount in values.items()} for day, values in result.items()
    }


def rates_by_day(
    points: Iterable[PricePoint], days: list[date]
) -> dict[date, dict[tuple[str, str], Decimal]]:
    """For each day, the price of every pair priced on that very day (nothing is carried over
    from an earlier day); of several, the preferred kind, then the latest."""
    wanted = set(days)
    best: dict[tuple[date, tuple[str, str]], PricePoint] = {}
    for point in points:
        if point.day not in wanted:
            continue
        key = (point.day, (point.base, point.quote))
        current = best.get(key)
        if current is None or _preferred(point, current):
            best[key] = point
    tables: dict[date, dict[tuple[str, str], Decimal]] = {day: {} for day in days}
    for (day, pair), point in best.items():
        tables[day][pair] = point.price
    return tables


def _preferred(candidate: PricePoint, current: PricePoint) -> bool:
    rank = PRICE_PREFERENCE.get(candidate.kind, 3), PRICE_PREFERENCE.get(current.kind, 3)
    if rank[0] != rank[1]:
        return rank[0] < rank[1]
    if candidate.at is not None and current.at is not None:
        return candidate.at > current.at
    return False


def value_history(
    holdings: list[Holding], prices: list[PricePoint], target: str, days: list[date]
) -> list[HistoryPoint]:
    """The portfolio's value in ``target`` at the end of each day; a currency held that day
    with no price path that day is left out of that day's value and named in ``unpriced``."""
    balances = balances_by_day(holdings, days)
    rates = rates_by_day(prices, days)
    points = []
    for day in days:
        values = []
        missing, priced = [], []
        for code, amount in sorted(balances[day].items()):
            if amount == 0:
                continue
            value = convert(amount, code, target, rates[day])
            if value is None:
                missing.append(code)
            else:
                values.append(value)
                priced.append(code)
        points.append(
            HistoryPoint(
                day=day, value=exact_sum(values), unpriced=tuple(missing), priced=tuple(priced)
            )
        )
    return points


# --- What a chart and a change may honestly show ----------------------------------------------


@dataclass(frozen=True)
class ValueSeries:
    """The line of a value chart. ``points`` run from the first day anything was held to the
    last day: the day's value, or None for a gap (a held asset had no price that day).
    ``left_out`` are the assets with no price on any day of the range: they are left out of
    every day (otherwise every day would be a gap) and the chart says so. ``gaps`` counts, for
    each asset that causes gaps, the days it had no price."""

    points: list[tuple[date, Decimal | None]]
    left_out: tuple[str, ...]
    gaps: dict[str, int]

    @property
    def drawn(self) -> int:
        return sum(1 for _, value in self.points if value is not None)


@dataclass(frozen=True)
class ValueChange:
    """How the value changed between two days valued with real prices: ``amount`` and
    ``fraction`` (None when the earlier value was zero); both None with a ``reason`` when
    either day lacks a price."""

    amount: Decimal | None = None
    fraction: Decimal | None = None
    reason: str = ""


def never_priced(points: Iterable[HistoryPoint]) -> set[str]:
    """The assets held in ``points`` that had no price on any of those days."""
    unpriced: set[str] = set()
    priced: set[str] = set()
    for point in points:
        unpriced.update(point.unpriced)
        priced.update(point.priced)
    return unpriced - priced


def missing_prices(point: HistoryPoint, left_out: set[str]) -> tuple[str, ...]:
    """The assets whose missing price makes ``point`` a gap: those unpriced that day but priced
    on another day of the range, or every held asset when none had a price."""
    blocking = tuple(code for code in point.unpriced if code not in left_out)
    if blocking:
        return blocking
    return point.unpriced if not point.priced else ()


def value_series(points: list[HistoryPoint]) -> ValueSeries:
    """The chart line of ``points`` (oldest first): days before anything was held are left
    out, a day missing a price is a gap, never a zero or an earlier day's price."""
    left_out = never_priced(points)
    series: list[tuple[date, Decimal | None]] = []
    gaps: dict[str, int] = defaultdict(int)
    for point in points:
        if not series and not (point.unpriced or point.priced):
            continue  # nothing held yet: the line starts at the first holding
        missing = missing_prices(point, left_out)
        series.append((point.day, None if missing else point.value))
        for code in missing:
            if code not in left_out:
                gaps[code] += 1
    return ValueSeries(points=series, left_out=tuple(sorted(left_out)), gaps=dict(gaps))


def value_change(points: list[HistoryPoint], days_back: int) -> ValueChange:
    """The change from ``days_back`` days before the last point (today) to it. Both days must
    be valued with real prices for the same holdings (the days the chart of ``points`` draws:
    assets priced on no day of ``points`` are left out of both); otherwise no number, and the
    reason names the assets and days without a price."""
    if not points:
        return ValueChange(reason="No value history yet.")
    last = points[-1]
    first = next((p for p in points if p.day == last.day - timedelta(days=days_back)), None)
    if first is None:
        return ValueChange(reason="No value history that far back yet.")
    left_out = never_priced(points)
    reasons = []
    for point, when in ((last, "today"), (first, f"on {long_date(first.day)}")):
        missing = missing_prices(point, left_out)
        if missing:
            reasons.append(f"no price for {', '.join(c.upper() for c in missing)} {when}")
    if reasons:
        text = "; ".join(reasons)
        return ValueChange(reason=f"{text[0].upper()}{text[1:]}.")
    amount = last.value - first.value
    return ValueChange(amount=amount, fraction=amount / first.value if first.value else None)


def long_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
