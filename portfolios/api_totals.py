"""Portfolio totals (async): balances summed over every source, converted into each reporting
currency, and the refresh that brings them up to date."""

from __future__ import annotations

from dataclasses import asdict

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import AmountField, ApiView, UtcDateTimeField
from core.envelope import Envelope
from portfolios.freshness import ensure_balances, ensure_prices, portfolio_holdings
from portfolios.selectors import portfolio_get
from portfolios.services_refresh import portfolio_refresh
from portfolios.totals import convert_totals, sum_balances
from prices.selectors import spot_rates


class TotalRowSerializer(serializers.Serializer):
    currency = serializers.CharField()
    balance = AmountField()
    balance_at = UtcDateTimeField()
    source = serializers.CharField()


class PortfolioBalancesView(ApiView):
    @extend_schema(
        responses=TotalRowSerializer(many=True),
        summary="Current balances summed over addresses, accounts and offsets (async)",
    )
    def get(self, request: Request, portfolio_id: int) -> Response:
        portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
        now = timezone.now()
        holdings = portfolio_holdings(portfolio, now=now)
        ensure_balances(holdings, now=now)
        rows = sum_balances(holdings.parts, holdings.reporting, now=now)
        return Response(TotalRowSerializer(rows, many=True).data)


class PortfolioConvertedView(ApiView):
    @extend_schema(
        responses=TotalRowSerializer(many=True),
        summary="The whole portfolio valued in each reporting currency; unpriced assets are "
        "listed in the envelope's `unpriced` (async)",
    )
    def get(self, request: Request, portfolio_id: int) -> Response:
        portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
        now = timezone.now()
        holdings = portfolio_holdings(portfolio, now=now)
        ensure_balances(holdings, now=now)
        totals = sum_balances(holdings.parts, holdings.reporting, now=now)
        codes = {row.currency for row in totals}
        rates, rate_times = spot_rates(codes)
        ensure_prices({row.currency for row in totals if row.balance != 0}, rate_times, now=now)
        converted = convert_totals(totals, holdings.reporting, rates, rate_times, now=now)
        return Response(Envelope(TotalRowSerializer(converted.rows, many=True).data, {"unpriced": converted.unpriced}))


class PortfolioRefreshView(ApiView):
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
    def post(self, request: Request, portfolio_id: int) -> Response:
        portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
        return Response(asdict(portfolio_refresh(portfolio=portfolio)))
