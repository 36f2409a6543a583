from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import ApiView, UtcDateTimeField
from currencies.models import Currency
from currencies.selectors import currency_get, currency_list


class CurrencySerializer(serializers.ModelSerializer):
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()

    class Meta:
        model = Currency
        fields = [
            "id",
            "code",
            "title",
            "created_at",
            "updated_at",
            "is_cryptocurrency",
            "is_fiat",
            "is_ethereum_token",
            "ethereum_contract_address",
            "source",
        ]
        # Stored as "" for a coin, answered as null (below).
        extra_kwargs = {"ethereum_contract_address": {"allow_null": True}}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["ethereum_contract_address"] = data["ethereum_contract_address"] or None
        return data


class CurrencyListSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    currencies = CurrencySerializer(many=True)


class CurrencyListView(ApiView):
    public = True
    kind: str | None = None

    @extend_schema(responses=CurrencyListSerializer, summary="List currencies")
    def get(self, request: Request) -> Response:
        rows = list(currency_list(kind=self.kind))
        return Response(
            {"count": len(rows), "currencies": CurrencySerializer(rows, many=True).data}
        )


class CurrencyDetailView(ApiView):
    public = True

    # Its own operationId: drf-spectacular would name it and the list both currencies_retrieve.
    @extend_schema(
        responses=CurrencySerializer, summary="One currency by code", operation_id="currency_get"
    )
    def get(self, request: Request, code: str) -> Response:
        return Response(CurrencySerializer(currency_get(code=code)).data)
