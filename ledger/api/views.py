from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import PAGING, paginate
from core.exceptions import ValidationFailed
from ledger.api.inputs import LedgerEntryInputSerializer
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
from portfolios.api_base import PortfolioScopedView
from portfolios.freshness import ensure_balances, portfolio_holdings
from portfolios.models import Portfolio
from users.requests import AuthenticatedRequest

FILTER_PARAMETERS = [
    OpenApiParameter("asset", str, description="currency code(s), comma-separated"),
    OpenApiParameter("kind", str, description="ledger kind(s), comma-separated"),
    OpenApiParameter("wallet", str, description="wallet id(s), comma-separated"),
    OpenApiParameter("from", str, description="ISO 8601 date or date-time, included"),
    OpenApiParameter(
        "to", str, description="ISO 8601 date or date-time, included (a date: the whole day)"
    ),
    *PAGING,
]


def filtered(request: Request, queryset):
    filters = LedgerEntryFilter(request.query_params, queryset=queryset, user=request.user)
    if not filters.is_valid():
        raise ValidationFailed(filters.problems)
    return filters.qs


class TransactionListView(PortfolioScopedView):
    @extend_schema(
        parameters=FILTER_PARAMETERS,
        responses=LedgerEntrySerializer(many=True),
        summary="The portfolio's ledger rows, newest first, filtered and paged",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        portfolio = self.portfolio
        rows = filtered(request, ledger_entry_list(portfolio=portfolio))
        return Response(paginate(request, rows, entries_data))


class MissingValuesView(PortfolioScopedView):
    @extend_schema(
        parameters=FILTER_PARAMETERS,
        responses=LedgerEntrySerializer(many=True),
        summary="Rows whose fiat value is missing (set it with PATCH), newest first, paged",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        portfolio = self.portfolio
        rows = filtered(request, ledger_missing_values(portfolio=portfolio))
        return Response(paginate(request, rows, entries_data))


class TransactionDetailView(PortfolioScopedView):
    @extend_schema(responses=LedgerEntrySerializer, summary="One ledger row")
    def get(self, request: AuthenticatedRequest, portfolio_id: int, entry_id: int) -> Response:
        portfolio = self.portfolio
        return Response(entry_data(ledger_entry_get(portfolio=portfolio, entry_id=entry_id)))

    @extend_schema(
        request=LedgerEntryInputSerializer,
        responses=LedgerEntrySerializer,
        summary="Re-classify a row, set its value by hand, its notes or pinned lots",
    )
    def patch(self, request: AuthenticatedRequest, portfolio_id: int, entry_id: int) -> Response:
        portfolio = self.portfolio
        entry = ledger_entry_get(portfolio=portfolio, entry_id=entry_id)
        changes = LedgerEntryInputSerializer.from_request(request, partial=True)
        ledger_entry_update(entry=entry, **changes)
        return Response(entry_data(ledger_entry_get(portfolio=portfolio, entry_id=entry_id)))


class InventoryView(PortfolioScopedView):
    @extend_schema(
        responses=InventorySerializer(many=True),
        summary="Per currency: what purchases and sales add up to, on-chain receives and sends "
        "included until re-classified (async: 503 Not ready until the addresses were fetched)",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        portfolio = self.portfolio
        now = timezone.now()
        # The addresses' histories reach the ledger with their fetch: the same async contract
        # as the portfolio's balances (503 before the first fetch, refresh when stale).
        ensure_balances(portfolio_holdings(portfolio, now=now), now=now)
        rows = portfolio_inventory(portfolio=portfolio, now=now)
        return Response(InventorySerializer(rows, many=True).data)


STATUSES = [status for status, _ in Transfer.STATUSES]


class TransferListView(PortfolioScopedView):
    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=STATUSES),
            *PAGING,
        ],
        responses=TransferSerializer(many=True),
        summary="Transfers between the portfolio's wallets, newest first, paged",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        portfolio = self.portfolio
        status = request.query_params.get("status", "").strip().lower() or None
        if status is not None and status not in STATUSES:
            raise ValidationFailed(f"status '{status}' is not one of {', '.join(STATUSES)}")
        transfers = transfer_list(portfolio=portfolio, status=status)
        return Response(
            paginate(request, transfers, lambda rows: TransferSerializer(rows, many=True).data)
        )


class TransferDetailView(PortfolioScopedView):
    @extend_schema(responses=TransferSerializer, summary="One transfer")
    def get(self, request: AuthenticatedRequest, portfolio_id: int, transfer_id: int) -> Response:
        portfolio = self.portfolio
        return Response(
            TransferSerializer(transfer_get(portfolio=portfolio, transfer_id=transfer_id)).data
        )


def decided(portfolio: Portfolio, transfer_id: int, decide) -> Response:
    decide(transfer=transfer_get(portfolio=portfolio, transfer_id=transfer_id))
    return Response(
        TransferSerializer(transfer_get(portfolio=portfolio, transfer_id=transfer_id)).data
    )


class TransferAcceptView(PortfolioScopedView):
    @extend_schema(
        request=None,
        responses=TransferSerializer,
        summary="Accept a transfer: its legs become transfer_out and transfer_in",
    )
    def post(self, request: AuthenticatedRequest, portfolio_id: int, transfer_id: int) -> Response:
        return decided(self.portfolio, transfer_id, transfer_accept)


class TransferRejectView(PortfolioScopedView):
    @extend_schema(
        request=None,
        responses=TransferSerializer,
        summary="Reject a transfer: never proposed again; an accepted one gets its kinds back",
    )
    def post(self, request: AuthenticatedRequest, portfolio_id: int, transfer_id: int) -> Response:
        return decided(self.portfolio, transfer_id, transfer_reject)
