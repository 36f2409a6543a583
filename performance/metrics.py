"""Performance over a range of the daily series. Pure: rows in, figures out, Decimal
arithmetic for values and returns (XIRR is solved in floating point, as any solver does, and
given back as a Decimal). The conventions are API.md's ("History, performance and analytics"),
explained for users in docs/performance.md.

- A day is *valued* when no held or moved asset lacked a price that day; other days are gaps
  and take part in no figure.
- Daily return ``r_d = (V_d - F_d) / V_{d-1} - 1`` for a valued day whose previous calendar day
  is valued with a value above zero (end-of-day convention: the day's flow ``F_d`` is in
  ``V_d``).
- ``twr`` = prod(1 + r_d) - 1; the day's drawdown ``I_d / max(I_<=d) - 1`` of that index
  ``I`` (0 at a running peak, negative below; ``drawdowns``); ``max_drawdown`` the largest
  fall, as a positive fraction; ``volatility`` = sample stdev(r_d) x sqrt(365); ``sharpe`` = (mean r_d - rf/365) /
  stdev(r_d) x sqrt(365).
- ``mwr`` = XIRR (actual/365) of: the start value paid in on the first valued day, each later
  day's net flow paid in (a withdrawal paid out), the end value paid out on the last valued day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal, localcontext

DAYS_A_YEAR = 365
RATIO_PLACES = Decimal("1e-12")


@dataclass(frozen=True)
class Day:
    day: date
    value: Decimal
    flow: Decimal
    unpriced: tuple[str, ...] = ()

    @property
    def valued(self) -> bool:
        return not self.unpriced


@dataclass(frozen=True)
class DayReturn:
    day: date
    r: Decimal


@dataclass(frozen=True)
class DayDrawdown:
    """The TWR index on ``day`` (1 on the range's first valued day) against its running peak:
    ``drawdown`` = index / peak - 1, 0 at a peak and negative below it; None on a gap."""

    day: date
    drawdown: Decimal | None
    index: Decimal | None = None
    peak_day: date | None = None


@dataclass(frozen=True)
class Performance:
    start_value: Decimal | None = None
    end_value: Decimal | None = None
    high_value: Decimal | None = None
    low_value: Decimal | None = None
    absolute_change: Decimal | None = None
    percentage_change: Decimal | None = None
    twr: Decimal | None = None
    mwr: Decimal | None = None
    max_drawdown: Decimal | None = None
    max_drawdown_peak: date | None = None
    max_drawdown_trough: date | None = None
    volatility: Decimal | None = None
    sharpe: Decimal | None = None
    best_day: DayReturn | None = None
    worst_day: DayReturn | None = None
    data_points: int = 0
    returns: list[DayReturn] = field(default_factory=list)
    drawdowns: list[DayDrawdown] = field(default_factory=list)


def daily_returns(days: list[Day]) -> list[DayReturn]:
    """The daily returns of ``days`` (oldest first, consecutive calendar days)."""
    returns = []
    for previous, current in zip(days, days[1:], strict=False):
        if current.day - previous.day != timedelta(days=1):
            continue
        if not (previous.valued and current.valued) or previous.value <= 0:
            continue
        with localcontext(prec=50):
            r = (current.value - current.flow) / previous.value - 1
        returns.append(DayReturn(current.day, r))
    return returns


def performance(days: list[Day], *, risk_free: Decimal = Decimal(0)) -> Performance:
    """Every figure of the range ``days`` (oldest first)."""
    valued = [d for d in days if d.valued]
    if not valued:
        return Performance()
    first, last = valued[0], valued[-1]
    returns = [r for r in daily_returns(days) if r.day > first.day]
    absolute = last.value - first.value
    path = drawdowns(days, returns)
    twr = drawdown = peak_day = trough_day = None
    if returns:
        drawdown = Decimal(0)
        for point in path:
            if point.drawdown is not None and -point.drawdown > drawdown:
                drawdown, peak_day, trough_day = -point.drawdown, point.peak_day, point.day
        twr = next(p.index for p in reversed(path) if p.index is not None) - 1
    volatility = sharpe = None
    if len(returns) >= 2:
        with localcontext(prec=50):
            rs = [item.r for item in returns]
            mean = sum(rs, Decimal(0)) / len(rs)
            variance = sum(((r - mean) ** 2 for r in rs), Decimal(0)) / (len(rs) - 1)
            stdev = variance.sqrt()
            year = Decimal(DAYS_A_YEAR).sqrt()
            volatility = stdev * year
            if stdev > 0:
                sharpe = (mean - risk_free / DAYS_A_YEAR) / stdev * year
    return Performance(
        start_value=first.value,
        end_value=last.value,
        high_value=max(d.value for d in valued),
        low_value=min(d.value for d in valued),
        absolute_change=absolute,
        percentage_change=_q(absolute / first.value * 100) if first.value else None,
        twr=_q(twr),
        mwr=_q(mwr(valued)),
        max_drawdown=_q(drawdown) if drawdown is not None else None,
        max_drawdown_peak=peak_day,
        max_drawdown_trough=trough_day,
        volatility=_q(volatility),
        sharpe=_q(sharpe),
        best_day=max(returns, key=lambda x: x.r) if returns else None,
        worst_day=min(returns, key=lambda x: x.r) if returns else None,
        data_points=len(valued),
        returns=returns,
        drawdowns=[replace(p, drawdown=_q(p.drawdown)) for p in path],
    )


def drawdowns(days: list[Day], returns: list[DayReturn] | None = None) -> list[DayDrawdown]:
    """The drawdown of the TWR index on every day of ``days`` (oldest first), from the first
    valued day on: the index is chain-linked from ``returns`` (``daily_returns`` of the days
    after the first valued one when not given), so a valued day without a return (after a gap)
    keeps the index of the day before; a gap is None."""
    valued = [d for d in days if d.valued]
    if not valued:
        return []
    first = valued[0].day
    if returns is None:
        returns = [r for r in daily_returns(days) if r.day > first]
    by_day = {r.day: r.r for r in returns}
    index = peak = Decimal(1)
    peak_day = first
    path = []
    with localcontext(prec=50):
        for d in days:
            if d.day < first:
                continue
            if not d.valued:
                path.append(DayDrawdown(d.day, None))
                continue
            if d.day in by_day:
                index *= 1 + by_day[d.day]
                if index > peak:
                    peak, peak_day = index, d.day
            path.append(DayDrawdown(d.day, index / peak - 1, index, peak_day))
    return path


def _q(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    with localcontext(prec=60):
        return value.quantize(RATIO_PLACES)


def mwr(valued: list[Day]) -> Decimal | None:
    """XIRR of the range's cash flows, from the investor's side: the start value and each later
    flow paid in (negative), the end value received (positive)."""
    if len(valued) < 2 or valued[0].day == valued[-1].day:
        return None
    flows: list[tuple[date, Decimal]] = [(valued[0].day, -valued[0].value)]
    flows.extend((d.day, -d.flow) for d in valued[1:] if d.flow)
    flows.append((valued[-1].day, valued[-1].value))
    return xirr(flows)


def xirr(flows: list[tuple[date, Decimal]]) -> Decimal | None:
    """The annual rate (actual/365) at which the flows' present value is zero: Newton's method
    from 10 %, falling back to bisection over (-1, 1e9) when Newton leaves the domain or does
    not settle. None when the flows do not change sign or no root exists there."""
    if not flows:
        return None
    t0 = min(d for d, _ in flows)
    points = [((d - t0).days / DAYS_A_YEAR, float(a)) for d, a in flows if a]
    if not any(a > 0 for _, a in points) or not any(a < 0 for _, a in points):
        return None

    def npv(rate: float) -> float:
        return sum(a * math.exp(-t * math.log1p(rate)) for t, a in points)

    def slope(rate: float) -> float:
        return sum(-t * a * math.exp(-(t + 1) * math.log1p(rate)) for t, a in points)

    rate = 0.1
    for _ in range(100):
        try:
            value, d = npv(rate), slope(rate)
        except (OverflowError, ValueError):
            break
        if d == 0:
            break
        step = value / d
        rate_next = rate - step
        if rate_next <= -1:
            break
        if abs(step) <= 1e-12 * max(1.0, abs(rate_next)):
            return Decimal(repr(rate_next))
        rate = rate_next
    return _bisect(npv)


def _bisect(npv) -> Decimal | None:
    low, high = -1 + 1e-12, 1e9

    def safe(rate: float) -> float | None:
        try:
            return npv(rate)
        except (OverflowError, ValueError):
            return None

    f_low, f_high = safe(low), safe(high)
    if f_low is None or f_high is None or f_low * f_high > 0:
        return None
    for _ in range(400):
        mid = (low + high) / 2 if high - low < 1 else math.sqrt((low + 1) * (high + 1)) - 1
        f_mid = safe(mid)
        if f_mid is None:
            return None
        if f_mid == 0 or high - low <= 1e-13 * max(1.0, abs(mid)):
            return Decimal(repr(mid))
        if (f_mid > 0) == (f_low > 0):
            low, f_low = mid, f_mid
        else:
            high = mid
    return Decimal(repr((low + high) / 2))
