"""Exchange accounts under /api/portfolios/ID/accounts, and the public /api/wallets list."""

from __future__ import annotations

from datetime import date
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.response import Response

from accounts import services
from accounts.exchanges import wallet_info, wallets
from accounts.freshness import account_data_ready
from accounts.models import Account, AccountFetchState
from accounts.selectors import (
    account_balances,
    account_get,
    account_history,
    account_list,
    account_movements,
)
from core.api import AmountField, ApiView, CurrencyRefField, UtcDateTimeField, paginate
from core.exceptions import ValidationFailed
from core.inputs import InputField, InputSerializer, TextInput
from ledger.holdings import INFLOW_KINDS
from portfolios.api_base import PortfolioScopedView
from users.requests import AuthenticatedRequest


class WalletRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()


class AccountSerializer(serializers.Serializer):
    """An account as the API answers it: never its credentials."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    wallet = serializers.SerializerMethodField()
    valid = serializers.BooleanField()
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()
    last_updated = UtcDateTimeField()
    txns_last_updated = UtcDateTimeField()
    history_last_updated = UtcDateTimeField()
    source = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.source: the metaclass pops declared fields
    # Extra keys (API.md allows them): why the account is invalid, a warning about its key.
    invalid_reason = serializers.CharField()
    warning = serializers.CharField()

    def get_wallet(self, obj: Account) -> dict[str, str]:
        return {"code": obj.exchange, "title": obj.exchange_title}


@extend_schema_field(
    {
        "type": "object",
        "description": "the credentials the exchange needs (see /api/wallets), write-only",
        "properties": {
            "apiKey": {"type": "string", "writeOnly": True},
            "secret": {"type": "string", "writeOnly": True},
            "password": {"type": "string", "writeOnly": True},
            "uid": {"type": "string", "writeOnly": True},
        },
        "additionalProperties": {"type": "string", "writeOnly": True},
    }
)
class CredentialsInput(InputField):
    """The exchange's credentials, an object of text fields (checked against the exchange's
    needs by the service). Write-only."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise serializers.ValidationError(["credentials must be an object"])
        return dict(data)


@extend_schema_field(OpenApiTypes.STR)
class WalletCodeInput(InputField):
    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, list) and len(data) == 1:
            data = data[0]
        if isinstance(data, dict):
            data = data.get("code")
        if not isinstance(data, str) or not data.strip():
            raise serializers.ValidationError(['wallet must be an exchange code, e.g. "kraken"'])
        code = data.strip().lower()
        if wallet_info(code) is None:
            raise serializers.ValidationError([f"unknown wallet '{code}'; see /api/wallets"])
        return code


class AccountInputSerializer(InputSerializer):
    """POST and PATCH body. In a PATCH every field is optional; new credentials make an invalid
    account valid again and fetch it."""

    title = TextInput(max_length=100, allow_blank=True, required=False)
    wallet = WalletCodeInput()
    credentials = CredentialsInput()


class AccountBalanceSerializer(serializers.Serializer):
    currency = CurrencyRefField()
    balance = AmountField()
    free = AmountField(allow_null=True)
    used = AmountField(allow_null=True)
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()
    source = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.source: the metaclass pops declared fields


class AccountTxnSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    currency = CurrencyRefField(source="asset")
    delta = serializers.SerializerMethodField()
    kind = serializers.CharField()
    tx_type = serializers.CharField()
    txn_at = UtcDateTimeField(source="occurred_at")
    value = AmountField(allow_null=True)
    value_currency = CurrencyRefField(allow_null=True)
    reference = serializers.CharField()
    external_id = serializers.CharField()
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()
    source = serializers.SerializerMethodField()  # type: ignore[assignment]

    def get_delta(self, obj) -> str:
        signed = obj.quantity if obj.kind in INFLOW_KINDS else -obj.quantity
        return str(AmountField().to_representation(signed))

    def get_source(self, obj) -> str:
        return self.context.get("source", "")


class AccountHistorySerializer(serializers.Serializer):
    date = serializers.DateField()
    currency = CurrencyRefField()
    balance = AmountField()


class WalletSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    credentials = serializers.ListField(child=serializers.CharField())
    has = serializers.DictField(child=serializers.BooleanField())


class WalletListView(ApiView):
    public = True

    @extend_schema(
        responses=WalletSerializer(many=True),
        summary="The exchanges that can be connected, with the credentials each needs",
    )
    def get(self, request) -> Response:
        return Response(
            [
                {"code": w.code, "title": w.title, "credentials": list(w.credentials), "has": w.has}
                for w in wallets()
            ]
        )


class OwnAccountView(PortfolioScopedView):
    def _get(self, account_id: int) -> Account:
        return account_get(portfolio=self.portfolio, account_id=account_id)


