"""API routes of this app, included under /api/ (no trailing slashes, as API.md wants)."""

from django.urls import path

from addresses.api import AddressBalancesView, AddressTransactionsView

urlpatterns = [
    path(
        "portfolios/<int:portfolio_id>/addresses/<int:address_id>/balances",
        AddressBalancesView.as_view(),
        name="address-balances",
    ),
    path(
        "portfolios/<int:portfolio_id>/addresses/<int:address_id>/transactions",
        AddressTransactionsView.as_view(),
        name="address-transactions",
    ),
]
