"""Sign-in lockout (django-axes) and the password-reset limit: the hooks the settings name.

django-axes counts failed sign-ins in the database, per account and per address (settings,
"Throttling"). These functions tell it which account a request is about and what a locked-out
browser sees; the OAuth2 token endpoint answers its own way (core/oauth.py).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.throttling import CLIENT_ADDRESS_ATTEMPT_PREFIX, CLIENT_ATTEMPT_PREFIX, RateThrottle


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The account an attempt is about, as sign-in compares it: emails match case-insensitively
    (``UserManager.get_by_natural_key``), so ``Alice@Example.com`` counts against alice."""
    field = settings.AXES_USERNAME_FORM_FIELD
    value = credentials.get(field) if credentials else getattr(request, "POST", {}).get(field)
    if not isinstance(value, str):
        return value
    # A NUL byte cannot be stored (PostgreSQL) and never names an account; the attempt's
    # column holds 255 characters.
    return value.replace("\x00", "").strip().lower()[:255]


def lockout_parameters(request_or_attempt: Any, credentials: dict[str, Any] | None) -> list:
    """What a failure is counted against: an account's failures per account and per address;
    a client secret's under its own two names (core/oauth.py), so they never mix."""
    if credentials is not None:
        name = lockout_username(request_or_attempt, credentials)
    else:
        name = getattr(request_or_attempt, "username", None)
    if isinstance(name, str) and name.startswith(
        (CLIENT_ATTEMPT_PREFIX, CLIENT_ADDRESS_ATTEMPT_PREFIX)
    ):
        return ["username"]
    return ["username", "ip_address"]


def lockout_seconds() -> int:
    return max(1, int(settings.AXES_COOLOFF_TIME.total_seconds()))


def wait_phrase(seconds: int) -> str:
    minutes = -(-seconds // 60)
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """A locked-out browser gets the sign-in page again with 429 and ``Retry-After``; the
    message is the same whether the password was right or wrong."""
    seconds = lockout_seconds()
    form = AuthenticationForm(request, initial={"username": lockout_username(request, credentials)})
    response = render(
        request,
        "registration/login.html",
        {
            "form": form,
            "next": request.POST.get("next", ""),
            "lockout": f"Too many failed sign-in attempts. Try again in {wait_phrase(seconds)}.",
        },
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


def password_reset_throttles() -> list[RateThrottle]:
    return [
        RateThrottle("password-reset-ip", "PASSWORD_RESET_RATE_PER_IP"),
        RateThrottle("password-reset-email", "PASSWORD_RESET_RATE_PER_EMAIL"),
    ]
