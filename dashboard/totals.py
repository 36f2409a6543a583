"""The numbers of the portfolio page: holdings, totals, the allocation donut and the value over
time, each with an honest sentence when it cannot be shown yet.

* ``portfolio_totals`` — live totals (``portfolios.selectors.portfolio_valuation``): every source's balances (addresses,
  offsets, imported wallets), each holding valued in the first reporting currency, its share,
  and its unrealized gain where the cost basis knows the cost; the total in every reporting
  currency.
* ``portfolio_value_history`` — the value at the end of each day, from the stored balances and
  prices (``portfolios.history_selectors``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from currencies.selectors import currencies_by_code
from dashboard.charts import allocation_chart, empty_state, line_chart
from dashboard.costbasis import unrealized_gains
from dashboard.display import Unit
from dashboard.live import valuation_sentences
from portfolios.history import HistoryPoint, ValueChange, ValueSeries, value_change, value_series
from portfolios.history_selectors import portfolio_value_history as stored_value_history
from portfolios.selectors import LAST_KNOWN, portfolio_valuation

VALUES_NOT_YET = "Values appear once prices are fetched."
NO_PRICES_IN_RANGE = (
    "Not enough history yet: no prices are stored for these days. Daily prices are fetched in "
    "the background; try a longer range meanwhile."
)

# The ranges of the value chart: key -> (label, days; None: since the first movement).
RANGES = {
    "1m": ("1 month", 30),
    "3m": ("3 months", 90),
    "1y": ("1 year", 365),
    "all": ("All", None),
}
DEFAULT_RANGE = "1y"
MAX_HISTORY_DAYS = 5 * 365


@dataclass(frozen=True)
class Holding:
    """A quantity of one currency in the portfolio. ``value`` (in the valuation currency) and
    ``price`` (of one unit) are None until a price is known; ``estimated`` when the price is
    the last one stored rather than a live one (``price_at``). ``share`` of the positive total;
    ``cost`` and ``unrealized`` come from the cost basis (None when it is not built), for
    ``gain_quantity`` of the quantity: the part that open lots cover (the rest, e.g. an
    offset, has no cost to compare with)."""

    currency: Any  # currencies.models.Currency
    quantity: Decimal
    value: Decimal | None = None
    price: Decimal | None = None
    share: Decimal | None = None
    estimated: bool = False
    price_at: datetime | None = None
    cost: Decimal | None = None
    unrealized: Decimal | None = None
    gain_quantity: Decimal | None = None
    sources: tuple[str, ...] = ()

    @property
    def gain_is_partial(self) -> bool:
        """Whether the unrealized gain is of less than the quantity shown."""
        return self.gain_quantity is not None and self.gain_quantity != self.quantity


@dataclass(frozen=True)
class PortfolioTotals:
    """``holdings`` valued in ``currency`` (the first reporting currency); ``totals`` is the
    whole portfolio in each reporting currency in the user's order (None: cannot be valued
    yet). ``as_of`` is when the oldest live price was quoted, ``balances_at`` the oldest
    balance counted. ``fetching`` and ``problems`` are sentences shown with the table;
    ``try_again_at`` is set while fetches are on their way."""

    currency: Any
    holdings: list[Holding]
    totals: list[tuple[Any, Decimal | None]]
    as_of: datetime | None = None
    problems: list[str] = field(default_factory=list)
    fetching: list[str] = field(default_factory=list)
    try_again_at: datetime | None = None
    balances_at: datetime | None = None
    cost_basis: Any = None  # dashboard.costbasis.GainsSource when a cost basis is built

    @property
    def has_prices(self) -> bool:
        return any(h.value is not None for h in self.holdings)

    @property
    def shows_gains(self) -> bool:
        """Whether the unrealized-gain column has anything to show."""
        return any(h.unrealized is not None for h in self.holdings)

    @property
    def estimated(self) -> bool:
        """Whether some value counted comes from a last stored price, not a live one."""
        return any(h.estimated for h in self.holdings)


def portfolio_totals(*, portfolio: Any, enqueue: bool = True) -> PortfolioTotals | None:
    """The live totals (valued at the last known price where no spot price is stored yet), or
    None when the portfolio has no reporting currency. With ``enqueue`` the fetches that are
    due are enqueued, exactly as the API's totals do (never twice)."""
    now = timezone.now()
    valuation = portfolio_valuation(portfolio, prices=LAST_KNOWN, enqueue=enqueue, now=now)
    currencies = currencies_by_code(row.currency for row in valuation.balances)
    if valuation.main is None or valuation.main not in currencies:
        return None
    main = currencies[valuation.main]
    rows = [row for row in valuation.rows if row.currency in currencies]
    positive = sum((r.value for r in rows if r.value and r.value > 0), Decimal(0))
    gains = unrealized_gains(portfolio=portfolio)
    holdings = []
    for row in rows:
        share = row.value / positive if row.value and row.value > 0 and positive else None
        gain = None
        if gains is not None and row.value is not None:
            gain = gains.gain(row.currency, row.quantity, row.price, valued_in=main.code)
        holdings.append(
            Holding(
                currency=currencies[row.currency],
                quantity=row.quantity,
                value=row.value,
                price=row.price,
                share=share,
                estimated=row.estimated,
                price_at=row.price_at,
                cost=gain.cost if gain else None,
                unrealized=gain.unrealized if gain else None,
                gain_quantity=gain.quantity if gain else None,
                sources=row.sources,
            )
        )
    holdings.sort(key=lambda h: (h.value is None, -(h.value or 0), h.currency.code))
    words = valuation_sentences(valuation, now=now)
    return PortfolioTotals(
        currency=main,
        holdings=holdings,
        totals=[
            (currencies[code], valuation.total(code))
            for code in valuation.reporting
            if code in currencies
        ],
        as_of=valuation.prices_at,
        problems=words.problems,
        fetching=words.fetching,
        try_again_at=valuation.waits.try_again_at,
        balances_at=valuation.balances_at,
        cost_basis=gains,
    )


