from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import ApiView, body_dict, list_input, paginate, unwrap_single
from core.exceptions import ValidationFailed
from core.money import parse_amount
from ledger.api.serializers import (
    InventorySerializer,
    LedgerEntrySerializer,
    TransferSerializer,
    entries_data,
    entry_data,
)
from ledger.filters import LedgerEntryFilter
from ledger.inventory_selectors import portfolio_inventory
from ledger.models import Transfer
from ledger.selectors import (
    ledger_entry_get,
    ledger_entry_list,
    ledger_missing_values,
    transfer_get,
    transfer_list,
)
from ledger.services import ledger_entry_update
from ledger.transfers import transfer_accept, transfer_reject
from portfolios.freshness import ensure_balances, portfolio_holdings
from portfolios.selectors import portfolio_get
from users.requests import AuthenticatedRequest

FILTER_PARAMETERS = [
    OpenApiParameter("asset", str, description="currency code(s), comma-separated"),
    OpenApiParameter("kind", str, description="ledger kind(s), comma-separated"),
    OpenApiParameter("wallet", str, description="wallet id(s), comma-separated"),
    OpenApiParameter("from", str, description="ISO 8601 date or date-time, included"),
    OpenApiParameter(
        "to", str, description="ISO 8601 date or date-time, included (a date: the whole day)"
    ),
    OpenApiParameter("limit", int, description="rows per page, 1 to 1000 (default 100)"),
    OpenApiParameter("offset", int, description="rows to skip"),
]
NOTES_MAX = 2000


def filtered(request: Request, queryset):
    filters = LedgerEntryFilter(request.query_params, queryset=queryset)
    if not filters.is_valid():
        raise ValidationFailed(filters.problems)
    return filters.qs


