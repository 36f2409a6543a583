"""Charts drawn on the server as inline SVG: a line chart of value over time and an allocation
donut. Pure functions over ``Decimal`` amounts (no ORM, no Django); each returns an HTML string
that is either the chart or an honest sentence saying why there is none.

Every chart carries a text alternative: ``role="img"`` with ``aria-label``, ``<title>`` and
``<desc>`` inside the SVG, and a visually-hidden table with the numbers it was drawn from.
Pixel coordinates are computed with ``Decimal`` as well and written with one decimal.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from dashboard.display import Unit, format_money, format_percent

NOT_ENOUGH_HISTORY = (
    "Not enough history yet: the chart appears once there are values for at least two days."
)
NOTHING_TO_ALLOCATE = "Nothing to show yet."

PALETTE = ("#2f5bea", "#12a383", "#f0a030", "#d9485f", "#7c5cd6", "#2b9fd9", "#8a9a3b")
OTHER_COLOR = "#9aa3b2"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

ONE = Decimal(1)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _n(value: Decimal) -> str:
    """A coordinate with one decimal, without a trailing ".0"."""
    text = f"{value.quantize(Decimal('0.1')):f}"
    return text[:-2] if text.endswith(".0") else text


def empty_state(message: str) -> str:
    return f'<p class="chart-empty">{_e(message)}</p>'


# --- Axes -----------------------------------------------------------------------------------


def nice_number(x: Decimal, *, round_: bool) -> Decimal:
    """The "nice" number (1, 2 or 5 times a power of ten) closest to ``x`` (``round_``) or the
    smallest one at least ``x``. ``x`` must be positive. From Heckbert, "Nice numbers for graph
    labels", Graphics Gems (1990)."""
    if x <= 0:
        raise ValueError("nice_number needs a positive number")
    exponent = x.adjusted()
    fraction = x.scaleb(-exponent)
    if round_:
        nice = 1 if fraction < Decimal("1.5") else 2 if fraction < 3 else 5 if fraction < 7 else 10
    else:
        nice = 1 if fraction <= 1 else 2 if fraction <= 2 else 5 if fraction <= 5 else 10
    return Decimal(nice).scaleb(exponent)


def nice_ticks(lo: Decimal, hi: Decimal, max_ticks: int = 5) -> list[Decimal]:
    """Evenly spaced round tick values covering ``lo..hi``, at most about ``max_ticks`` of
    them: ``(3, 97) -> [0, 20, 40, 60, 80, 100]``. A flat range is widened around its value
    so that it still gets an axis."""
    if lo > hi:
        lo, hi = hi, lo
    if lo == hi:
        pad = abs(lo) / 10 if lo else ONE
        lo, hi = lo - pad, hi + pad
    span = nice_number(hi - lo, round_=False)
    step = nice_number(span / max(max_ticks - 1, 1), round_=True)
    first = (lo / step).to_integral_value(rounding=ROUND_FLOOR) * step
    last = (hi / step).to_integral_value(rounding=ROUND_CEILING) * step
    ticks = []
    value = first
    while value <= last:
        ticks.append(_clean(value))
        value += step
    return ticks


def _clean(value: Decimal) -> Decimal:
    """``Decimal("2.0E+1") -> Decimal("20")``: no exponent, no trailing zeros, no ``-0``."""
    if value == 0:
        return Decimal(0)
    normal = value.normalize()
    return normal.quantize(ONE) if normal.as_tuple().exponent > 0 else normal  # type: ignore[operator]


