"""Bearer tokens from django-oauth-toolkit, answering 401 with an RFC 6750 challenge. A token
checked once is served from the shared cache afterwards (core/tokencache.py)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from oauth2_provider.contrib.rest_framework import OAuth2Authentication

from core import tokencache


class BearerTokenAuthentication(OAuth2Authentication):
    www_authenticate_realm = "api"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.lower().startswith("bearer "):
            # No bearer credential: let the next authenticator (API keys) try.
            return None
        token = header[7:].strip()
        entry = tokencache.lookup(token) if token else None
        if entry is not None:
            user = tokencache.cached_user(entry)
            if user.is_active:
                return user, tokencache.as_access_token(entry, token, user)
            # Deactivated: the full check below answers for it.
        result = super().authenticate(request)
        if result is not None and result[0].is_active:
            tokencache.remember(result[1])
        if result is not None and not result[0].is_active:
            # django-oauth-toolkit does not look at the user: a deactivated account's tokens
            # must stop working like its API keys and its password do.
            request.oauth2_error = {
                "error": "invalid_token",
                "error_description": "The access token is invalid.",
            }
            return None
        return result

    def authenticate_header(self, request):
        error = getattr(request, "oauth2_error", {}) or {}
        parts = [f'realm="{self.www_authenticate_realm}"']
        if error.get("error"):
            parts.append(f'error="{error["error"]}"')
        if error.get("error_description"):
            description = str(error["error_description"]).replace('"', "'")
            parts.append(f'error_description="{description}"')
        return "Bearer " + ", ".join(parts)


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """How the schema names a bearer token (registered by being defined)."""

    target_class = BearerTokenAuthentication
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer"}

    def get_security_requirement(self, auto_schema):
        # A public view (``ApiView.public``) also answers without any credential: ``{}``.
        if getattr(auto_schema.view, "public", False):
            return [{self.name: []}, {}]
        return {self.name: []}
