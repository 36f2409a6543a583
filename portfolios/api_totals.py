"""Portfolio totals (async): balances summed over every source, converted into each reporting
currency, and the refresh that brings them up to date."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.response import Response

from core.api import (
    CURRENCY_TITLES,
    AmountField,
    CurrencyRefField,
    CurrencyRefSerializer,
    UtcDateTimeField,
    currency_ref,
)
from core.envelope import Envelope
from core.exceptions import ValidationFailed
from currencies.selectors import currency_titles
from portfolios.api_base import PortfolioScopedView
from portfolios.history_selectors import MAX_DAYS, portfolio_value_history
from portfolios.selectors import SPOT, portfolio_valuation, reporting_currencies
from portfolios.services_refresh import portfolio_refresh
from portfolios.totals import TotalRow
from prices.tasks import prices_history_enqueue
from users.requests import AuthenticatedRequest


class TotalRowSerializer(serializers.Serializer):
    currency = CurrencyRefField()
    balance = AmountField()
    balance_at = UtcDateTimeField()
    source = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.source: the metaclass pops declared fields


def total_rows_data(rows: list[TotalRow]) -> list[dict]:
    """Rows sorted by currency code (as ``sum_balances`` and ``convert_totals`` make them), each
    currency as ``{code, title}``."""
    titles = currency_titles(row.currency for row in rows)
    return TotalRowSerializer(rows, many=True, context={CURRENCY_TITLES: titles}).data  # type: ignore[return-value]  # many=True gives a ReturnList; the stubs say ReturnDict


class PortfolioBalancesView(PortfolioScopedView):
    @extend_schema(
        responses=TotalRowSerializer(many=True),
        summary="Current balances summed over addresses, accounts and offsets (async)",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        valuation = portfolio_valuation(self.portfolio, prices=None, enqueue=True)
        valuation.waits.raise_not_ready()
        return Response(total_rows_data(valuation.balances))


class PortfolioConvertedView(PortfolioScopedView):
    envelope_extra = {"unpriced": serializers.ListField(child=serializers.CharField())}

    @extend_schema(
        responses=TotalRowSerializer(many=True),
        summary="The whole portfolio valued in each reporting currency; unpriced assets are "
        "listed in the envelope's `unpriced` (async)",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        valuation = portfolio_valuation(self.portfolio, prices=SPOT, enqueue=True)
        valuation.waits.raise_not_ready()
        return Response(
            Envelope(total_rows_data(valuation.totals), {"unpriced": valuation.unpriced})
        )


class PortfolioRefreshView(PortfolioScopedView):
    @extend_schema(
        request=None,
        responses=inline_serializer(
            "RefreshEnqueued",
            {
                "addresses": serializers.ListField(child=serializers.IntegerField()),
                "already_queued": serializers.ListField(child=serializers.IntegerField()),
                "prices": serializers.BooleanField(),
            },
        ),
        summary="Enqueue a refresh of every address and the prices of a portfolio (write scope)",
    )
    def post(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        portfolio = self.portfolio
        return Response(asdict(portfolio_refresh(portfolio=portfolio)))


class HistoryPointSerializer(serializers.Serializer):
    date = serializers.DateField(source="day")
    currency = serializers.SerializerMethodField()
    balance = AmountField(source="value")
    unpriced = serializers.ListField(child=serializers.CharField())

    @extend_schema_field(CurrencyRefSerializer)
    def get_currency(self, obj) -> dict[str, str]:
        """Every point is in the one currency asked for (``context["currency"]``, a row)."""
        return currency_ref(self.context["currency"])


class PortfolioConvertedHistoryView(PortfolioScopedView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "currency", str, description="a reporting currency (default: the first)"
            ),
            OpenApiParameter(
                "days",
                {"type": "integer", "minimum": 1, "maximum": MAX_DAYS},
                description=f"1 to {MAX_DAYS} (default 30)",
            ),
        ],
        responses=HistoryPointSerializer(many=True),
        summary="The portfolio's value at the end of each day, oldest first (today at spot prices)",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        portfolio = self.portfolio
        reporting = {c.code: c for c in reporting_currencies(portfolio)}
        currency = (request.query_params.get("currency") or next(iter(reporting))).lower()
        problems = (
            []
            if currency in reporting
            else [f"currency '{currency}' is not a reporting currency of this portfolio"]
        )
        try:
            days = int(request.query_params.get("days", 30))
            if not 1 <= days <= MAX_DAYS:
                problems.append(f"days must be between 1 and {MAX_DAYS}")
        except ValueError:
            problems.append("days must be a whole number")
        if problems:
            raise ValidationFailed(problems)
        prices_history_enqueue()
        points = portfolio_value_history(portfolio=portfolio, target=currency, days=days)
        return Response(
            HistoryPointSerializer(
                points, many=True, context={"currency": reporting[currency]}
            ).data
        )
