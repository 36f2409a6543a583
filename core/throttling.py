"""Inbound request throttles (the outbound limits for explorers are core/ratelimit.py).

- API throttles (DRF): ``ApiUserRateThrottle`` counts a signed-in caller per user, over all their
  tokens and API keys; ``ApiAnonRateThrottle`` counts anonymous callers per address. A refused
  request is a 429 envelope with ``Retry-After`` (core.envelope).
- ``RateThrottle``: the same sliding window for a plain Django view (password-reset mails), keyed
  by whatever the caller names.

The history of each key lives in the Django cache (Redis, or the database cache without Redis),
so every process and host counts together. Rates are read from settings on every request, so
``settings.API_THROTTLE_USER_RATE`` can change without a restart of the class attribute.

Credential guessing (passwords, client secrets) is counted by django-axes in the database; see
users/throttling.py and core/oauth.py.
"""

from __future__ import annotations

import ipaddress
import logging
import math
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from redis.exceptions import RedisError
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)


def client_ip(request: Any) -> str | None:
    """The caller's address: the socket's, or with ``TRUSTED_PROXY_COUNT`` proxies in front the
    address the outermost trusted proxy saw, read from X-Forwarded-For as DRF's ``NUM_PROXIES``
    does. Anything that is not an IP address (a forged or broken header) falls back to the
    socket's address. Takes anything with a Django-style ``META`` (a Django or DRF request, or
    the request django-oauth-toolkit builds for ``authenticate()``)."""
    meta = request.META
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies:
        forwarded = [a.strip() for a in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
        forwarded = [a for a in forwarded if a]
        if forwarded:
            candidate = forwarded[-min(proxies, len(forwarded))]
            if _is_ip(candidate):
                return candidate
    remote = meta.get("REMOTE_ADDR")
    return remote if remote and _is_ip(remote) else None


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


# What client-secret failures are counted under in django-axes, beside accounts: one counter per
# client id and one per address. (An email address cannot contain a colon, so these never name
# an account; and the address counter is kept apart from the one for wrong passwords, so that a
# client whose secret is right is never blamed for its users' typos.)
CLIENT_ATTEMPT_PREFIX = "oauth-client:"
CLIENT_ADDRESS_ATTEMPT_PREFIX = "oauth-client-ip:"


def retry_after_seconds(wait: float | None) -> int:
    """A ``Retry-After`` value: whole seconds, rounded up, at least 1."""
    return max(1, math.ceil(wait or 0))


class _SettingsRate(SimpleRateThrottle):
    """A DRF throttle whose rate is a Django setting, read when the throttle is made.

    If the cache cannot be reached (Redis down) the request is let through and a warning
    logged: an outage of the counter store must not take the API down with it, and the
    credential lockout (in the database) still holds."""

    rate_setting = ""

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except (RedisError, DatabaseError, OSError):
            logger.warning("throttle %s: cache unavailable, request let through", self.scope)
            return True

    def get_rate(self) -> str | None:
        return getattr(settings, self.rate_setting, None)

    def get_ident(self, request) -> str:
        return client_ip(request) or "unknown"


class ApiUserRateThrottle(_SettingsRate):
    scope = "api-user"
    rate_setting = "API_THROTTLE_USER_RATE"

    def get_cache_key(self, request, view) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None  # ApiAnonRateThrottle counts it
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class ApiAnonRateThrottle(_SettingsRate):
    scope = "api-anon"
    rate_setting = "API_THROTTLE_ANON_RATE"

    def get_cache_key(self, request, view) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class RateThrottle(_SettingsRate):
    """A sliding-window limit for a plain Django view: ``allow(ident)`` takes one request for
    ``ident`` (an address, an email address) or answers False; then ``retry_after()`` says
    when the next one may come."""

    def __init__(self, scope: str, rate_setting: str):
        self.scope = scope
        self.rate_setting = rate_setting
        super().__init__()

    def allow(self, ident: str) -> bool:
        self.ident = ident
        return self.allow_request(None, None)  # no request: the key comes from ident

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.ident}

    def retry_after(self) -> int:
        return retry_after_seconds(self.wait())
