"""django-oauth-toolkit policy: PKCE for public clients, the password grant only for users who
switched on ``allow_remote_login``."""

from __future__ import annotations

from oauth2_provider.models import get_application_model
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.oauth2_validators import OAuth2Validator


def pkce_required(client_id: str) -> bool:
    """PKCE is required for public clients and optional for confidential ones."""
    application = (
        get_application_model().objects.filter(client_id=client_id).only("client_type").first()
    )
    return application is None or application.client_type == application.CLIENT_PUBLIC


class TrackerOAuth2Validator(OAuth2Validator):
    def is_pkce_required(self, client_id, request):
        # Applied here, not through the PKCE_REQUIRED setting: django-oauth-toolkit does not
        # import a dotted path there, and a plain string is not ``True`` to oauthlib, which then
        # never asked any client for PKCE.
        return pkce_required(client_id)

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        # Any confidential application may use the password grant; whether it works is the
        # user's choice (allow_remote_login), checked in validate_user.
        if grant_type == "password":
            return request.client.client_type == request.client.CLIENT_CONFIDENTIAL
        return super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs)

    def validate_user(self, username, password, client, request, *args, **kwargs):
        if not super().validate_user(username, password, client, request, *args, **kwargs):
            return False
        return bool(getattr(request.user, "allow_remote_login", False))


class TrackerOAuthLibCore(OAuthLibCore):
    """Our form parsers turn bracket-notation bodies into nested dicts (not QueryDicts); oauthlib
    only needs the flat string fields of a body (e.g. ``access_token``), so hand it those."""

    def extract_body(self, request):
        post = request.POST
        if hasattr(post, "lists"):
            return super().extract_body(request)
        return [(key, value) for key, value in post.items() if isinstance(value, str)]
