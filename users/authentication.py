"""Personal API keys: header ``X-API-KEY`` (recommended) or query ``?api_key=``."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from users.services import api_key_authenticate


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        key = request.META.get("HTTP_X_API_KEY") or request.query_params.get("api_key")
        if not key:
            return None
        api_key = api_key_authenticate(key=key)
        if api_key is None:
            raise AuthenticationFailed("invalid API key")
        return api_key.user, api_key

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """How the schema names a personal API key (registered by being defined). The key may also
    come as ``?api_key=``; the header is the recommended form."""

    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-API-KEY"}
