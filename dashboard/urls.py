from django.urls import path

from dashboard.views import account, addresses, home, offsets, portfolios

app_name = "dashboard"

urlpatterns = [
    path("", home.home, name="home"),
    path("portfolios/", portfolios.portfolio_list, name="portfolio-list"),
    path("portfolios/new/", portfolios.portfolio_new, name="portfolio-new"),
    path("portfolios/<int:portfolio_id>/", portfolios.portfolio_detail, name="portfolio-detail"),
    path("portfolios/<int:portfolio_id>/edit/", portfolios.portfolio_edit, name="portfolio-edit"),
    path(
        "portfolios/<int:portfolio_id>/delete/",
        portfolios.portfolio_remove,
        name="portfolio-delete",
    ),
    path("portfolios/<int:portfolio_id>/addresses/new/", addresses.address_new, name="address-new"),
    path(
        "portfolios/<int:portfolio_id>/addresses/<int:address_id>/",
        addresses.address_detail,
        name="address-detail",
    ),
    path(
        "portfolios/<int:portfolio_id>/addresses/<int:address_id>/edit/",
        addresses.address_edit,
        name="address-edit",
    ),
    path(
        "portfolios/<int:portfolio_id>/addresses/<int:address_id>/delete/",
        addresses.address_remove,
        name="address-delete",
    ),
    path("portfolios/<int:portfolio_id>/offsets/new/", offsets.offset_new, name="offset-new"),
    path(
        "portfolios/<int:portfolio_id>/offsets/<int:offset_id>/edit/",
        offsets.offset_edit,
        name="offset-edit",
    ),
    path(
        "portfolios/<int:portfolio_id>/offsets/<int:offset_id>/delete/",
        offsets.offset_remove,
        name="offset-delete",
    ),
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
