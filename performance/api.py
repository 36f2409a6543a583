"""``/api/portfolios/ID/history``, ``.../history/performance`` and ``.../history/export``: the
materialised value series of a range, its performance, and both as CSV or JSON."""

from __future__ import annotations

import csv
import io
import json

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from core.api import AmountField, CurrencyRefSerializer, currency_ref
from core.exceptions import ValidationFailed
from currencies.models import Currency
from performance.selectors import (
    TIMEFRAMES,
    Range,
    Row,
    range_parse,
    rows_performance,
    series_rows,
)
from portfolios.api_base import PortfolioScopedView
from portfolios.history_selectors import portfolio_first_day
from portfolios.selectors import reporting_currencies
from users.requests import AuthenticatedRequest

RANGE_PARAMETERS = [
    OpenApiParameter(
        "timeframe", str, enum=list(TIMEFRAMES), description="the range ending today (default 1M)"
    ),
    OpenApiParameter("from", str, description="first day, YYYY-MM-DD (instead of timeframe)"),
    OpenApiParameter("to", str, description="last day, YYYY-MM-DD (default today)"),
    OpenApiParameter("currency", str, description="a reporting currency (default: the first)"),
]


class HistoryRowSerializer(serializers.Serializer):
    date = serializers.DateField(source="day")
    currency = serializers.SerializerMethodField()
    value = AmountField(allow_null=True)
    unpriced = serializers.ListField(child=serializers.CharField())

    @extend_schema_field(CurrencyRefSerializer)
    def get_currency(self, obj) -> dict[str, str]:
        """Every row is in the one currency asked for (``context["currency"]``)."""
        return currency_ref(self.context["currency"])


class DayReturnSerializer(serializers.Serializer):
    date = serializers.DateField(source="day")
    # A field named ``return`` (a keyword: set through the class namespace).
    locals()["return"] = AmountField(source="r")


class PerformanceSerializer(serializers.Serializer):
    start_value = AmountField(allow_null=True)
    end_value = AmountField(allow_null=True)
    high_value = AmountField(allow_null=True)
    low_value = AmountField(allow_null=True)
    absolute_change = AmountField(allow_null=True)
    percentage_change = AmountField(allow_null=True)
    twr = AmountField(allow_null=True)
    mwr = AmountField(allow_null=True)
    max_drawdown = AmountField(allow_null=True)
    max_drawdown_peak = serializers.DateField(allow_null=True)
    max_drawdown_trough = serializers.DateField(allow_null=True)
    volatility = AmountField(allow_null=True)
    sharpe = AmountField(allow_null=True)
    best_day = DayReturnSerializer(allow_null=True)
    worst_day = DayReturnSerializer(allow_null=True)
    data_points = serializers.IntegerField()
    currency = serializers.SerializerMethodField()

    @extend_schema_field(CurrencyRefSerializer)
    def get_currency(self, obj) -> dict[str, str]:
        """Every row is in the one currency asked for (``context["currency"]``)."""
        return currency_ref(self.context["currency"])


class _HistoryView(PortfolioScopedView):
    def read(self, request: AuthenticatedRequest) -> tuple[list[Row], Range, Currency]:
        params = request.query_params
        reporting = {c.code: c for c in reporting_currencies(self.portfolio)}
        code = (params.get("currency") or next(iter(reporting), "")).strip().lower()
        if code not in reporting:
            raise ValidationFailed(
                f"currency '{code}' is not a reporting currency of this portfolio"
            )
        span = range_parse(params, first_day=portfolio_first_day(portfolio=self.portfolio))
        currency = reporting[code]
        rows = series_rows(portfolio=self.portfolio, currency_id=currency.pk, span=span)
        return rows, span, currency


class PortfolioHistoryView(_HistoryView):
    @extend_schema(
        parameters=RANGE_PARAMETERS,
        responses=HistoryRowSerializer(many=True),
        summary="The portfolio's value at the end of each day of the range, oldest first; a "
        "day with an unpriced asset has a null value (async, 503 while first built)",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        rows, _, currency = self.read(request)
        return Response(HistoryRowSerializer(rows, many=True, context={"currency": currency}).data)


class PortfolioPerformanceView(_HistoryView):
    @extend_schema(
        parameters=RANGE_PARAMETERS,
        responses=PerformanceSerializer,
        summary="Performance of the range: change, time- and money-weighted return, drawdown, "
        "volatility, Sharpe (async, 503 while first built)",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        rows, _, currency = self.read(request)
        return Response(
            PerformanceSerializer(rows_performance(rows), context={"currency": currency}).data
        )


class PortfolioHistoryExportView(_HistoryView):
    def perform_content_negotiation(self, request, force=False):
        # Errors are rendered as the JSON envelope whatever the client accepts.
        renderer = self.get_renderers()[0]
        return renderer, renderer.media_type

    @extend_schema(
        parameters=[
            *RANGE_PARAMETERS,
            OpenApiParameter("format", str, enum=["csv", "json"], description="default csv"),
        ],
        responses={(200, "text/csv"): str, (200, "application/json"): dict},
        summary="The daily rows and the performance summary of the range, as a CSV or JSON "
        "file (not enveloped) (async, 503 while first built)",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> HttpResponse:
        kind = (request.query_params.get("format") or "csv").strip().lower()
        if kind not in ("csv", "json"):
            raise ValidationFailed(f"format '{kind}' is not one of csv, json")
        rows, span, currency = self.read(request)
        return history_export_response(
            portfolio_id=self.portfolio.pk, rows=rows, span=span, currency=currency, kind=kind
        )


def history_export_response(
    *, portfolio_id: int, rows: list[Row], span: Range, currency: Currency, kind: str
) -> HttpResponse:
    """The rows of ``span`` and their performance as a CSV or JSON attachment (the API's route
    and the dashboard's export button answer the same file)."""
    summary = PerformanceSerializer(rows_performance(rows), context={"currency": currency}).data
    days = HistoryRowSerializer(rows, many=True, context={"currency": currency}).data
    name = f"portfolio-{portfolio_id}-{currency.code}-{span.start}-{span.end}"
    if kind == "json":
        body = json.dumps(
            {
                "from": span.start.isoformat(),
                "to": span.end.isoformat(),
                "summary": summary,
                "rows": days,
            },
            indent=1,
        )
        response = HttpResponse(body, content_type="application/json")
    else:
        response = HttpResponse(
            export_csv(days, summary, currency.code), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


def export_csv(days, summary, code: str) -> str:
    """The days (date, currency, value, unpriced), a blank line, then the summary as
    field,value lines."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", "currency", "value", "unpriced"])
    for row in days:
        writer.writerow(
            [
                row["date"],
                code,
                row["value"] if row["value"] is not None else "",
                " ".join(row["unpriced"]),
            ]
        )
    writer.writerow([])
    writer.writerow(["field", "value"])
    for key, value in summary.items():
        if key == "currency":
            value = code
        elif isinstance(value, dict):
            value = f"{value['date']} {value['return']}"
        writer.writerow([key, "" if value is None else value])
    return out.getvalue()
