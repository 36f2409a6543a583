from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from oauth2_provider import views as oauth

from addresses.api import AddressDetailView, AddressListView
from core.oauth import IntrospectTokenView, TokenView
from core.views import StatusView, api_not_found
from currencies.api import CurrencyDetailView, CurrencyListView
from offsets.api import OffsetDetailView, OffsetListView
from portfolios.api import PortfolioDetailView, PortfolioListView
from users.api import CurrentUserView

handler400 = "core.views.handler400"
handler403 = "core.views.handler403"
handler404 = "core.views.handler404"
handler500 = "core.views.handler500"


def slash_optional(route: str, view, name: str) -> URLPattern:
    """Clients POST to the literal paths without a trailing slash; the slash form answers too."""
    return re_path(rf"^{route}/?$", view, name=name)


# The consent form posts here and is answered with a redirect to the client's own redirect URI,
# another origin: browsers hold a redirect after a form post to the form-action directive, so
# this one page has none (every other page keeps form-action 'self').
authorize_view = csp_replace({"form-action": None})(oauth.AuthorizationView.as_view())

oauth_patterns = [
    slash_optional("authorize", authorize_view, "authorize"),
    slash_optional("token", TokenView.as_view(), "token"),
    slash_optional("revoke_token", oauth.RevokeTokenView.as_view(), "revoke-token"),
    slash_optional("introspect", IntrospectTokenView.as_view(), "introspect"),
    path("applications/", oauth.ApplicationList.as_view(), name="list"),
    path("applications/register/", oauth.ApplicationRegistration.as_view(), name="register"),
    path("applications/<int:pk>/", oauth.ApplicationDetail.as_view(), name="detail"),
    path("applications/<int:pk>/delete/", oauth.ApplicationDelete.as_view(), name="delete"),
    path("applications/<int:pk>/update/", oauth.ApplicationUpdate.as_view(), name="update"),
    path(
        "authorized_tokens/", oauth.AuthorizedTokensListView.as_view(), name="authorized-token-list"
    ),
    path(
        "authorized_tokens/<int:pk>/delete/",
        oauth.AuthorizedTokenDeleteView.as_view(),
        name="authorized-token-delete",
    ),
]

api_patterns: list[URLPattern | URLResolver] = [
    path("status", StatusView.as_view(), name="status"),
    path("currencies", CurrencyListView.as_view(), name="currency-list"),
    path(
        "currencies/cryptocurrencies",
        CurrencyListView.as_view(kind="cryptocurrencies"),
        name="currency-crypto",
    ),
    path("currencies/fiat", CurrencyListView.as_view(kind="fiat"), name="currency-fiat"),
    path("currencies/tokens", CurrencyListView.as_view(kind="tokens"), name="currency-tokens"),
    path("currencies/<str:code>", CurrencyDetailView.as_view(), name="currency-detail"),
    path("user", CurrentUserView.as_view(), name="user"),
    path("portfolios", PortfolioListView.as_view(), name="portfolio-list"),
    path("portfolios/<int:portfolio_id>", PortfolioDetailView.as_view(), name="portfolio-detail"),
    path("portfolios/<int:portfolio_id>/addresses", AddressListView.as_view(), name="address-list"),
    path(
        "portfolios/<int:portfolio_id>/addresses/<int:address_id>",
        AddressDetailView.as_view(),
        name="address-detail",
    ),
    path("portfolios/<int:portfolio_id>/offsets", OffsetListView.as_view(), name="offset-list"),
    path(
        "portfolios/<int:portfolio_id>/offsets/<int:offset_id>",
        OffsetDetailView.as_view(),
        name="offset-detail",
    ),
    # Routes added by later apps live in their own api_urls.py.
    path("", include("addresses.api_urls")),
    path("", include("portfolios.api_urls")),
    path("", include("prices.api_urls")),
    path("", include("ledger.api_urls")),
    path("", include("ingest.api_urls")),
    path("", include("costbasis.api_urls")),
    path("", include("performance.api_urls")),
    path("", include("accounts.api_urls")),
    # The schema is the same document for everyone and reads no data: no throttle (whose
    # counter would be a cache write per fetch).
    path("schema", SpectacularAPIView.as_view(throttle_classes=()), name="schema"),
    path("docs", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    # Redoc's bundle adds <style> elements as it loads, before it can be told the nonce: this
    # page alone allows inline styles (a nonce in the list would switch 'unsafe-inline' off).
    # Its scripts stay under the nonce like every page's.
    path(
        "redoc",
        csp_replace({"style-src": [SELF, UNSAFE_INLINE]})(
            SpectacularRedocView.as_view(url_name="api:schema")
        ),
        name="redoc",
    ),
    # Anything else under /api/ is a 404 in the envelope, also with DEBUG on.
    re_path(r"^.*$", api_not_found, name="not-found"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("oauth/", include((oauth_patterns, "oauth2_provider"), namespace="oauth2_provider")),
    # The second seed's surface, before /api/'s catch-all 404 (docs/api.md).
    path("api/v1/portfolio/", include("v1.urls")),
    path("api/", include((api_patterns, "api"), namespace="api")),
    path("", include("users.urls")),
    path("", include("dashboard.urls")),
]
