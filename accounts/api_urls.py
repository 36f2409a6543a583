"""API routes of this app, included under /api/ (no trailing slashes, as API.md wants)."""

from django.urls import path

from accounts.api import (
    AccountBackfillView,
    AccountBalancesView,
    AccountDetailView,
    AccountHistoryView,
    AccountListView,
    AccountTxnsView,
    WalletListView,
)

urlpatterns = [
    path("wallets", WalletListView.as_view(), name="wallet-list"),
    path("portfolios/<int:portfolio_id>/accounts", AccountListView.as_view(), name="account-list"),
    path(
        "portfolios/<int:portfolio_id>/accounts/<int:account_id>",
        AccountDetailView.as_view(),
        name="account-detail",
    ),
    path(
        "portfolios/<int:portfolio_id>/accounts/<int:account_id>/balances",
        AccountBalancesView.as_view(),
        name="account-balances",
    ),
    path(
        "portfolios/<int:portfolio_id>/accounts/<int:account_id>/txns",
        AccountTxnsView.as_view(),
        name="account-txns",
    ),
    path(
        "portfolios/<int:portfolio_id>/accounts/<int:account_id>/history",
        AccountHistoryView.as_view(),
        name="account-history",
    ),
    path(
        "portfolios/<int:portfolio_id>/accounts/<int:account_id>/backfill",
        AccountBackfillView.as_view(),
        name="account-backfill",
    ),
]
