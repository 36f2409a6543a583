"""The numbers of the portfolio page, and the extension points where later work plugs in.

What exists now: the offsets' balances summed per currency (``offset_holdings``). What comes
later, from other apps, goes into the two functions marked EXTENSION POINT below, which the
portfolio page already calls and renders (templates ``dashboard/_totals.html`` and
``dashboard/_value_history.html``):

* ``portfolio_totals`` — live totals: address balances added to the holdings, each holding
  valued with prices, the total in every reporting currency.
* ``portfolio_value_history`` — the value over time in the first reporting currency.

Both return "nothing yet" today (None and []), and the page says so in plain words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils.safestring import SafeString, mark_safe

from dashboard.charts import allocation_chart, empty_state, line_chart
from dashboard.display import Unit

VALUES_NOT_YET = "Values appear once prices are fetched."
ADDRESS_BALANCES_NOT_YET = (
    "Balances of addresses are fetched in the background — not available yet."
)


@dataclass(frozen=True)
class Holding:
    """A quantity of one currency in the portfolio, ``value`` in the valuation currency when
    known (None until prices are fetched)."""

    currency: Any  # currencies.models.Currency
    quantity: Decimal
    value: Decimal | None = None


@dataclass(frozen=True)
class PortfolioTotals:
    """What ``portfolio_totals`` returns once prices and address balances exist.

    ``holdings`` replace the offsets-only holdings on the page (addresses included, each valued
    in ``currency``, the first reporting currency); ``totals`` is the portfolio's total in each
    reporting currency, in the user's order; ``as_of`` is when the prices were taken;
    ``problems`` are plain sentences shown under the table ("No price for xyz yet.")."""

    currency: Any
    holdings: list[Holding]
    totals: list[tuple[Any, Decimal]]
    as_of: datetime | None = None
    problems: list[str] = field(default_factory=list)


def offset_holdings(offsets: Iterable[Any]) -> list[Holding]:
    """Sum the (prefetched) balances of ``offsets`` per currency, by currency code. Negative
    balances count as they are; a currency summing to zero is kept (it was entered)."""
    sums: dict[str, Decimal] = {}
    currencies: dict[str, Any] = {}
    for offset in offsets:
        for balance in offset.balances.all():
            code = balance.currency.code
            currencies[code] = balance.currency
            sums[code] = sums.get(code, Decimal(0)) + balance.balance
    return [Holding(currency=currencies[code], quantity=sums[code]) for code in sorted(sums)]


def portfolio_totals(*, portfolio: Any, holdings: list[Holding]) -> PortfolioTotals | None:
    """EXTENSION POINT for the live totals (address balances + prices). Receives the
    offsets-only ``holdings``; returns None while nothing can be valued, which is always the
    case until the prices work fills this in."""
    return None


def portfolio_value_history(*, portfolio: Any, currency: Any) -> list[tuple[date, Decimal]]:
    """EXTENSION POINT for the value-over-time chart: (day, total value in ``currency``),
    oldest first. Empty until the history work fills it in; the page then says "not enough
    history yet"."""
    return []


def totals_context(
    *, portfolio: Any, offsets: Iterable[Any], reporting: list[Any]
) -> dict[str, Any]:
    """Everything ``dashboard/_totals.html`` and ``dashboard/_value_history.html`` render:
    ``holdings``, ``totals`` (PortfolioTotals or None), ``allocation_chart`` and
    ``value_chart`` (safe HTML: a chart or a sentence saying why there is none)."""
    holdings = offset_holdings(offsets)
    totals = portfolio_totals(portfolio=portfolio, holdings=holdings)
    if totals is not None:
        holdings = totals.holdings
    return {
        "holdings": holdings,
        "totals": totals,
        "address_balances_note": ADDRESS_BALANCES_NOT_YET if totals is None else "",
        "allocation_chart": _allocation(totals),
        "value_chart": _value_history(portfolio=portfolio, reporting=reporting),
    }


def _allocation(totals: PortfolioTotals | None) -> SafeString:
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


def _value_history(*, portfolio: Any, reporting: list[Any]) -> SafeString:
    currency = reporting[0] if reporting else None
    if currency is None:
        return mark_safe(empty_state("Choose a reporting currency to see the value over time."))  # noqa: S308
    points = portfolio_value_history(portfolio=portfolio, currency=currency)
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
