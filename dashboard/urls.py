from django.urls import path

from dashboard.views import (
    account,
    accounts,
    addresses,
    costbasis,
    home,
    imports,
    ledger,
    offsets,
    performance,
    portfolios,
    refresh,
    targets,
)

app_name = "dashboard"

P = "portfolios/<int:portfolio_id>"

urlpatterns = [
    path("", home.home, name="home"),
    path("portfolios/", portfolios.portfolio_list, name="portfolio-list"),
    path("portfolios/new/", portfolios.portfolio_new, name="portfolio-new"),
    path(f"{P}/", portfolios.portfolio_detail, name="portfolio-detail"),
    path(f"{P}/edit/", portfolios.portfolio_edit, name="portfolio-edit"),
    path(f"{P}/history/export", performance.history_export, name="history-export"),
    path(f"{P}/delete/", portfolios.portfolio_remove, name="portfolio-delete"),
    path(f"{P}/targets/", targets.portfolio_targets_view, name="portfolio-targets"),
    # Refresh now, and its progress
    path(f"{P}/refresh/", refresh.portfolio_refresh_view, name="portfolio-refresh"),
    path(
        f"{P}/refresh/progress/",
        refresh.refresh_progress_view,
        name="portfolio-refresh-progress",
    ),
    path(f"{P}/refresh/status.json", refresh.refresh_status_view, name="portfolio-refresh-status"),
    # Addresses and offsets
    path(f"{P}/addresses/new/", addresses.address_new, name="address-new"),
    path(f"{P}/addresses/<int:address_id>/", addresses.address_detail, name="address-detail"),
    path(f"{P}/addresses/<int:address_id>/edit/", addresses.address_edit, name="address-edit"),
    path(
        f"{P}/addresses/<int:address_id>/delete/",
        addresses.address_remove,
        name="address-delete",
    ),
    path(f"{P}/offsets/new/", offsets.offset_new, name="offset-new"),
    path(f"{P}/offsets/<int:offset_id>/edit/", offsets.offset_edit, name="offset-edit"),
    path(f"{P}/offsets/<int:offset_id>/delete/", offsets.offset_remove, name="offset-delete"),
    # Exchange accounts
    path(f"{P}/accounts/new/", accounts.account_new, name="account-new"),
    path(f"{P}/accounts/<int:account_id>/", accounts.account_detail, name="account-detail"),
    path(f"{P}/accounts/<int:account_id>/edit/", accounts.account_edit, name="account-edit"),
    path(
        f"{P}/accounts/<int:account_id>/delete/",
        accounts.account_remove,
        name="account-delete",
    ),
    # Statement imports
    path(f"{P}/imports/", imports.import_list, name="import-list"),
    path(f"{P}/imports/new/", imports.import_new, name="import-new"),
    path(f"{P}/imports/preview/<str:token>/", imports.import_preview, name="import-preview"),
    path(f"{P}/imports/<int:import_id>/", imports.import_detail, name="import-detail"),
    path(f"{P}/imports/<int:import_id>/undo/", imports.import_undo_view, name="import-undo"),
    # The ledger
    path(f"{P}/transactions/", ledger.transaction_list, name="transaction-list"),
    path(f"{P}/transactions/missing-values/", ledger.missing_values, name="missing-values"),
    path(f"{P}/transactions/<int:entry_id>/", ledger.transaction_edit, name="transaction-edit"),
    path(f"{P}/transfers/", ledger.transfers, name="transfer-list"),
    path(
        f"{P}/transfers/<int:transfer_id>/accept/",
        ledger.transfer_accept_view,
        name="transfer-accept",
    ),
    path(
        f"{P}/transfers/<int:transfer_id>/reject/",
        ledger.transfer_reject_view,
        name="transfer-reject",
    ),
    path(f"{P}/inventory/", ledger.inventory, name="inventory"),
    # Cost basis
    path(f"{P}/cost-basis/", costbasis.cost_basis, name="cost-basis"),
    path(f"{P}/cost-basis/settings/", costbasis.cost_basis_settings, name="cost-basis-settings"),
    path(f"{P}/cost-basis/rebuild/", costbasis.cost_basis_rebuild, name="cost-basis-rebuild"),
    path(
        f"{P}/cost-basis/report/<int:year>.csv",
        costbasis.cost_basis_report,
        name="cost-basis-report",
    ),
    # Account settings
    path("settings/connected-apps/", account.connected_app_list, name="connected-apps"),
    path(
        "settings/connected-apps/<int:application_id>/revoke/",
        account.connected_app_revoke_view,
        name="connected-app-revoke",
    ),
    path("settings/developer/", account.developer, name="developer"),
    path("settings/developer/api-keys/new/", account.api_key_new, name="api-key-new"),
    path(
        "settings/developer/api-keys/<int:api_key_id>/revoke/",
        account.api_key_revoke_view,
        name="api-key-revoke",
    ),
]