class TransactionListView(ApiView):
    @extend_schema(
        parameters=FILTER_PARAMETERS,
        responses=LedgerEntrySerializer(many=True),
        summary="The portfolio's ledger rows, newest first, filtered and paged",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
        rows = filtered(request, ledger_entry_list(portfolio=portfolio))
        return Response(paginate(request, rows, entries_data))


class MissingValuesView(ApiView):
    @extend_schema(
        parameters=FILTER_PARAMETERS,
        responses=LedgerEntrySerializer(many=True),
        summary="Rows whose fiat value is missing (set it with PATCH), newest first, paged",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
        rows = filtered(request, ledger_missing_values(portfolio=portfolio))
        return Response(paginate(request, rows, entries_data))


ENTRY_BODY = inline_serializer(
    "LedgerEntryPatch",
    {
        "kind": serializers.CharField(required=False),
        "income_type": serializers.CharField(required=False, allow_null=True),
        "value": serializers.CharField(required=False, allow_null=True),
        "value_currency": serializers.CharField(required=False),
        "notes": serializers.CharField(required=False),
        "pinned_lots": serializers.ListField(child=serializers.ListField(), required=False),
    },
)


class TransactionDetailView(ApiView):
    @extend_schema(responses=LedgerEntrySerializer, summary="One ledger row")
    def get(self, request: AuthenticatedRequest, portfolio_id: int, entry_id: int) -> Response:
        portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
        return Response(entry_data(ledger_entry_get(portfolio=portfolio, entry_id=entry_id)))

    @extend_schema(
        request=ENTRY_BODY,
        responses=LedgerEntrySerializer,
        summary="Re-classify a row, set its value by hand, its notes or pinned lots",
    )
    def patch(self, request: AuthenticatedRequest, portfolio_id: int, entry_id: int) -> Response:
        portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
        entry = ledger_entry_get(portfolio=portfolio, entry_id=entry_id)
        ledger_entry_update(entry=entry, **entry_changes(body_dict(request)))
        return Response(entry_data(ledger_entry_get(portfolio=portfolio, entry_id=entry_id)))


def entry_changes(data: dict[str, Any]) -> dict[str, Any]:
    """The PATCH body as arguments of ``ledger_entry_update``; every format problem at once."""
    changes: dict[str, Any] = {}
    problems: list[str] = []
    for name, parse in (
        ("kind", _text),
        ("income_type", _optional_text),
        ("value", _optional_amount),
        ("value_currency", _optional_currency),
        ("notes", _notes),
        ("pinned_lots", _pins),
    ):
        if name in data:
            try:
                changes[name] = parse(data, name)
            except ValidationFailed as exc:
                problems.extend(exc.problems)
    if problems:
        raise ValidationFailed(problems)
    return changes


def _text(data: dict, name: str) -> str:
    value = unwrap_single(data[name])
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(f"{name} must be text")
    return value.strip()


def _optional_text(data: dict, name: str) -> str | None:
    value = unwrap_single(data[name])
    return None if value in (None, "") else _text(data, name)


def _optional_currency(data: dict, name: str) -> str | None:
    """A code, or the ``{code, title}`` object a GET answered (a client writing back what it
    read)."""
    value = unwrap_single(data[name])
    if isinstance(value, dict) and "code" in value:
        return _optional_text({name: value["code"]}, name)
    return _optional_text(data, name)


def _optional_amount(data: dict, name: str) -> Decimal | None:
    value = unwrap_single(data[name])
    return None if value in (None, "") else parse_amount(value, field=name)


def _notes(data: dict, name: str) -> str:
    value = unwrap_single(data[name])
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed(f"{name} must be text")
    if len(value) > NOTES_MAX:
        raise ValidationFailed(f"{name} must be at most {NOTES_MAX} characters")
    return value


def _pins(data: dict, name: str) -> list[tuple[int, Decimal]]:
    """``[[entry id, quantity], ...]``, or objects ``{entry, quantity}`` (bracket notation:
    ``pinned_lots[][entry]=5&pinned_lots[][quantity]=0.5``)."""
    pins = []
    problems = []
    for i, item in enumerate(list_input(data, name) or []):
        if isinstance(item, dict):
            pk, quantity = item.get("entry", item.get("id")), item.get("quantity")
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            pk, quantity = item
        else:
            problems.append(f"{name}[{i}] must be a pair [entry id, quantity]")
            continue
        if isinstance(pk, bool) or not str(pk).strip().isdigit():
            problems.append(f"{name}[{i}]: entry id '{pk}' is not a whole number")
            continue
        try:
            pins.append(
                (int(str(pk).strip()), parse_amount(quantity, field=f"{name}[{i}] quantity"))
            )
        except ValidationFailed as exc:
            problems.extend(exc.problems)
    if problems:
        raise ValidationFailed(problems)
    return pins


class InventoryView(ApiView):
    @extend_schema(
        responses=InventorySerializer(many=True),
        summary="Per currency: what purchases and sales add up to, on-chain receives and sends "
        "included until re-classified (async: 503 Not ready until the addresses were fetched)",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
        now = timezone.now()
        # The addresses' histories reach the ledger with their fetch: the same async contract
        # as the portfolio's balances (503 before the first fetch, refresh when stale).
        ensure_balances(portfolio_holdings(portfolio, now=now), now=now)
        rows = portfolio_inventory(portfolio=portfolio, now=now)
        return Response(InventorySerializer(rows, many=True).data)


STATUSES = [status for status, _ in Transfer.STATUSES]


class TransferListView(ApiView):
    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=STATUSES),
            OpenApiParameter("limit", int),
            OpenApiParameter("offset", int),
        ],
        responses=TransferSerializer(many=True),
        summary="Transfers between the portfolio's wallets, newest first, paged",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
        status = request.query_params.get("status", "").strip().lower() or None
        if status is not None and status not in STATUSES:
            raise ValidationFailed(f"status '{status}' is not one of {', '.join(STATUSES)}")
        transfers = transfer_list(portfolio=portfolio, status=status)
        return Response(
            paginate(request, transfers, lambda rows: TransferSerializer(rows, many=True).data)
        )


class TransferDetailView(ApiView):
    @extend_schema(responses=TransferSerializer, summary="One transfer")
    def get(self, request: AuthenticatedRequest, portfolio_id: int, transfer_id: int) -> Response:
        portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
        return Response(
            TransferSerializer(transfer_get(portfolio=portfolio, transfer_id=transfer_id)).data
        )


def decided(request: AuthenticatedRequest, portfolio_id: int, transfer_id: int, decide) -> Response:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    decide(transfer=transfer_get(portfolio=portfolio, transfer_id=transfer_id))
    return Response(
        TransferSerializer(transfer_get(portfolio=portfolio, transfer_id=transfer_id)).data
    )


class TransferAcceptView(ApiView):
    @extend_schema(
        request=None,
        responses=TransferSerializer,
        summary="Accept a transfer: its legs become transfer_out and transfer_in",
    )
    def post(self, request: AuthenticatedRequest, portfolio_id: int, transfer_id: int) -> Response:
        return decided(request, portfolio_id, transfer_id, transfer_accept)


class TransferRejectView(ApiView):
    @extend_schema(
        request=None,
        responses=TransferSerializer,
        summary="Reject a transfer: never proposed again; an accepted one gets its kinds back",
    )
    def post(self, request: AuthenticatedRequest, portfolio_id: int, transfer_id: int) -> Response:
        return decided(request, portfolio_id, transfer_id, transfer_reject)
