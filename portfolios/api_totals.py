"""Portfolio totals (async): balances summed over every source, converted into each reporting
currency, and the refresh that brings them up to date."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from django.utils import timezone
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
from portfolios.models import Portfolio
from portfolios.selectors import SPOT, Settled, portfolio_valuation, reporting_currencies
from portfolios.selectors_totals import (
    StoredTotals,
    TotalsCounters,
    at_moment,
    portfolio_get_with_totals,
    stored_totals,
    totals_counters,
)
from portfolios.services_refresh import portfolio_refresh
from portfolios.services_totals import portfolio_totals_store
from portfolios.totals import TotalRow
from prices.tasks import prices_history_enqueue
from users.models import User
from users.requests import AuthenticatedRequest


class TotalRowSerializer(serializers.Serializer):
    currency = CurrencyRefField()
    balance = AmountField()
    balance_at = UtcDateTimeField()
    source = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.source: the metaclass pops declared fields


def total_rows_data(rows: list[TotalRow], titles: dict[str, str] | None = None) -> list[dict]:
    """Rows sorted by currency code (as ``sum_balances`` and ``convert_totals`` make them), each
    currency as ``{code, title}`` (``titles``, else read)."""
    if titles is None:
        titles = currency_titles(row.currency for row in rows)
    return TotalRowSerializer(rows, many=True, context={CURRENCY_TITLES: titles}).data  # type: ignore[return-value]  # many=True gives a ReturnList; the stubs say ReturnDict


class TotalsView(PortfolioScopedView):
    """Totals served from the stored snapshot while it holds (one query with the portfolio),
    else computed (``portfolio_valuation``, which enqueues what is due) and, in the steady
    state, stored for the next request (docs/architecture.md "Stored totals")."""

    priced = False

    def get_portfolio(self, user: User, portfolio_id: int | str) -> Portfolio:
        return portfolio_get_with_totals(user=user, portfolio_id=portfolio_id)

    def totals(self) -> StoredTotals:
        now = timezone.now()
        stored = stored_totals(self.portfolio, priced=self.priced, now=now)
        if stored is not None:
            return stored
        counters = totals_counters(self.portfolio)  # read before the data below
        valuation = portfolio_valuation(
            self.portfolio, prices=SPOT if self.priced else None, enqueue=True, now=now
        )
        valuation.waits.raise_not_ready()
        settled = valuation.settled
        if counters is None or settled is None or (self.priced and settled.converted is None):
            rows = valuation.totals if self.priced else valuation.balances
            return StoredTotals(total_rows_data(rows), valuation.unpriced)
        return self._store(settled, counters, now)

    def _store(self, settled: Settled, counters: TotalsCounters, now: datetime) -> StoredTotals:
        converted = settled.converted.rows if settled.converted else []
        titles = currency_titles(row.currency for row in settled.balances + converted)
        balances = total_rows_data(settled.balances, titles)
        converted_data = total_rows_data(converted, titles) if settled.converted else None
        unpriced = settled.converted.unpriced if settled.converted else []
        portfolio_totals_store(
            portfolio_id=self.portfolio.pk,
            counters=counters,
            balances=balances,
            balances_until=settled.balances_until,
            converted=converted_data,
            unpriced=unpriced,
            converted_until=settled.converted_until,
        )
        rows = converted_data if converted_data is not None else balances
        return StoredTotals(at_moment(rows, now), unpriced)


class PortfolioBalancesView(TotalsView):
    @extend_schema(
        responses=TotalRowSerializer(many=True),
        summary="Current balances summed over addresses, accounts and offsets (async)",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        return Response(self.totals().rows)


class PortfolioConvertedView(TotalsView):
    envelope_extra = {"unpriced": serializers.ListField(child=serializers.CharField())}
    priced = True

    @extend_schema(
        responses=TotalRowSerializer(many=True),
        summary="The whole portfolio valued in each reporting currency; unpriced assets are "
        "listed in the envelope's `unpriced` (async)",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        totals = self.totals()
        return Response(Envelope(totals.rows, {"unpriced": totals.unpriced}))


class PortfolioRefreshView(PortfolioScopedView):
    @extend_schema(
        request=None,
        responses=inline_serializer(
            "RefreshEnqueued",
            {
                "addresses": serializers.ListField(child=serializers.IntegerField()),
                "already_queued": serializers.ListField(child=serializers.IntegerField()),
                "prices": serializers.BooleanField(),
                "accounts": serializers.ListField(child=serializers.IntegerField()),
            },
        ),
        summary="Enqueue a refresh of every address, exchange account and the prices of a "
        "portfolio (write scope)",
    )
    def post(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        done = portfolio_refresh(portfolio=self.portfolio)
        answer = asdict(done)
        others = answer.pop("others")
        answer["accounts"] = others.get("accounts", [])
        return Response(answer)


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
