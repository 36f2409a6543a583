from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import ApiView, CurrencyRefField, UtcDateTimeField, body_dict, list_input, text_input
from portfolios import services
from portfolios.models import Portfolio
from portfolios.selectors import (
    portfolio_get,
    portfolio_get_detailed,
    portfolio_list,
    reporting_currencies,
)
from users.requests import AuthenticatedRequest


class PortfolioBaseSerializer(serializers.Serializer):
    """The fields the list and the detail share (the seed's field set)."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()
    balances_last_updated = UtcDateTimeField()
    histories_last_updated = UtcDateTimeField()
    converted_balances_last_updated = UtcDateTimeField()
    converted_histories_last_updated = UtcDateTimeField()


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


PORTFOLIO_BODY = inline_serializer(
    "PortfolioBody",
    {
        "title": serializers.CharField(max_length=100),
        "currencies": serializers.ListField(child=serializers.CharField()),
    },
)


def detail(user, portfolio_id) -> dict:
    return PortfolioDetailSerializer(
        portfolio_get_detailed(user=user, portfolio_id=portfolio_id)
    ).data


class PortfolioListView(ApiView):
    @extend_schema(responses=PortfolioSummarySerializer(many=True), summary="List your portfolios")
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(
            PortfolioSummarySerializer(portfolio_list(user=request.user), many=True).data
        )

    @extend_schema(
        request=PORTFOLIO_BODY,
        responses={201: PortfolioDetailSerializer},
        summary="Create a portfolio",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = body_dict(request)
        portfolio = services.portfolio_create(
            user=request.user,
            title=text_input(data, "title", required=True, max_length=100),
            currency_codes=list_input(data, "currencies"),
            source=Portfolio.SOURCE_API,
        )
        return Response(detail(request.user, portfolio.pk), status=201)


class PortfolioDetailView(ApiView):
    @extend_schema(
        responses=PortfolioDetailSerializer,
        summary="A portfolio with its currencies, addresses, offsets",
    )
    def get(self, request: Request, portfolio_id: int) -> Response:
        return Response(detail(request.user, portfolio_id))

    @extend_schema(
        request=PORTFOLIO_BODY,
        responses=PortfolioDetailSerializer,
        summary="Update title or currencies",
    )
    def patch(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
        data = body_dict(request)
        services.portfolio_update(
            portfolio=portfolio,
            title=text_input(data, "title", required=False, max_length=100),
            currency_codes=list_input(data, "currencies"),
        )
        return Response(detail(request.user, portfolio.pk))

    @extend_schema(
        responses=PortfolioDetailSerializer, summary="Delete a portfolio (answers it as it was)"
    )
    def delete(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        before = detail(request.user, portfolio_id)
        services.portfolio_delete(
            portfolio=portfolio_get(user=request.user, portfolio_id=portfolio_id)
        )
        return Response(before)
