from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from core.api import ApiView, CurrencyRefField, UtcDateTimeField
from core.inputs import InputSerializer, TextInput
from currencies.inputs import CurrencyCodesInput
from portfolios import services
from portfolios.api_base import PortfolioScopedView
from portfolios.models import Portfolio
from portfolios.selectors import portfolio_get_detailed, portfolio_list, reporting_currencies
from users.requests import AuthenticatedRequest


class PortfolioBaseSerializer(serializers.Serializer):
    """The fields the list and the detail share (the seed's field set)."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()
    balances_last_updated = UtcDateTimeField(allow_null=True)
    histories_last_updated = UtcDateTimeField(allow_null=True)
    converted_balances_last_updated = UtcDateTimeField(allow_null=True)
    converted_histories_last_updated = UtcDateTimeField(allow_null=True)


class PortfolioSummarySerializer(PortfolioBaseSerializer):
    currencies = serializers.IntegerField(source="currencies_count")
    accounts = serializers.SerializerMethodField()
    addresses = serializers.IntegerField(source="addresses_count")
    offsets = serializers.IntegerField(source="offsets_count")

    def get_accounts(self, obj) -> int:
        return 0  # exchange accounts are not built yet


class AddressBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    address = serializers.CharField()
    currency = CurrencyRefField()


class OffsetBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()


class PortfolioDetailSerializer(PortfolioBaseSerializer):
    currencies = serializers.SerializerMethodField()
    accounts = serializers.SerializerMethodField()
    addresses = AddressBriefSerializer(many=True, source="addresses.all")
    offsets = OffsetBriefSerializer(many=True, source="offsets.all")
    source = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.source: the metaclass pops declared fields

    def get_currencies(self, obj) -> list[dict[str, str]]:
        return [CurrencyRefField().to_representation(c) for c in reporting_currencies(obj)]

    def get_accounts(self, obj) -> list:
        return []


class PortfolioInputSerializer(InputSerializer):
    """POST and PATCH body. In a PATCH every field is optional: a missing one keeps its value."""

    title = TextInput(max_length=100)
    currencies = CurrencyCodesInput(error_messages={"required": services.NO_CURRENCY})


def detail(portfolio: Portfolio) -> dict:
    """The detail of a portfolio already checked to be the user's, as it is now."""
    return PortfolioDetailSerializer(
        portfolio_get_detailed(user=portfolio.user, portfolio_id=portfolio.pk)
    ).data


class PortfolioListView(ApiView):
    @extend_schema(responses=PortfolioSummarySerializer(many=True), summary="List your portfolios")
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(
            PortfolioSummarySerializer(portfolio_list(user=request.user), many=True).data
        )

    @extend_schema(
        request=PortfolioInputSerializer,
        responses={201: PortfolioDetailSerializer},
        summary="Create a portfolio",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = PortfolioInputSerializer.from_request(request)
        portfolio = services.portfolio_create(
            user=request.user,
            title=data["title"],
            currency_codes=data.get("currencies"),
            source=Portfolio.SOURCE_API,
        )
        return Response(detail(portfolio), status=201)


class PortfolioDetailView(PortfolioScopedView):
    @extend_schema(
        responses=PortfolioDetailSerializer,
        summary="A portfolio with its currencies, addresses, offsets",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        return Response(detail(self.portfolio))

    @extend_schema(
        request=PortfolioInputSerializer,
        responses=PortfolioDetailSerializer,
        summary="Update title or currencies",
    )
    def patch(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        data = PortfolioInputSerializer.from_request(request, partial=True)
        services.portfolio_update(
            portfolio=self.portfolio,
            title=data.get("title"),
            currency_codes=data.get("currencies"),
        )
        return Response(detail(self.portfolio))

    @extend_schema(
        responses={200: PortfolioDetailSerializer},
        summary="Delete a portfolio (answers it as it was)",
    )
    def delete(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        before = detail(self.portfolio)
        services.portfolio_delete(portfolio=self.portfolio)
        return Response(before)