def tick_places(ticks: Sequence[Decimal], unit: Unit) -> int:
    """Decimals every label of an axis shares: as many as the step needs; fiat with cents gets
    its full precision as soon as the step is below one ("$0.50", not "$0.5")."""
    places = 0
    for tick in ticks:
        exponent = tick.normalize().as_tuple().exponent
        if isinstance(exponent, int) and exponent < 0:
            places = max(places, -exponent)
    if unit.is_fiat and places:
        places = max(places, unit.decimals)
    return places


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def date_ticks(start: date, end: date, max_ticks: int = 6) -> list[date]:
    """Dates for the x axis between ``start`` and ``end``: every 1, 2, 7 or 14 days for a short
    span, else the first days of every 1, 2, 3, 6, 12 or more months."""
    span = (end - start).days
    for step in (1, 2, 7, 14):
        if span // step + 1 <= max_ticks:
            return [start + timedelta(days=i * step) for i in range(span // step + 1)]
    months = 1
    while True:
        for factor in (1, 2, 3, 6):
            step = months * factor
            first = start if start.day == 1 else _add_months(start, 1)
            ticks = []
            tick = first
            while tick <= end:
                ticks.append(tick)
                tick = _add_months(tick, step)
            if len(ticks) <= max_ticks:
                return ticks
        months *= 12


def date_label(day: date, *, monthly: bool) -> str:
    if monthly:
        return f"{MONTHS[day.month - 1]} {day.year}"
    return f"{day.day} {MONTHS[day.month - 1]}"


def long_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _x_value(value: date | datetime) -> Decimal:
    """Days since year 1 (fractional for datetimes): the x scale of the line chart."""
    if isinstance(value, datetime):
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        return Decimal(value.toordinal()) + Decimal(seconds) / 86400
    return Decimal(value.toordinal())


# --- Line chart -----------------------------------------------------------------------------

LINE_WIDTH = 880
LINE_HEIGHT = 280
CHAR_WIDTH = 7  # px per character of a 12px label, for the left margin


def _segments(
    points: Sequence[tuple[date | datetime, Decimal | None]],
) -> list[list[tuple[date | datetime, Decimal]]]:
    """The runs of consecutive points that have a value: a None (no price that day) ends one."""
    runs: list[list[tuple[date | datetime, Decimal]]] = [[]]
    for when, value in points:
        if value is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((when, value))
    return [run for run in runs if run]


def line_chart(
    points: Sequence[tuple[date | datetime, Decimal | None]],
    *,
    unit: Unit,
    title: str,
    chart_id: str = "value-chart",
    empty_message: str = NOT_ENOUGH_HISTORY,
    width: int = LINE_WIDTH,
    height: int = LINE_HEIGHT,
    max_x_ticks: int = 6,
) -> str:
    """Value over time: ``points`` are (date or datetime, amount in ``unit`` or None), in any
    order. A None is a day without a value (no price): the line breaks there, never drops to
    zero or stays flat, and a shaded band marks the days. Fewer than two distinct days with a
    value give ``empty_message`` instead of a chart. ``width`` and ``height`` are the viewBox
    in px at which the 12px labels are meant to be read: draw a narrow variant for phones
    rather than shrinking a wide one."""
    points = sorted(points, key=lambda p: _x_value(p[0]))
    valued = [(when, value) for when, value in points if value is not None]
    if len({_day(when) for when, _ in valued}) < 2:
        return empty_state(empty_message)

    values = [v for _, v in valued]
    ticks = nice_ticks(min(values), max(values))
    places = tick_places(ticks, unit)
    labels = [format_money(t, unit, places=places) for t in ticks]
    left = Decimal(max(len(label) for label in labels) * CHAR_WIDTH + 14)
    right, top, bottom = Decimal(16), Decimal(12), Decimal(30)
    full_w, full_h = Decimal(width), Decimal(height)
    plot_w, plot_h = full_w - left - right, full_h - top - bottom
    y0, y1 = ticks[0], ticks[-1]
    x0, x1 = _x_value(points[0][0]), _x_value(points[-1][0])

    def x(value: date | datetime) -> Decimal:
        return left + (_x_value(value) - x0) / (x1 - x0) * plot_w

    def y(value: Decimal) -> Decimal:
        return top + (y1 - value) / (y1 - y0) * plot_h

    parts = []
    for tick, label in zip(ticks, labels, strict=True):
        ty = y(tick)
        parts.append(
            f'<line class="grid" x1="{_n(left)}" x2="{_n(full_w - right)}" y1="{_n(ty)}" y2="{_n(ty)}"/>'
            f'<text class="y-label" x="{_n(left - 8)}" y="{_n(ty + 4)}" text-anchor="end">{_e(label)}</text>'
        )
    first_day, last_day = _day(points[0][0]), _day(points[-1][0])
    days = date_ticks(first_day, last_day, max_x_ticks)
    monthly = (last_day - first_day).days // 14 + 1 > max_x_ticks
    for day in days:
        tx = x(day)
        parts.append(
            f'<line class="tick" x1="{_n(tx)}" x2="{_n(tx)}" y1="{_n(top + plot_h)}" y2="{_n(top + plot_h + 5)}"/>'
            f'<text class="x-label" x="{_n(tx)}" y="{_n(full_h - 8)}" text-anchor="middle">'
            f"{_e(date_label(day, monthly=monthly))}</text>"
        )
    gaps = _gap_bands(points, x, top, plot_h, left, full_w - right)
    baseline = _n(top + plot_h)
    lines, areas, dots = [], [], []
    for run in _segments(points):
        line = " ".join(f"{_n(x(when))},{_n(y(value))}" for when, value in run)
        areas.append(f"M{_n(x(run[0][0]))},{baseline} L{line} L{_n(x(run[-1][0]))},{baseline} Z")
        lines.append(f"M{line}")
        if len(run) == 1:  # a path through one point draws nothing: a ring shows the day
            dots.append(
                f'<circle class="line point" cx="{_n(x(run[0][0]))}" cy="{_n(y(run[0][1]))}" '
                'r="2"/>'
            )
    last_when, last_value = valued[-1]

    low = min(valued, key=lambda p: p[1])
    high = max(valued, key=lambda p: p[1])
    missing = sum(1 for _, value in points if value is None)
    desc = (
        f"Value in {unit.code.upper()} from {long_date(first_day)} to {long_date(last_day)}: "
        f"{format_money(valued[0][1], unit)} at the start, {format_money(last_value, unit)} at the end; "
        f"lowest {format_money(low[1], unit)} on {long_date(_day(low[0]))}, "
        f"highest {format_money(high[1], unit)} on {long_date(_day(high[0]))}."
    )
    if missing:
        desc += f" {missing} day{'s' if missing != 1 else ''} without a price left as gaps."
    rows = "".join(
        f"<tr><td>{_e(long_date(_day(when)))}</td>"
        f"<td>{_e(format_money(value, unit) if value is not None else 'no price')}</td></tr>"
        for when, value in points
    )
    return (
        f'<figure class="chart chart-line" id="{_e(chart_id)}">'
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}" '
        f'aria-describedby="{_e(chart_id)}-desc" focusable="false">'
        f'<title>{_e(title)}</title><desc id="{_e(chart_id)}-desc">{_e(desc)}</desc>'
        f"{''.join(parts)}{''.join(gaps)}"
        f'<path class="area" d="{" ".join(areas)}"/>'
        f'<path class="line" d="{" ".join(lines)}"/>'
        f"{''.join(dots)}"
        f'<circle class="last" cx="{_n(x(last_when))}" cy="{_n(y(last_value))}" r="3.5"/>'
        f"</svg>"
        f'<div class="visually-hidden"><table><caption>{_e(title)}</caption>'
        f'<thead><tr><th scope="col">Date</th><th scope="col">Value</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
        f"</figure>"
    )


def _gap_bands(points, x, top: Decimal, plot_h: Decimal, lo: Decimal, hi: Decimal) -> list[str]:
    """A shaded band over each run of days without a value, from the last valued day before
    it to the first one after it (or the plot's edge), so the break cannot be missed."""
    bands = []
    index = 0
    while index < len(points):
        if points[index][1] is not None:
            index += 1
            continue
        start = index
        while index < len(points) and points[index][1] is None:
            index += 1
        x_start = x(points[start - 1][0]) if start > 0 else lo
        x_end = x(points[index][0]) if index < len(points) else hi
        first, last = _day(points[start][0]), _day(points[index - 1][0])
        span = long_date(first) if first == last else f"{long_date(first)} to {long_date(last)}"
        bands.append(
            f'<rect class="gap" x="{_n(x_start)}" y="{_n(top)}" width="{_n(max(x_end - x_start, ONE))}" '
            f'height="{_n(plot_h)}" fill="{OTHER_COLOR}" fill-opacity="0.12">'
            f"<title>No price: {_e(span)}</title></rect>"
        )
    return bands


# --- Allocation donut -----------------------------------------------------------------------

DONUT_SIZE = 200
DONUT_RADIUS = 70
DONUT_STROKE = 30


def allocation_slices(
    items: Sequence[tuple[str, Decimal]], *, max_slices: int = 6
) -> tuple[list[tuple[str, Decimal, Decimal]], list[str]]:
    """(label, value, share) for the positive items, largest first, the smallest merged into
    "Other" beyond ``max_slices``; and the labels left out because they are zero or negative
    (a donut cannot show them)."""
    positive = sorted(
        ((label, value) for label, value in items if value > 0), key=lambda i: (-i[1], i[0])
    )
    left_out = [label for label, value in items if value <= 0]
    if len(positive) > max_slices:
        kept, rest = positive[: max_slices - 1], positive[max_slices - 1 :]
        positive = [*kept, ("Other", sum((v for _, v in rest), Decimal(0)))]
    total = sum((v for _, v in positive), Decimal(0))
    return [(label, value, value / total) for label, value in positive], left_out


def allocation_chart(
    items: Sequence[tuple[str, Decimal]],
    *,
    unit: Unit,
    title: str,
    chart_id: str = "allocation-chart",
    max_slices: int = 6,
    empty_message: str = NOTHING_TO_ALLOCATE,
) -> str:
    """A donut of how ``items`` (label, value in ``unit``) share the total, with a legend.
    Zero and negative values are left out (and the chart says so); nothing positive gives
    ``empty_message``."""
    slices, left_out = allocation_slices(items, max_slices=max_slices)
    if not slices:
        return empty_state(empty_message)
    positive_count = sum(1 for _, value in items if value > 0)
    total = sum((value for _, value, _ in slices), Decimal(0))
    total_text = format_money(total, unit)
    center = DONUT_SIZE // 2
    circles = [
        f'<circle class="donut-track" cx="{center}" cy="{center}" r="{DONUT_RADIUS}" '
        f'stroke-width="{DONUT_STROKE}"/>'
    ]
    gap = Decimal("0.6") if len(slices) > 1 else Decimal(0)
    start = Decimal(0)
    legend = []
    rows = []
    for index, (label, value, share) in enumerate(slices):
        merged = index == max_slices - 1 and positive_count > max_slices
        color = OTHER_COLOR if merged else PALETTE[index % len(PALETTE)]
        length = share * 100
        drawn = max(length - gap, Decimal("0.2"))
        text = f"{label}: {format_money(value, unit)} ({format_percent(share)})"
        circles.append(
            f'<circle cx="{center}" cy="{center}" r="{DONUT_RADIUS}" stroke="{color}" '
            f'stroke-width="{DONUT_STROKE}" pathLength="100" '
            f'stroke-dasharray="{_n(drawn)} {_n(100 - drawn)}" stroke-dashoffset="{_n(-start)}" '
            f'transform="rotate(-90 {center} {center})"><title>{_e(text)}</title></circle>'
        )
        start += length
        legend.append(
            f'<li><svg class="swatch" viewBox="0 0 10 10" aria-hidden="true"><rect width="10" height="10" rx="2" fill="{color}"/></svg>'
            f'<span class="legend-label">{_e(label)}</span>'
            f'<span class="legend-value">{_e(format_money(value, unit))}</span>'
            f'<span class="legend-share">{_e(format_percent(share))}</span></li>'
        )
        rows.append(
            f"<tr><td>{_e(label)}</td><td>{_e(format_money(value, unit))}</td><td>{_e(format_percent(share))}</td></tr>"
        )
    font = min(18, 150 // max(len(total_text), 1) + 4)
    desc = f"Total {total_text}. " + "; ".join(
        f"{label} {format_money(value, unit)} ({format_percent(share)})"
        for label, value, share in slices
    )
    note = ""
    if left_out:
        desc += f". Not shown (zero or negative): {', '.join(left_out)}."
        note = f'<p class="chart-note">Not shown, because they are zero or negative: {_e(", ".join(left_out))}.</p>'
    return (
        f'<figure class="chart chart-allocation" id="{_e(chart_id)}">'
        f'<div class="donut-wrap">'
        f'<svg class="donut" viewBox="0 0 {DONUT_SIZE} {DONUT_SIZE}" role="img" aria-label="{_e(title)}" '
        f'aria-describedby="{_e(chart_id)}-desc" focusable="false">'
        f'<title>{_e(title)}</title><desc id="{_e(chart_id)}-desc">{_e(desc)}</desc>'
        f"{''.join(circles)}"
        f'<text class="donut-total" x="{center}" y="{center + 2}" text-anchor="middle" font-size="{font}">{_e(total_text)}</text>'
        f'<text class="donut-caption" x="{center}" y="{center + 20}" text-anchor="middle">total</text>'
        f"</svg>"
        f'<ul class="legend" aria-hidden="true">{"".join(legend)}</ul>'
        f"</div>"
        f'<div class="visually-hidden"><table><caption>{_e(title)}</caption>'
        f'<thead><tr><th scope="col">Holding</th><th scope="col">Value</th><th scope="col">Share</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
        f"{note}"
        f"</figure>"
    )


# --- Drawdown under the value line ------------------------------------------------------------

DRAWDOWN_HEIGHT = 120


def drawdown_chart(
    points: Sequence[tuple[date, Decimal | None]],
    *,
    title: str,
    chart_id: str = "drawdown-chart",
    width: int = LINE_WIDTH,
    height: int = DRAWDOWN_HEIGHT,
    max_x_ticks: int = 6,
) -> str:
    """The drawdown per day (fractions, 0 at a running peak, negative below) as a shaded area
    hanging from the zero line; a None is a gap, as in ``line_chart``. Fewer than two valued
    days give an empty string: the value chart above already says why."""
    points = sorted(points, key=lambda p: p[0])
    valued = [(when, value) for when, value in points if value is not None]
    if len({when for when, _ in valued}) < 2:
        return ""
    lowest = min(value for _, value in valued)
    ticks = [t for t in nice_ticks(min(lowest, Decimal("-0.01")), Decimal(0), 3) if t <= 0]
    labels = [format_percent(t) for t in ticks]
    left = Decimal(max(len(label) for label in labels) * CHAR_WIDTH + 14)
    right, top, bottom = Decimal(16), Decimal(8), Decimal(24)
    full_w, full_h = Decimal(width), Decimal(height)
    plot_w, plot_h = full_w - left - right, full_h - top - bottom
    y0 = ticks[0]
    x0, x1 = _x_value(points[0][0]), _x_value(points[-1][0])

    def x(value: date | datetime) -> Decimal:
        return left + (_x_value(value) - x0) / (x1 - x0) * plot_w

    def y(value: Decimal) -> Decimal:
        return top + (0 - value) / (0 - y0) * plot_h

    parts = []
    for tick, label in zip(ticks, labels, strict=True):
        ty = y(tick)
        parts.append(
            f'<line class="grid" x1="{_n(left)}" x2="{_n(full_w - right)}" y1="{_n(ty)}" y2="{_n(ty)}"/>'
            f'<text class="y-label" x="{_n(left - 8)}" y="{_n(ty + 4)}" text-anchor="end">{_e(label)}</text>'
        )
    first_day, last_day = points[0][0], points[-1][0]
    monthly = (last_day - first_day).days // 14 + 1 > max_x_ticks
    for day in date_ticks(first_day, last_day, max_x_ticks):
        tx = x(day)
        parts.append(
            f'<text class="x-label" x="{_n(tx)}" y="{_n(full_h - 6)}" text-anchor="middle">'
            f"{_e(date_label(day, monthly=monthly))}</text>"
        )
    gaps = _gap_bands(points, x, top, plot_h, left, full_w - right)
    zero = _n(y(Decimal(0)))
    areas, lines = [], []
    for run in _segments(points):
        line = " ".join(f"{_n(x(when))},{_n(y(value))}" for when, value in run)
        areas.append(f"M{_n(x(run[0][0]))},{zero} L{line} L{_n(x(run[-1][0]))},{zero} Z")
        lines.append(f"M{line}")
    worst = min(valued, key=lambda p: p[1])
    desc = (
        f"Drawdown of the time-weighted return from {long_date(first_day)} to "
        f"{long_date(last_day)}: deepest {format_percent(worst[1])} on {long_date(worst[0])}, "
        f"{format_percent(valued[-1][1])} on the last day."
    )
    rows = "".join(
        f"<tr><td>{_e(long_date(when))}</td>"
        f"<td>{_e(format_percent(value) if value is not None else 'no price')}</td></tr>"
        for when, value in points
    )
    return (
        f'<figure class="chart chart-drawdown" id="{_e(chart_id)}">'
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}" '
        f'aria-describedby="{_e(chart_id)}-desc" focusable="false">'
        f'<title>{_e(title)}</title><desc id="{_e(chart_id)}-desc">{_e(desc)}</desc>'
        f"{''.join(parts)}{''.join(gaps)}"
        f'<path class="drawdown-area" d="{" ".join(areas)}"/>'
        f'<path class="drawdown-line" d="{" ".join(lines)}"/>'
        f"</svg>"
        f'<div class="visually-hidden"><table><caption>{_e(title)}</caption>'
        f'<thead><tr><th scope="col">Date</th><th scope="col">Drawdown</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
        f"</figure>"
    )
