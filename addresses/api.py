from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from addresses import services
from addresses.freshness import address_data_ready
from addresses.selectors import address_balances, address_get, address_list, address_transactions
from core.api import (
    AmountField,
    ApiView,
    CurrencyRefField,
    UtcDateTimeField,
    body_dict,
    paginate,
    text_input,
    unwrap_single,
)
from portfolios.selectors import portfolio_get
from users.requests import AuthenticatedRequest


class AddressSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    address = serializers.CharField()
    currency = CurrencyRefField()
    valid = serializers.BooleanField()
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()
    txns_last_updated = UtcDateTimeField()
    source = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.source: the metaclass pops declared fields


class AddressListItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    address = serializers.CharField()
    currency = CurrencyRefField()


ADDRESS_BODY = inline_serializer(
    "AddressBody",
    {
        "title": serializers.CharField(),
        "address": serializers.CharField(),
        "currency": serializers.CharField(),
    },
)


class AddressListView(ApiView):
    @extend_schema(
        responses=AddressListItemSerializer(many=True), summary="List a portfolio's addresses"
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
        return Response(
            AddressListItemSerializer(address_list(portfolio=portfolio), many=True).data
        )

    @extend_schema(
        request=ADDRESS_BODY, responses={201: AddressSerializer}, summary="Add an address"
    )
    def post(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
        data = body_dict(request)
        address = services.address_create(
            portfolio=portfolio,
            title=text_input(data, "title", required=False, max_length=100, allow_blank=True),
            address=text_input(data, "address", required=True, max_length=128),
            currency_code=_currency(data, required=True),
            source="private-api",
        )
        return Response(AddressSerializer(address).data, status=201)


def _currency(data: dict, *, required: bool):
    if "currency" not in data:
        if required:
            from core.exceptions import ValidationFailed

            raise ValidationFailed("currency is required")
        return None
    return unwrap_single(data["currency"])


class OwnAddressMixin:
    def _get(self, request: AuthenticatedRequest, portfolio_id: int, address_id: int):
        return address_get(
            portfolio=portfolio_get(user=request.user, portfolio_id=portfolio_id),
            address_id=address_id,
        )


class AddressDetailView(OwnAddressMixin, ApiView):
    @extend_schema(responses=AddressSerializer, summary="One address")
    def get(self, request: AuthenticatedRequest, portfolio_id: int, address_id: int) -> Response:
        return Response(AddressSerializer(self._get(request, portfolio_id, address_id)).data)

    @extend_schema(
        request=ADDRESS_BODY,
        responses=AddressSerializer,
        summary="Change title, address or currency",
    )
    def patch(self, request: AuthenticatedRequest, portfolio_id: int, address_id: int) -> Response:
        address = self._get(request, portfolio_id, address_id)
        data = body_dict(request)
        services.address_update(
            address=address,
            title=text_input(data, "title", required=False, max_length=100, allow_blank=True),
            new_address=text_input(data, "address", required=False, max_length=128),
            currency_code=_currency(data, required=False),
        )
        return Response(AddressSerializer(address).data)

    @extend_schema(responses=AddressSerializer, summary="Delete an address (answers it as it was)")
    def delete(self, request: AuthenticatedRequest, portfolio_id: int, address_id: int) -> Response:
        address = self._get(request, portfolio_id, address_id)
        before = AddressSerializer(address).data
        services.address_delete(address=address)
        return Response(before)


class AddressBalanceSerializer(serializers.Serializer):
    currency = CurrencyRefField()
    balance = AmountField()
    transactions = serializers.IntegerField(allow_null=True)
    sent = AmountField(allow_null=True)
    received = AmountField(allow_null=True)
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()
    source = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.source: the metaclass pops declared fields
    # Extra keys (API.md allows them): what the stored history adds up to (null while it is
    # incomplete) and what the balance has beyond it (null when they agree).
    history_balance = AmountField(source="address.fetch_state.history_balance", allow_null=True)
    unexplained = AmountField(source="address.fetch_state.unexplained", allow_null=True)


class AddressTransactionSerializer(serializers.Serializer):
    currency = CurrencyRefField()
    delta = AmountField()
    txn_at = UtcDateTimeField()
    fee = AmountField()
    reference = serializers.CharField()
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()
    source = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.source: the metaclass pops declared fields


class AddressBalancesView(OwnAddressMixin, ApiView):
    @extend_schema(
        responses=AddressBalanceSerializer(many=True),
        summary="An address's balance (async: 503 Not ready until first fetched)",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int, address_id: int) -> Response:
        address = self._get(request, portfolio_id, address_id)
        address_data_ready(address)
        return Response(AddressBalanceSerializer(address_balances(address=address), many=True).data)


class AddressTransactionsView(OwnAddressMixin, ApiView):
    @extend_schema(
        responses=AddressTransactionSerializer(many=True),
        summary="An address's transactions, newest first, paged with ?limit= and ?offset= (async)",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int, address_id: int) -> Response:
        address = self._get(request, portfolio_id, address_id)
        address_data_ready(address)
        return Response(
            paginate(
                request,
                address_transactions(address=address),
                lambda rows: AddressTransactionSerializer(rows, many=True).data,
            )
        )
