"""django-oauth-toolkit policy: PKCE for public clients (S256 only), the password grant only for
users who switched on ``allow_remote_login``, throttled credential guessing, and the OAuth 2.1 /
RFC 9700 replay rules.

- Wrong passwords (password grant) and wrong client secrets are counted by django-axes in the
  database, per account or client id and per address (settings, "Throttling"). The failure that
  reaches the limit, and every attempt until the cool-off has passed, is answered 429 with an
  RFC 6749 body (``invalid_grant`` for a password, ``invalid_client`` for a client secret) and
  ``Retry-After``; right or wrong, the answer is the same while locked out.
- A replayed refresh token revokes its whole family (django-oauth-toolkit's reuse protection,
  switched on in settings); a replayed authorization code revokes what was issued from it
  (``UsedAuthorizationCode``).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import unquote_plus, urlsplit

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.db import router, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider import views as oauth2_views
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_refresh_token_model,
)
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2 import Server
from oauthlib.oauth2.rfc6749 import errors

from core.models import UsedAuthorizationCode
from core.throttling import CLIENT_ADDRESS_ATTEMPT_PREFIX, CLIENT_ATTEMPT_PREFIX, client_ip

# The request headers django-axes reads (and stores) for a client-secret attempt: never the
# Authorization header or the body, and not the address either (it is counted under its own
# name, CLIENT_ADDRESS_ATTEMPT_PREFIX, apart from wrong passwords).
_ATTEMPT_META = ("HTTP_USER_AGENT", "HTTP_ACCEPT")


def pkce_required(client_id: str) -> bool:
    """PKCE is required for public clients and optional for confidential ones."""
    application = (
        get_application_model().objects.filter(client_id=client_id).only("client_type").first()
    )
    return application is None or application.client_type == application.CLIENT_PUBLIC


def checksum(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def lockout_seconds() -> int:
    cool_off = get_cool_off()
    return max(1, int(cool_off.total_seconds())) if cool_off else 24 * 60 * 60


class TooManyAttempts(errors.OAuth2Error):
    """429 with a standard RFC 6749 error code and ``Retry-After``."""

    status_code = 429

    def __init__(self, error: str, request, seconds: int | None = None):
        self.error = error
        self.retry_after = seconds or lockout_seconds()
        super().__init__(
            description=f"Too many failed attempts; try again in {self.retry_after} seconds.",
            request=request,
        )

    @property
    def headers(self):
        return {"Retry-After": str(self.retry_after)}


class ReplayedCode(errors.InvalidGrantError):
    """``invalid_grant`` for a code that a concurrent request used first. Raised after oauthlib
    has stopped catching (while tokens are saved), so it brings the token endpoint's headers."""

    @property
    def headers(self):
        return {
            "Content-Type": "application/json",
            "Cache-Control": "no-store",
            "Pragma": "no-cache",
        }


def require_s256(request) -> dict:
    """An authorization request with a PKCE challenge must use S256 (OAuth 2.1; RFC 9700
    section 2.1.1). Checked when the request is validated, so the consent page is never shown
    for a request that could not succeed; django-oauth-toolkit refuses ``plain`` again when the
    code is made (COMPLIANT_BCP_RFC9700_PKCE_METHOD). A missing method means ``plain``."""
    if request.code_challenge is not None and request.code_challenge_method != "S256":
        raise errors.InvalidRequestError(
            description='Unsupported code_challenge_method; use "S256".', request=request
        )
    return {}