def history_days(range_key: str, first_day: date | None, today: date) -> int:
    """How many days the chart covers: the range's, or since ``first_day`` for "all"
    (at most ``MAX_HISTORY_DAYS``, at least two)."""
    days = RANGES.get(range_key, RANGES[DEFAULT_RANGE])[1]
    if days is None:
        days = (today - first_day).days + 1 if first_day else 30
    return max(2, min(days, MAX_HISTORY_DAYS))


def portfolio_value_history(*, portfolio: Any, currency: Any, days: int) -> list[HistoryPoint]:
    """(day, value in ``currency``, unpriced) for the last ``days`` days, today last."""
    return stored_value_history(portfolio=portfolio, target=currency.code, days=days)


def value_history_context(
    *, portfolio: Any, reporting: list[Any], range_key: str, first_day: date | None
) -> dict[str, Any]:
    """The value chart of the chosen range, and the change of the value over the last day
    and month (``day_change``, ``month_change``: ``ValueChange``, a reason instead of a number
    when a day lacks a real price)."""
    currency = reporting[0] if reporting else None
    range_key = range_key if range_key in RANGES else DEFAULT_RANGE
    context: dict[str, Any] = {
        "ranges": [(key, label) for key, (label, _) in RANGES.items()],
        "range": range_key,
        "history_note": "",
        "day_change": ValueChange(reason="No reporting currency."),
        "month_change": ValueChange(reason="No reporting currency."),
    }
    if currency is None:
        context["value_chart"] = mark_safe(  # noqa: S308 - escaped by charts
            empty_state("Choose a reporting currency to see the value over time.")
        )
        return context
    today = timezone.now().date()
    days = history_days(range_key, first_day, today)
    history = portfolio_value_history(portfolio=portfolio, currency=currency, days=days)
    # The changes always look at the same 31 days as the portfolio list does.
    recent = (
        history[-31:]
        if days > 30
        else portfolio_value_history(portfolio=portfolio, currency=currency, days=31)
    )
    context["day_change"] = value_change(recent, 1)
    context["month_change"] = value_change(recent, 30)
    series = value_series(history)
    if series.drawn >= 2:
        context["history_note"] = history_note(series)
    if series.drawn < 2 and any(p.unpriced for p in history):
        context["value_chart"] = mark_safe(empty_state(NO_PRICES_IN_RANGE))  # noqa: S308
        return context
    context["value_chart"] = _line(series.points, currency)
    return context


