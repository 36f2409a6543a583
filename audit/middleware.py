"""Writes an ``AuditEvent`` for every request that asks to change something, once it has been
answered (whatever the answer: a refused or failed attempt is worth knowing about too)."""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any
from urllib.parse import unquote, urlsplit

from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, ResolverMatch, resolve
from oauth2_provider.models import AccessToken, Application

from audit.models import AuditEvent
from users.models import ApiKey

logger = logging.getLogger(__name__)

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The OAuth2 endpoints a client calls with its client id (in the body or in Basic auth).
OAUTH_CLIENT_VIEWS = frozenset(
    {
        "oauth2_provider:authorize",
        "oauth2_provider:token",
        "oauth2_provider:revoke-token",
        "oauth2_provider:introspect",
    }
)
# Routes whose object is named ``pk``: what kind of object it is.
PK_OBJECT_TYPES = {
    "oauth2_provider:detail": "application",
    "oauth2_provider:update": "application",
    "oauth2_provider:delete": "application",
    "oauth2_provider:authorized-token-delete": "access_token",
}


class AuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method not in MUTATING:
            return self.get_response(request)
        # Who was signed in before the view ran: signing out must still name who did it.
        user_before = _authenticated(getattr(request, "user", None))
        response = self.get_response(request)
        try:
            AuditEvent.objects.create(**describe(request, response, user_before))
        except Exception:
            # The change itself is done (or refused) and answered; failing the answer now would
            # tell the client it was not. The failure is logged under the request's id.
            logger.exception("audit row not written for %s %s", request.method, request.path_info)
        return response


def _authenticated(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def describe(request: HttpRequest, response: HttpResponseBase, user_before: Any) -> dict[str, Any]:
    """The audit row's fields for ``request`` answered with ``response``."""
    match: ResolverMatch | None = getattr(request, "resolver_match", None)
    view_name = match.view_name if match else ""
    user = _authenticated(getattr(request, "user", None)) or user_before
    auth = getattr(request, "auth", None)  # set by DRF on the Django request
    fields: dict[str, Any] = {
        "request_id": getattr(request, "request_id", "")[:64],
        "method": request.method,
        "route": (match.route if match else "")[:255],
        "view_name": (view_name or "")[:120],
        "status": response.status_code,
        "ip": request.META.get("REMOTE_ADDR") or None,
        "user": user,
        "user_label": user.get_username()[:254] if user else "",
        "credential": AuditEvent.Credential.SESSION if user else AuditEvent.Credential.NONE,
    }
    application: Application | None = None
    if isinstance(auth, AccessToken):
        fields["credential"] = AuditEvent.Credential.OAUTH
        application = auth.application
    elif isinstance(auth, ApiKey):
        fields["credential"] = AuditEvent.Credential.API_KEY
        fields["api_key"] = auth
        fields["api_key_label"] = str(auth)[:140]
    elif view_name in OAUTH_CLIENT_VIEWS:
        application = _client_application(request)
    if application is not None:
        fields["application"] = application
        fields["application_label"] = f"{application.name} ({application.client_id})"[:300]
    object_type, object_id = _target(match, response) if match else ("", "")
    fields["object_type"], fields["object_id"] = object_type[:40], object_id[:40]
    return fields


def _client_application(request: HttpRequest) -> Application | None:
    """The application an OAuth2 endpoint was called for, from its client id (never the
    secret): the ``client_id`` field, or the user part of HTTP Basic credentials."""
    client_id = request.POST.get("client_id", "") if request.method == "POST" else ""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not client_id and header[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        client_id = unquote(decoded.partition(":")[0])
    if not client_id or len(client_id) > 100:
        return None
    return Application.objects.filter(client_id=client_id).first()


def _target(match: ResolverMatch, response: HttpResponseBase) -> tuple[str, str]:
    """The object a request acted on: the one it created (an API answer's ``id``, or the page a
    dashboard form redirected to), else the innermost object its URL names."""
    name = match.url_name or ""
    if match.namespace == "admin":
        # Django admin: ``<app>_<model>_<action>`` with the object as ``object_id``.
        parts = name.rsplit("_", 2)
        object_id = str(match.kwargs.get("object_id", ""))
        return (f"{parts[0]}.{parts[1]}" if len(parts) == 3 else name, object_id)
    created = _created(match, response)
    if created is not None:
        return created
    return _named_object(match)


def _named_object(match: ResolverMatch) -> tuple[str, str]:
    found = ("", "")
    for key, value in match.kwargs.items():
        if key.endswith("_id"):
            found = (key[: -len("_id")], str(value))
        elif key == "pk":
            found = (PK_OBJECT_TYPES.get(match.view_name, match.url_name or "object"), str(value))
    return found


def _kind(url_name: str) -> str:
    """``portfolio-list`` → ``portfolio``, ``address-new`` → ``address``."""
    for suffix in ("-list", "-new", "-detail"):
        if url_name.endswith(suffix):
            return url_name[: -len(suffix)].replace("-", "_")
    return ""


def _created(match: ResolverMatch, response: HttpResponseBase) -> tuple[str, str] | None:
    kind = _kind(match.url_name or "")
    if not kind:
        return None
    if response.status_code == 201:
        data = getattr(response, "data", None)
        data = getattr(data, "result", data)  # core.envelope.Envelope
        if isinstance(data, dict) and data.get("id") is not None:
            return kind, str(data["id"])
        return None
    location = response.headers.get("Location") if 300 <= response.status_code < 400 else None
    if not location:
        return None
    try:
        target = resolve(urlsplit(location).path)
    except Resolver404:
        return None
    value = target.kwargs.get(f"{kind}_id")
    return (kind, str(value)) if value is not None else None