class TrackerServer(Server):
    def __init__(self, request_validator, *args, **kwargs):
        super().__init__(request_validator, *args, **kwargs)
        self.auth_grant.custom_validators.post_auth.append(require_s256)


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

    # --- the password grant, through django-axes ------------------------------------------

    def build_http_request(self, request) -> HttpRequest:
        # The request authenticate() sees: django-axes reads the address from it and marks it
        # locked out; keep it to read that mark afterwards.
        http_request = super().build_http_request(request)
        request.tracker_http_request = http_request
        return http_request

    def validate_user(self, username, password, client, request, *args, **kwargs):
        if "\x00" in (username or "") or "\x00" in (password or ""):
            # No account has one, and PostgreSQL refuses it in a query (psycopg 3 raises a
            # DataError, which django-oauth-toolkit's own NUL guard does not catch).
            return False
        valid = super().validate_user(username, password, client, request, *args, **kwargs)
        http_request = getattr(request, "tracker_http_request", None)
        if getattr(http_request, "axes_locked_out", False):
            raise TooManyAttempts("invalid_grant", request)
        if not valid:
            return False
        return bool(getattr(request.user, "allow_remote_login", False))

    # --- client secrets, through django-axes ----------------------------------------------

    def _claimed_client_id(self, request) -> str:
        auth = self._extract_basic_auth(request)
        if auth:
            try:
                decoded = base64.b64decode(auth).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                return ""
            return unquote_plus(decoded.split(":", 1)[0])
        return getattr(request, "client_id", None) or ""

    def _attempt_request(self, request) -> HttpRequest:
        http_request = HttpRequest()
        http_request.method = request.http_method
        http_request.path = http_request.path_info = urlsplit(request.uri).path
        headers = request.headers or {}
        http_request.META = {key: headers[key] for key in _ATTEMPT_META if key in headers}
        http_request.META["PATH_INFO"] = http_request.path
        return http_request

    def validate_client_id(self, client_id, request, *args, **kwargs):
        if "\x00" in (client_id or ""):
            return False  # see validate_user
        return super().validate_client_id(client_id, request, *args, **kwargs)

    def authenticate_client_id(self, client_id, request, *args, **kwargs):
        if "\x00" in (client_id or ""):
            return False
        return super().authenticate_client_id(client_id, request, *args, **kwargs)

    def authenticate_client(self, request, *args, **kwargs):
        client_id = self._claimed_client_id(request)
        if "\x00" in client_id or "\x00" in (getattr(request, "client_id", None) or ""):
            return False  # see validate_user
        client_id = client_id[:200]
        if not client_id or not settings.AXES_ENABLED:
            return super().authenticate_client(request, *args, **kwargs)
        field = settings.AXES_USERNAME_FORM_FIELD
        counters = [{field: f"{CLIENT_ATTEMPT_PREFIX}{client_id}"}]
        address = client_ip(SimpleNamespace(META=request.headers or {}))
        if address:
            counters.append({field: f"{CLIENT_ADDRESS_ATTEMPT_PREFIX}{address}"})
        attempt = self._attempt_request(request)
        allowed = all(AxesProxyHandler.is_allowed(attempt, c) for c in counters)
        if allowed and super().authenticate_client(request, *args, **kwargs):
            return True
        for credentials in counters:
            AxesProxyHandler.user_login_failed(
                sender=type(self), credentials=credentials, request=attempt
            )
        if getattr(attempt, "axes_locked_out", False):
            raise TooManyAttempts("invalid_client", request)
        return False

    # --- authorization codes: used once, a replay revokes what they gave ---------------------

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        if super().validate_code(client_id, code, client, request, *args, **kwargs):
            return True
        revoke_issued_from_code(code, client)
        return False

    def save_bearer_token(self, token, request, *args, **kwargs):
        if request.grant_type != "authorization_code":
            return super().save_bearer_token(token, request, *args, **kwargs)
        grant_model = get_grant_model()
        replayed = False
        with transaction.atomic(using=router.db_for_write(grant_model)):
            # Claim the code: of two requests racing with one code, the second waits here and
            # finds it gone, which makes it a replay.
            grant = (
                grant_model.objects.select_for_update()
                .filter(code=request.code, application=request.client)
                .first()
            )
            if grant is None:
                replayed = True
            else:
                saved = super().save_bearer_token(token, request, *args, **kwargs)
                remember_used_code(request.code, request.client, token)
                grant.delete()
        if replayed:
            # Outside the transaction: the revocation must stay although the request fails.
            revoke_issued_from_code(request.code, request.client)
            raise ReplayedCode(request=request)
        return saved

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs):
        # save_bearer_token deleted the code in the transaction that stored the tokens.
        get_grant_model().objects.filter(code=code, application=request.client).delete()


def remember_used_code(code: str, application, token: dict) -> None:
    family = None
    if token.get("refresh_token"):
        family = (
            get_refresh_token_model()
            .objects.filter(token_checksum=checksum(token["refresh_token"]))
            .values_list("token_family", flat=True)
            .first()
        )
    UsedAuthorizationCode.objects.create(
        code_checksum=checksum(code),
        application_id=application.pk,
        token_family=family,
        access_token_checksum=checksum(token["access_token"]),
    )
    retention = timedelta(seconds=settings.OAUTH_USED_CODE_RETENTION_SECONDS)
    UsedAuthorizationCode.objects.filter(created_at__lt=timezone.now() - retention).delete()


def revoke_issued_from_code(code: str, application) -> bool:
    """When ``code`` was exchanged before, revoke every token descended from that exchange:
    the refresh token's family (each token refreshed from it) and the first access token."""
    if application is None:
        return False
    used = UsedAuthorizationCode.objects.filter(
        code_checksum=checksum(code), application_id=application.pk
    ).first()
    if used is None:
        return False
    get_refresh_token_model().revoke_family(used.token_family)
    for access_token in get_access_token_model().objects.filter(
        token_checksum=used.access_token_checksum
    ):
        access_token.revoke()
    return True


class TrackerOAuthLibCore(OAuthLibCore):
    """Our form parsers turn bracket-notation bodies into nested dicts (not QueryDicts); oauthlib
    only needs the flat string fields of a body (e.g. ``access_token``), so hand it those."""

    def extract_body(self, request):
        post = request.POST
        if hasattr(post, "lists"):
            return super().extract_body(request)
        return [(key, value) for key, value in post.items() if isinstance(value, str)]


def token_error_response(error: errors.OAuth2Error) -> HttpResponse:
    """An oauthlib error as the token endpoint answers it, for views that let it escape."""
    response = HttpResponse(error.json, status=error.status_code, content_type="application/json")
    response["Cache-Control"] = "no-store"
    for key, value in error.headers.items():
        response[key] = value
    return response


@method_decorator(csrf_exempt, name="dispatch")
class IntrospectTokenView(oauth2_views.IntrospectTokenView):
    """/oauth/introspect authenticates its caller outside oauthlib's error handling: a
    locked-out client is answered 429 here instead of a server error."""

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except TooManyAttempts as error:
            return token_error_response(error)


class TokenView(oauth2_views.TokenView):
    """/oauth/token. When a code is exchanged twice at the same moment, the second request
    revokes what the first was issued (a replay) in the instant before the first answers;
    django-oauth-toolkit then fails looking the token up again. The first is answered
    ``invalid_grant`` instead of a server error: the tokens it would have carried are dead."""

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except get_access_token_model().DoesNotExist:
            return token_error_response(ReplayedCode())
