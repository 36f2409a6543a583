from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from core.api import ApiView, CurrencyRefField, UtcDateTimeField
from core.inputs import InputSerializer, TextInput
from core.money import format_amount
from currencies.inputs import CurrencyCodesInput
from portfolios import services
from portfolios.api_base import PortfolioScopedView
from portfolios.inputs import (
    BooleanInput,
    ChoiceInput,
    DateTimeInput,
    TagsInput,
    TargetAllocationsInput,
)
from portfolios.models import Portfolio
from portfolios.selectors import portfolio_get_detailed, portfolio_list, reporting_currencies
from users.requests import AuthenticatedRequest


class PortfolioBaseSerializer(serializers.Serializer):
    """The fields the list and the detail share (the seed's field set)."""

    id = serializers.IntegerField()
    uuid = serializers.UUIDField()
    title = serializers.CharField()
    description = serializers.CharField()
    target_allocations = serializers.SerializerMethodField()
    risk_tolerance = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    is_default = serializers.BooleanField()
    is_active = serializers.BooleanField()
    status = serializers.CharField()
    last_rebalanced_at = UtcDateTimeField(allow_null=True)
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()
    balances_last_updated = UtcDateTimeField(allow_null=True)
    histories_last_updated = UtcDateTimeField(allow_null=True)
    converted_balances_last_updated = UtcDateTimeField(allow_null=True)
    converted_histories_last_updated = UtcDateTimeField(allow_null=True)

    @extend_schema_field(
        {"type": "object", "additionalProperties": {"type": "string"}, "example": {"btc": "0.6"}}
    )
    def get_target_allocations(self, obj) -> dict[str, str | None]:
        """Asset code → fraction as a decimal string, by code (the targets are prefetched
        with their currencies by the selectors)."""
        rows = sorted(obj.targets.all(), key=lambda t: t.currency.code)
        return {t.currency.code: format_amount(t.fraction) for t in rows}


class PortfolioSummarySerializer(PortfolioBaseSerializer):
    currencies = serializers.IntegerField(source="currencies_count")
    accounts = serializers.IntegerField(source="accounts_count")
    addresses = serializers.IntegerField(source="addresses_count")
    offsets = serializers.IntegerField(source="offsets_count")


class AddressBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    address = serializers.CharField()
    currency = CurrencyRefField()


class AccountBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    wallet = serializers.SerializerMethodField()
    valid = serializers.BooleanField()

    def get_wallet(self, obj) -> dict[str, str]:
        return {"code": obj.exchange, "title": obj.exchange_title}


class OffsetBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()


class PortfolioDetailSerializer(PortfolioBaseSerializer):
    currencies = serializers.SerializerMethodField()
    accounts = AccountBriefSerializer(many=True, source="accounts.all")
    addresses = AddressBriefSerializer(many=True, source="addresses.all")
    offsets = OffsetBriefSerializer(many=True, source="offsets.all")
    source = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.source: the metaclass pops declared fields

    def get_currencies(self, obj) -> list[dict[str, str]]:
        return [CurrencyRefField().to_representation(c) for c in reporting_currencies(obj)]


class PortfolioInputSerializer(InputSerializer):
    """POST and PATCH body. In a PATCH every field is optional: a missing one keeps its value."""

    title = TextInput(max_length=100)
    currencies = CurrencyCodesInput(error_messages={"required": services.NO_CURRENCY})
    description = TextInput(max_length=services.MAX_DESCRIPTION, allow_blank=True, required=False)
    target_allocations = TargetAllocationsInput(required=False)
    risk_tolerance = ChoiceInput(required=False)
    tags = TagsInput(required=False)
    is_default = BooleanInput(required=False)
    is_active = BooleanInput(required=False)
    status = ChoiceInput(required=False)
    last_rebalanced_at = DateTimeInput(required=False)


# The body keys that are ``services.PortfolioFields``.
SETTINGS = tuple(services.PortfolioFields.__annotations__)


def settings_fields(data: dict) -> services.PortfolioFields:
    return services.PortfolioFields(**{k: data[k] for k in SETTINGS if k in data})  # type: ignore[typeddict-item]


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
            fields=settings_fields(data),
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
        summary="Update the title, currencies, targets or other settings",
    )
    def patch(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        data = PortfolioInputSerializer.from_request(request, partial=True)
        services.portfolio_update(
            portfolio=self.portfolio,
            title=data.get("title"),
            currency_codes=data.get("currencies"),
            fields=settings_fields(data),
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
