"""``GET /api/portfolios/ID/analytics``: current versus target allocation, drift, the trades back
to target and concentration (definitions in ``portfolios.targets`` and docs/api.md)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from core.api import CURRENCY_TITLES, AmountField, CurrencyRefField, CurrencyRefSerializer
from core.envelope import Envelope
from core.exceptions import ValidationFailed
from core.money import parse_amount
from currencies.selectors import currency_titles
from portfolios.api_base import PortfolioScopedView
from portfolios.selectors import portfolio_target_analytics, reporting_currencies
from users.requests import AuthenticatedRequest


# null: no price (value, current, drift), no targets set (target, drift). A comment, not a
# docstring: the schema would show it to API clients.
class AllocationSerializer(serializers.Serializer):
    currency = CurrencyRefField()
    value = AmountField(allow_null=True)
    current = AmountField(allow_null=True)
    target = AmountField(allow_null=True)
    drift = AmountField(allow_null=True)


class TradeSerializer(serializers.Serializer):
    currency = CurrencyRefField()
    side = serializers.ChoiceField(choices=["buy", "sell"])
    quantity = AmountField(allow_null=True)  # null: the asset has no price
    value = AmountField()


class ConcentrationSerializer(serializers.Serializer):
    largest = AllocationSerializer(allow_null=True)
    herfindahl = AmountField(allow_null=True)


class AnalyticsSerializer(serializers.Serializer):
    currency = serializers.SerializerMethodField()
    value = AmountField(source="total")
    allocations = AllocationSerializer(many=True)
    total_drift = AmountField(allow_null=True)
    trades = TradeSerializer(many=True)
    concentration = ConcentrationSerializer()

    @extend_schema_field(CurrencyRefSerializer)
    def get_currency(self, obj) -> dict[str, str]:
        """The reporting currency every value is in (``context["currency"]``, a code)."""
        code = self.context["currency"]
        return {"code": code, "title": self.context[CURRENCY_TITLES][code]}


class PortfolioAnalyticsView(PortfolioScopedView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "currency", str, description="a reporting currency (default: the first)"
            ),
            OpenApiParameter(
                "min_trade",
                str,
                description="leave out trades worth less than this, in `currency` "
                "(default: the server's PORTFOLIO_MIN_TRADE)",
            ),
        ],
        responses=AnalyticsSerializer,
        summary="Current versus target allocation, drift, trades back to target and "
        "concentration; unpriced assets in the envelope's `unpriced` (async)",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        codes = [c.code for c in reporting_currencies(self.portfolio)]
        currency = (request.query_params.get("currency") or codes[0]).strip().lower()
        problems = []
        if currency not in codes:
            problems.append(f"currency '{currency}' is not a reporting currency of this portfolio")
        min_trade = Decimal(0)
        try:
            min_trade = parse_amount(
                request.query_params.get("min_trade", settings.PORTFOLIO_MIN_TRADE),
                field="min_trade",
            )
            if min_trade < 0:
                problems.append("min_trade must not be negative")
        except ValidationFailed as exc:
            problems.extend(exc.problems)
        if problems:
            raise ValidationFailed(problems)
        analytics = portfolio_target_analytics(
            self.portfolio, currency=currency, min_trade=min_trade
        )
        titles = currency_titles([currency, *(a.currency for a in analytics.allocations)])
        data = AnalyticsSerializer(
            analytics, context={CURRENCY_TITLES: titles, "currency": currency}
        ).data
        return Response(Envelope(data, {"unpriced": analytics.unpriced}))
