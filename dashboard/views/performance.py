"""The export buttons of the value chart: the days and the performance summary of a range as
CSV or JSON, the same file as ``/api/portfolios/ID/history/export``."""

from __future__ import annotations

from django.http import Http404, HttpResponse

from core.exceptions import NotReady, ValidationFailed
from dashboard.access import owner_view
from performance.api import history_export_response
from performance.selectors import range_parse, series_rows
from portfolios.history_selectors import portfolio_first_day
from portfolios.selectors import portfolio_get, reporting_currencies
from users.requests import AuthenticatedHttpRequest


@owner_view
def history_export(request: AuthenticatedHttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    reporting = {c.code: c for c in reporting_currencies(portfolio)}
    code = (request.GET.get("currency") or next(iter(reporting), "")).lower()
    kind = request.GET.get("format", "csv").lower()
    if code not in reporting or kind not in ("csv", "json"):
        raise Http404("no such export")
    try:
        span = range_parse(
            {"timeframe": request.GET.get("timeframe", "1Y")},
            first_day=portfolio_first_day(portfolio=portfolio),
        )
        rows = series_rows(portfolio=portfolio, currency_id=reporting[code].pk, span=span)
    except ValidationFailed as exc:
        return HttpResponse("; ".join(exc.problems), status=400, content_type="text/plain")
    except NotReady:
        return HttpResponse(
            "The value series is being computed: try again in a minute.",
            status=503,
            content_type="text/plain",
        )
    return history_export_response(
        portfolio_id=portfolio.pk, rows=rows, span=span, currency=reporting[code], kind=kind
    )
