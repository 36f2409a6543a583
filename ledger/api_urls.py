"""API routes of this app, included under /api/ (no trailing slashes, as API.md wants)."""

from django.urls import path

from ledger.api.views import (
    InventoryView,
    MissingValuesView,
    TransactionDetailView,
    TransactionListView,
    TransferAcceptView,
    TransferDetailView,
    TransferListView,
    TransferRejectView,
)

P = "portfolios/<int:portfolio_id>"

urlpatterns = [
    path(f"{P}/transactions", TransactionListView.as_view(), name="ledger-transactions"),
    path(
        f"{P}/transactions/missing-values",
        MissingValuesView.as_view(),
        name="ledger-missing-values",
    ),
    path(
        f"{P}/transactions/<int:entry_id>",
        TransactionDetailView.as_view(),
        name="ledger-transaction",
    ),
    path(f"{P}/inventory", InventoryView.as_view(), name="ledger-inventory"),
    path(f"{P}/transfers", TransferListView.as_view(), name="ledger-transfers"),
    path(f"{P}/transfers/<int:transfer_id>", TransferDetailView.as_view(), name="ledger-transfer"),
    path(
        f"{P}/transfers/<int:transfer_id>/accept",
        TransferAcceptView.as_view(),
        name="ledger-transfer-accept",
    ),
    path(
        f"{P}/transfers/<int:transfer_id>/reject",
        TransferRejectView.as_view(),
        name="ledger-transfer-reject",
    ),
]
