from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from core.api import AmountField, CurrencyRefField, UtcDateTimeField
from core.inputs import InputSerializer, ListInput, TextInput
from offsets import services
from offsets.selectors import offset_get, offset_list
from portfolios.api_base import PortfolioScopedView
from users.requests import AuthenticatedRequest


class OffsetBalanceSerializer(serializers.Serializer):
    currency = CurrencyRefField()
    balance = AmountField()
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()
    source = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.source: the metaclass pops declared fields


class OffsetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()
    balances = OffsetBalanceSerializer(many=True, source="balances.all")


class OffsetListItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()


class OffsetBalanceInputSerializer(serializers.Serializer):
    """One row of an offset's balances: a currency code and an amount."""

    currency = serializers.CharField(help_text="a currency code such as 'btc'")
    balance = AmountField(help_text='a decimal string, may be negative: "-2.5"')


@extend_schema_field(OffsetBalanceInputSerializer(many=True))
class BalancesInput(ListInput):
    """``[{currency, balance}, ...]``; what each row says is checked by the service, which the
    dashboard's form shares (``offsets.services.parse_balances``)."""

    def to_internal_value(self, data: Any) -> list[dict[str, Any]]:
        rows = super().to_internal_value(data)
        if not all(isinstance(row, dict) for row in rows):
            raise serializers.ValidationError(
                "balances must be a list of objects with currency and balance"
            )
        return rows


class OffsetInputSerializer(InputSerializer):
    """POST and PATCH body. In a PATCH every field is optional: a missing title stays, and
    ``balances`` given replaces the whole set (without it the balances stay)."""

    title = TextInput(max_length=100)
    balances = BalancesInput(required=False)


class OffsetListView(PortfolioScopedView):
    @extend_schema(
        responses=OffsetListItemSerializer(many=True), summary="List a portfolio's offsets"
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        return Response(
            OffsetListItemSerializer(offset_list(portfolio=self.portfolio), many=True).data
        )

    @extend_schema(
        request=OffsetInputSerializer,
        responses={201: OffsetSerializer},
        summary="Create an offset with balances",
    )
    def post(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        data = OffsetInputSerializer.from_request(request)
        offset = services.offset_create(
            portfolio=self.portfolio,
            title=data["title"],
            balances=data.get("balances"),
            source="private-api",
        )
        return Response(
            OffsetSerializer(offset_get(portfolio=self.portfolio, offset_id=offset.pk)).data,
            status=201,
        )


class OffsetDetailView(PortfolioScopedView):
    @extend_schema(responses=OffsetSerializer, summary="One offset with its balances")
    def get(self, request: AuthenticatedRequest, portfolio_id: int, offset_id: int) -> Response:
        return Response(
            OffsetSerializer(offset_get(portfolio=self.portfolio, offset_id=offset_id)).data
        )

    @extend_schema(
        request=OffsetInputSerializer,
        responses=OffsetSerializer,
        summary="Rename; with balances, replace them all",
    )
    def patch(self, request: AuthenticatedRequest, portfolio_id: int, offset_id: int) -> Response:
        offset = offset_get(portfolio=self.portfolio, offset_id=offset_id)
        data = OffsetInputSerializer.from_request(request, partial=True)
        services.offset_update(
            offset=offset,
            title=data.get("title"),
            balances=data.get("balances"),
            source="private-api",
        )
        return Response(
            OffsetSerializer(offset_get(portfolio=self.portfolio, offset_id=offset.pk)).data
        )

    @extend_schema(
        responses={200: OffsetSerializer}, summary="Delete an offset (answers it as it was)"
    )
    def delete(self, request: AuthenticatedRequest, portfolio_id: int, offset_id: int) -> Response:
        offset = offset_get(portfolio=self.portfolio, offset_id=offset_id)
        before = OffsetSerializer(offset).data
        services.offset_delete(offset=offset)
        return Response(before)
