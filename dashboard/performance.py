"""The performance panel beside the value chart: the figures of ``/history/performance`` for
the chart's range, read from the stored value series (``performance.selectors``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from core.exceptions import NotReady
from dashboard.charts import drawdown_chart
from performance.metrics import Performance
from performance.selectors import Range, range_parse, rows_performance, series_rows

# The chart's ranges (dashboard.totals.RANGES) as the API's timeframes.
TIMEFRAME_OF_RANGE = {"1m": "1M", "3m": "3M", "1y": "1Y", "all": "ALL"}


@dataclass(frozen=True)
class PerformancePanel:
    ready: bool
    timeframe: str
    currency: Any = None  # the Currency the figures are in
    figures: Performance | None = None

    @property
    def drawdown_chart(self) -> SafeString:
        """The drawdown of the TWR index per day (``Performance.drawdowns``), drawn under the
        value line, wide and narrow like the value chart; empty before two valued days."""
        if self.figures is None or self.currency is None:
            return mark_safe("")  # noqa: S308 - nothing to escape
        points = [(d.day, d.drawdown) for d in self.figures.drawdowns]
        title = f"Drawdown in {self.currency.code.upper()}"
        wide = drawdown_chart(points, title=title)
        if not wide:
            return mark_safe("")  # noqa: S308 - nothing to escape
        narrow = drawdown_chart(
            points, title=title, chart_id="drawdown-chart-narrow", width=360, max_x_ticks=3
        )
        return mark_safe(  # noqa: S308 - every text is escaped by charts
            f'<div class="chart-wide">{wide}</div><div class="chart-narrow">{narrow}</div>'
        )


def performance_panel(
    *, portfolio: Any, currency: Any, range_key: str, first_day: Any
) -> PerformancePanel:
    """The figures of the range, or ``ready=False`` while the series is first built (the build
    is enqueued by the read)."""
    timeframe = TIMEFRAME_OF_RANGE.get(range_key, "1Y")
    if currency is None:
        return PerformancePanel(ready=False, timeframe=timeframe)
    span: Range = range_parse(
        {"timeframe": timeframe}, first_day=first_day, today=timezone.now().date()
    )
    try:
        rows = series_rows(portfolio=portfolio, currency_id=currency.pk, span=span)
    except NotReady:
        return PerformancePanel(ready=False, timeframe=timeframe, currency=currency)
    return PerformancePanel(
        ready=True, timeframe=timeframe, currency=currency, figures=rows_performance(rows)
    )
