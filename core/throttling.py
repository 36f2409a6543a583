"""Inbound request throttles (the outbound limits for explorers are core/ratelimit.py).

- API throttles (DRF): ``ApiUserRateThrottle`` counts a signed-in caller per user, over all their
  tokens and API keys; ``ApiAnonRateThrottle`` counts anonymous callers per address. A refused
  request is a 429 envelope with ``Retry-After`` (core.envelope).
- ``RateThrottle``: the same sliding window for a plain Django view (password-reset mails), keyed
  by whatever the caller names.

Each key's window lives in Redis (a sliding log, one atomic round trip) or, without Redis, in the
database cache, so every process and host counts together. Rates are read from settings on every request, so
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
from django.core.cache.backends.redis import RedisCache
from django.db import DatabaseError
from redis.exceptions import RedisError
from rest_framework.throttling import SimpleRateThrottle

from core.cache import FallbackCache
from core.exceptions import ProviderError
from core.ratelimit import RedisRateLimiter

logger = logging.getLogger(__name__)

# The throttles' sliding logs in Redis, under the cache's key prefix (a cache clear drops them).
REDIS_KEY_PREFIX = "throttle:"


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


def _redis_cache() -> RedisCache | None:
    """The shared cache's Redis side, when the cache is Redis and answers in this process."""
    from django.core.cache import caches

    cache = caches["default"]
    if isinstance(cache, FallbackCache):
        return None if cache.degraded() else cache.primary
    return cache if isinstance(cache, RedisCache) else None


class _SettingsRate(SimpleRateThrottle):
    """A DRF throttle whose rate is a Django setting, read when the throttle is made.

    On Redis the window is the outbound limiter's sliding log (``core.ratelimit``): one Lua
    script takes or refuses the slot in one round trip, atomically across processes. DRF's own
    way (read the key's list of times, append, write it back: two round trips and a pickled
    list of up to ``num_requests`` floats, and two processes can both take the last slot) is
    kept for the database cache of the embedded setup.

    If the counter store cannot be reached (Redis down) the request is let through and a warning
    logged: an outage of the counter store must not take the API down with it, and the
    credential lockout (in the database) still holds."""

    rate_setting = ""
    _refused_for: float | None = None
    # Set by DRF's __init__ from the rate (not declared by the stubs).
    num_requests: int | None
    duration: int | None

    def allow_request(self, request, view) -> bool:
        try:
            redis_cache = _redis_cache()
            if redis_cache is None:
                return super().allow_request(request, view)
            return self._allow_on_redis(redis_cache, request, view)
        except (RedisError, DatabaseError, OSError, ProviderError):
            logger.warning("throttle %s: cache unavailable, request let through", self.scope)
            return True

    def _allow_on_redis(self, redis_cache: RedisCache, request, view) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        assert self.num_requests is not None and self.duration is not None
        window = RedisRateLimiter(
            redis_cache._cache.get_client(write=True),
            redis_cache.make_key(REDIS_KEY_PREFIX + key),  # the cache's prefix and version
            self.num_requests,
            self.duration,
            key_prefix="",
        )
        wait = window.try_acquire()
        self._refused_for = wait if wait > 0 else None
        return wait <= 0

    def wait(self) -> float | None:
        if self._refused_for is not None:
            return self._refused_for
        return super().wait()

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