def history_note(series: ValueSeries) -> str:
    """What the line leaves out: assets never priced in the range, and the gaps."""
    sentences = []
    if series.gaps:
        named = ", ".join(
            f"{code.upper()} ({days} day{'s' if days != 1 else ''})"
            for code, days in sorted(series.gaps.items())
        )
        sentences.append(
            f"Days without a real price for {named} are gaps in the line: no earlier price is "
            "carried over."
        )
    if series.left_out:
        sentences.append(
            f"No price for {', '.join(c.upper() for c in series.left_out)} on any of these days: "
            "left out of the line."
        )
    return " ".join(sentences)


def _line(points: list[tuple[date, Decimal | None]], currency: Any) -> SafeString:
    title = f"Value over time in {currency.code.upper()}"
    wide = line_chart(points, unit=Unit.of(currency), title=title, chart_id="value-chart")
    if "<svg" not in wide:
        return mark_safe(wide)  # noqa: S308 - escaped by charts
    # Drawn twice, each read at its own size; CSS shows one (the other is display:none,
    # so assistive technology meets one chart and one table too).
    narrow = line_chart(
        points,
        unit=Unit.of(currency),
        title=title,
        chart_id="value-chart-narrow",
        width=360,
        height=240,
        max_x_ticks=3,
    )
    return mark_safe(  # noqa: S308 - every text is escaped by charts
        f'<div class="chart-wide">{wide}</div><div class="chart-narrow">{narrow}</div>'
    )


def allocation(totals: PortfolioTotals | None) -> SafeString:
    items = (
        [(h.currency.code.upper(), h.value) for h in totals.holdings if h.value is not None]
        if totals
        else []
    )
    if totals is None or not items:
        return mark_safe(empty_state(VALUES_NOT_YET))  # noqa: S308 - escaped by charts
    return mark_safe(  # noqa: S308 - every text is escaped by charts
        allocation_chart(
            items,
            unit=Unit.of(totals.currency),
            title=f"Allocation by value in {totals.currency.code.upper()}",
        )
    )


def totals_context(
    *, portfolio: Any, reporting: list[Any], range_key: str = DEFAULT_RANGE, first_day=None
) -> dict[str, Any]:
    """Everything ``dashboard/_totals.html`` and ``dashboard/_value_history.html`` render."""
    totals = portfolio_totals(portfolio=portfolio)
    return {
        "totals": totals,
        "holdings": totals.holdings if totals else [],
        "allocation_chart": allocation(totals),
        **value_history_context(
            portfolio=portfolio, reporting=reporting, range_key=range_key, first_day=first_day
        ),
    }


@dataclass(frozen=True)
class PortfolioSummary:
    """A portfolio's line on the portfolio list: its total in the first reporting currency,
    how that changed over the last day and month (from real prices only, else a reason),
    whether fetches are on their way, and when its data was last updated."""

    currency: Any
    total: Decimal | None
    day: ValueChange
    month: ValueChange
    pending: bool
    partial: bool
    updated_at: datetime | None


def portfolio_summary(*, portfolio: Any) -> PortfolioSummary | None:
    """A fixed number of queries per portfolio (live totals and 31 days of history)."""
    valuation = portfolio_valuation(portfolio, prices=LAST_KNOWN, enqueue=True)
    main = valuation.main
    currency = currencies_by_code([main]).get(main) if main else None
    if main is None or currency is None:
        return None
    history = portfolio_value_history(portfolio=portfolio, currency=currency, days=31)
    updates = [
        portfolio.balances_last_updated,
        portfolio.converted_balances_last_updated,
        valuation.updated_at,
    ]
    return PortfolioSummary(
        currency=currency,
        total=valuation.total(main),
        day=value_change(history, 1),
        month=value_change(history, 30),
        pending=valuation.waits.try_again_at is not None,
        partial=bool(valuation.left_out(main) or valuation.estimated),
        updated_at=max((u for u in updates if u), default=None),
    )
