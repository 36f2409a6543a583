from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from core.api import (
    AmountField,
    ApiView,
    CurrencyRefField,
    UtcDateTimeField,
    body_dict,
    list_input,
    text_input,
)
from core.exceptions import ValidationFailed
from offsets import services
from offsets.selectors import offset_get, offset_list
from portfolios.selectors import portfolio_get
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


OFFSET_BODY = inline_serializer(
    "OffsetBody",
    {
        "title": serializers.CharField(),
        "balances": serializers.ListField(
            child=inline_serializer(
                "OffsetBalanceBody",
                {"currency": serializers.CharField(), "balance": serializers.CharField()},
            )
        ),
    },
)


def _balances(data: dict):
    balances = list_input(data, "balances")
    if balances is not None and not all(isinstance(b, dict) for b in balances):
        raise ValidationFailed("balances must be a list of objects with currency and balance")
    return balances


class OffsetListView(ApiView):
    @extend_schema(
        responses=OffsetListItemSerializer(many=True), summary="List a portfolio's offsets"
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
        return Response(OffsetListItemSerializer(offset_list(portfolio=portfolio), many=True).data)

    @extend_schema(
        request=OFFSET_BODY,
        responses={201: OffsetSerializer},
        summary="Create an offset with balances",
    )
    def post(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
        data = body_dict(request)
        offset = services.offset_create(
            portfolio=portfolio,
            title=text_input(data, "title", required=True, max_length=100),
            balances=_balances(data),
            source="private-api",
        )
        return Response(
            OffsetSerializer(offset_get(portfolio=portfolio, offset_id=offset.pk)).data, status=201
        )


class OffsetDetailView(ApiView):
    @extend_schema(responses=OffsetSerializer, summary="One offset with its balances")
    def get(self, request: AuthenticatedRequest, portfolio_id: int, offset_id: int) -> Response:
        portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
        return Response(OffsetSerializer(offset_get(portfolio=portfolio, offset_id=offset_id)).data)

    @extend_schema(
        request=OFFSET_BODY,
        responses=OffsetSerializer,
        summary="Rename; with balances, replace them all",
    )
    def patch(self, request: AuthenticatedRequest, portfolio_id: int, offset_id: int) -> Response:
        portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
        offset = offset_get(portfolio=portfolio, offset_id=offset_id)
        data = body_dict(request)
        services.offset_update(
            offset=offset,
            title=text_input(data, "title", required=False, max_length=100),
            balances=_balances(data),
            source="private-api",
        )
        return Response(OffsetSerializer(offset_get(portfolio=portfolio, offset_id=offset.pk)).data)

    @extend_schema(
        responses={200: OffsetSerializer}, summary="Delete an offset (answers it as it was)"
    )
    def delete(self, request: AuthenticatedRequest, portfolio_id: int, offset_id: int) -> Response:
        portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
        offset = offset_get(portfolio=portfolio, offset_id=offset_id)
        before = OffsetSerializer(offset).data
        services.offset_delete(offset=offset)
        return Response(before)