class AccountListView(PortfolioScopedView):
    @extend_schema(responses=AccountSerializer(many=True), summary="List a portfolio's accounts")
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        return Response(AccountSerializer(account_list(portfolio=self.portfolio), many=True).data)

    @extend_schema(
        request=AccountInputSerializer,
        responses={201: AccountSerializer},
        summary="Connect an exchange account (its first fetch checks the key)",
    )
    def post(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        data = AccountInputSerializer.from_request(request)
        account = services.account_create(
            portfolio=self.portfolio,
            title=data.get("title"),
            exchange=data["wallet"],
            credentials=data["credentials"],
            source="private-api",
        )
        account.refresh_from_db()
        return Response(AccountSerializer(account).data, status=201)


class AccountDetailView(OwnAccountView):
    @extend_schema(responses=AccountSerializer, summary="One account")
    def get(self, request: AuthenticatedRequest, portfolio_id: int, account_id: int) -> Response:
        return Response(AccountSerializer(self._get(account_id)).data)

    @extend_schema(
        request=AccountInputSerializer,
        responses=AccountSerializer,
        summary="Change the title, or the credentials (which makes the account valid again)",
    )
    def patch(self, request: AuthenticatedRequest, portfolio_id: int, account_id: int) -> Response:
        account = self._get(account_id)
        data = AccountInputSerializer.from_request(request, partial=True)
        if not data:
            raise ValidationFailed("nothing to change: send title, wallet or credentials")
        services.account_update(
            account=account,
            title=data.get("title"),
            exchange=data.get("wallet"),
            credentials=data.get("credentials"),
        )
        account.refresh_from_db()
        return Response(AccountSerializer(account).data)

    @extend_schema(
        responses={200: AccountSerializer},
        summary="Remove an account and its ledger rows (answers it as it was)",
    )
    def delete(self, request: AuthenticatedRequest, portfolio_id: int, account_id: int) -> Response:
        account = self._get(account_id)
        before = AccountSerializer(account).data
        services.account_delete(account=account)
        return Response(before)


class AccountBalancesView(OwnAccountView):
    @extend_schema(
        responses=AccountBalanceSerializer(many=True),
        summary="An account's balances on the exchange (async: 503 Not ready until fetched)",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int, account_id: int) -> Response:
        account = self._get(account_id)
        account_data_ready(account)
        return Response(AccountBalanceSerializer(account_balances(account=account), many=True).data)


class AccountTxnsView(OwnAccountView):
    @extend_schema(
        responses=AccountTxnSerializer(many=True),
        summary="An account's movements (trades, deposits, withdrawals, fees, rewards), newest "
        "first, paged with ?limit= and ?offset= (async)",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int, account_id: int) -> Response:
        account = self._get(account_id)
        account_data_ready(account)
        context = {"source": account.exchange}
        return Response(
            paginate(
                request,
                account_movements(account=account),
                lambda rows: AccountTxnSerializer(rows, many=True, context=context).data,
            )
        )


class AccountHistoryView(OwnAccountView):
    @extend_schema(
        parameters=[OpenApiParameter("from", OpenApiTypes.DATE, description="first day")],
        responses=AccountHistorySerializer(many=True),
        summary="An account's daily balance per currency, oldest first (async)",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int, account_id: int) -> Response:
        account = self._get(account_id)
        since = _date_param(request, "from")
        account_data_ready(account)
        rows = account_history(account=account, since=since)
        return Response(AccountHistorySerializer(rows, many=True).data)


def _date_param(request: AuthenticatedRequest, name: str) -> date | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(f"{name} must be a date (YYYY-MM-DD)") from None


class BackfillInputSerializer(InputSerializer):
    """``from``: the first day to read again (default: the account's start); ``dry_run``: say
    what would be read again and change nothing."""

    dry_run = serializers.BooleanField(required=False, default=False)


class AccountBackfillView(OwnAccountView):
    @extend_schema(
        request=BackfillInputSerializer,
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="first day to read again")
        ],
        responses=inline_serializer(
            "AccountBackfill",
            {
                "from": serializers.DateField(allow_null=True),
                "dry_run": serializers.BooleanField(),
                "cursors_moved": serializers.ListField(child=serializers.CharField()),
                "rows_stored_since": serializers.IntegerField(),
                "progress": serializers.DictField(required=False),
            },
        ),
        summary="Read an account's history again from its start or a date (dry_run first)",
    )
    def post(self, request: AuthenticatedRequest, portfolio_id: int, account_id: int) -> Response:
        account = self._get(account_id)
        data = BackfillInputSerializer.from_request(request)
        since = _date_param(request, "from")
        if since is None and isinstance(request.data, dict) and request.data.get("from"):
            try:
                since = date.fromisoformat(str(request.data["from"]))
            except ValueError:
                raise ValidationFailed("from must be a date (YYYY-MM-DD)") from None
        return Response(
            services.account_backfill(account=account, since=since, dry_run=data["dry_run"])
        )

    @extend_schema(
        responses=inline_serializer(
            "AccountBackfillProgress",
            {
                "from": serializers.DateField(allow_null=True),
                "pages": serializers.IntegerField(),
                "added": serializers.IntegerField(),
                "done": serializers.BooleanField(),
            },
        ),
        summary="The progress of the account's last backfill ({} when none)",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int, account_id: int) -> Response:
        account = self._get(account_id)
        state = AccountFetchState.objects.filter(account=account).first()
        return Response(state.backfill if state else {})
