"""A portfolio's value day by day. Pure: dataclasses in, dataclasses out.

Each holding is anchored at its current balance and walked back through its movements:
the balance at the end of day D is the current balance minus every movement after D. This
needs only the movements inside the window, and it stays right for an address whose early
history was never fetched. Prices carry forward: a day without a stored price uses the last
one before it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from prices.conversion import convert


@dataclass(frozen=True)
class Holding:
    """One source's holding of one currency: ``current`` now, and the signed ``movements``
    (time, delta) that led to it. An offset is a holding with one movement: its creation."""

    currency: str
    current: Decimal
    movements: tuple[tuple[datetime, Decimal], ...] = ()


@dataclass(frozen=True)
class PricePoint:
    base: str
    quote: str
    day: date
    price: Decimal


@dataclass(frozen=True)
class HistoryPoint:
    day: date
    value: Decimal
    unpriced: tuple[str, ...] = field(default_factory=tuple)


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
    """For each day, the last known price of every pair at or before it."""
    series: dict[tuple[str, str], list[tuple[date, Decimal]]] = defaultdict(list)
    for point in points:
        series[(point.base, point.quote)].append((point.day, point.price))
    dates: dict[tuple[str, str], list[date]] = {}
    for pair, values in series.items():
        values.sort()
        dates[pair] = [d for d, _ in values]
    tables: dict[date, dict[tuple[str, str], Decimal]] = {}
    for day in days:
        table = {}
        for pair, values in series.items():
            i = bisect_right(dates[pair], day)
            if i:
                table[pair] = values[i - 1][1]
        tables[day] = table
    return tables


def value_history(
    holdings: list[Holding], prices: list[PricePoint], target: str, days: list[date]
) -> list[HistoryPoint]:
    """The portfolio's value in ``target`` at the end of each day; a currency held that day
    with no price path is left out of that day's value and named in ``unpriced``."""
    balances = balances_by_day(holdings, days)
    rates = rates_by_day(prices, days)
    points = []
    for day in days:
        total = Decimal(0)
        missing = []
        for code, amount in sorted(balances[day].items()):
            if amount == 0:
                continue
            value = convert(amount, code, target, rates[day])
            if value is None:
                missing.append(code)
            else:
                total += value
        points.append(HistoryPoint(day=day, value=total, unpriced=tuple(missing)))
    return points
