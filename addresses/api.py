from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from addresses import services
from addresses.freshness import address_data_ready
from addresses.models import Address
from addresses.selectors import address_balances, address_get, address_list, address_transactions
from core.api import PAGING, AmountField, CurrencyRefField, UtcDateTimeField, paginate
from core.inputs import InputSerializer, TextInput
from currencies.inputs import CurrencyCodeInput
from portfolios.api_base import PortfolioScopedView
from users.requests import AuthenticatedRequest


class AddressSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    address = serializers.CharField()
    currency = CurrencyRefField()
    valid = serializers.BooleanField()
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()
    txns_last_updated = UtcDateTimeField(allow_null=True)
    source = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.source: the metaclass pops declared fields


class AddressListItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    address = serializers.CharField()
    currency = CurrencyRefField()


class AddressInputSerializer(InputSerializer):
    """POST and PATCH body. In a PATCH every field is optional: a missing one keeps its value. The
    address is checked with its chain's checksum rules before it is stored."""

    title = TextInput(max_length=100, allow_blank=True, required=False)
    address = TextInput(max_length=128)
    currency = CurrencyCodeInput()


# A view of one address of the portfolio (404 for any other). No docstring: the schema would
# show it to API clients as the description of every operation below.
class OwnAddressView(PortfolioScopedView):
    def _get(self, address_id: int) -> Address:
        return address_get(portfolio=self.portfolio, address_id=address_id)


class AddressListView(PortfolioScopedView):
    @extend_schema(
        responses=AddressListItemSerializer(many=True), summary="List a portfolio's addresses"
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        return Response(
            AddressListItemSerializer(address_list(portfolio=self.portfolio), many=True).data
        )

    @extend_schema(
        request=AddressInputSerializer, responses={201: AddressSerializer}, summary="Add an address"
    )
    def post(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        data = AddressInputSerializer.from_request(request)
        address = services.address_create(
            portfolio=self.portfolio,
            title=data.get("title"),
            address=data["address"],
            currency_code=data["currency"],
            source="private-api",
        )
        return Response(AddressSerializer(address).data, status=201)


class AddressDetailView(OwnAddressView):
    @extend_schema(responses=AddressSerializer, summary="One address")
    def get(self, request: AuthenticatedRequest, portfolio_id: int, address_id: int) -> Response:
        return Response(AddressSerializer(self._get(address_id)).data)

    @extend_schema(
        request=AddressInputSerializer,
        responses=AddressSerializer,
        summary="Change title, address or currency",
    )
    def patch(self, request: AuthenticatedRequest, portfolio_id: int, address_id: int) -> Response:
        address = self._get(address_id)
        data = AddressInputSerializer.from_request(request, partial=True)
        services.address_update(
            address=address,
            title=data.get("title"),
            new_address=data.get("address"),
            currency_code=data.get("currency"),
        )
        return Response(AddressSerializer(address).data)

    @extend_schema(
        responses={200: AddressSerializer}, summary="Delete an address (answers it as it was)"
    )
    def delete(self, request: AuthenticatedRequest, portfolio_id: int, address_id: int) -> Response:
        address = self._get(address_id)
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


class AddressBalancesView(OwnAddressView):
    @extend_schema(
        responses=AddressBalanceSerializer(many=True),
        summary="An address's balance (async: 503 Not ready until first fetched)",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int, address_id: int) -> Response:
        address = self._get(address_id)
        address_data_ready(address)
        return Response(AddressBalanceSerializer(address_balances(address=address), many=True).data)


class AddressTransactionsView(OwnAddressView):
    @extend_schema(
        parameters=PAGING,
        responses=AddressTransactionSerializer(many=True),
        summary="An address's transactions, newest first, paged with ?limit= and ?offset= (async)",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int, address_id: int) -> Response:
        address = self._get(address_id)
        address_data_ready(address)
        return Response(
            paginate(
                request,
                address_transactions(address=address),
                lambda rows: AddressTransactionSerializer(rows, many=True).data,
            )
        )
