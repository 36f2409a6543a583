"""The shared cache: Redis while it answers, the database cache table while it does not.

Flags ("already queued"), the last price attempt, the worker heartbeat and the rate limiter's
fallback all live in the cache. With Redis down a plain ``RedisCache`` raises on every call and
every page that reads a flag answers 500; ``FallbackCache`` answers from the database cache
table instead (the one the embedded setup uses), so reads of stored data keep working through a
Redis outage. What was written to the table during the outage is not copied back: every value
kept here is a short-lived hint that the next task or request writes again.

After a Redis error the cache does not ask Redis again for ``RETRY_SECONDS`` (a per-process
pause, so that each request does not wait for a connection refused or a timeout); it is a
memo of this process's last attempt, not shared state: the data stays in Redis or the table.

Configured in ``config/settings.py``::

    CACHES = {"default": {"BACKEND": "core.cache.FallbackCache", "LOCATION": REDIS_URL,
                          "OPTIONS": {"FALLBACK_TABLE": "cache_table", ...redis options}}}
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5.0
# Redis and socket failures; anything else (a bug, a value that does not pickle) still raises.
REDIS_ERRORS: tuple[type[BaseException], ...] = (redis.RedisError, OSError)

_lock = threading.Lock()
_down_until: dict[str, float] = {}


def quick_retry() -> Retry:
    """One immediate retry (a pooled connection Redis closed since, after a restart) and no
    backoff: a client redis-py makes from a URL retries a refused connection with backoff for
    about three seconds, which every rate-limited call would wait through while Redis is down."""
    return Retry(NoBackoff(), 1)


class _ReusingClient(RedisCacheClient):
    """Django's client makes a new ``redis.Redis`` for every call (its ``__init__`` costs about
    0.15 ms of Python: callbacks, retry, locks), three per API request; one per connection pool
    serves every call (``redis.Redis`` is safe to share over its pool)."""

    # Django's own (private, so the stubs do not declare it): the pool of a read or a write.
    _get_connection_pool: Callable[[bool], Any]
    _client: Callable[..., Any]

    def __init__(self, servers: Any, **options: Any):
        super().__init__(servers, **options)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class SharedClientRedisCache(RedisCache):
    """Django's Redis cache with one client per pool and ``quick_retry`` (unless the options
    name a ``retry`` of their own)."""

    def __init__(self, server: Any, params: dict[str, Any]):
        options = {"retry": quick_retry(), **(params.get("OPTIONS") or {})}
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = _ReusingClient


class FallbackCache(BaseCache):
    def __init__(self, server: str, params: dict[str, Any]):
        super().__init__(params)
        options = dict(params.get("OPTIONS") or {})
        table = options.pop("FALLBACK_TABLE", "cache_table")
        self.location = server
        self.primary = SharedClientRedisCache(server, {**params, "OPTIONS": options})
        # Same key prefix, version and default timeout as the Redis side.
        self.fallback = DatabaseCache(table, {**params, "OPTIONS": {}})

    @property
    def _cache(self) -> Any:
        """The Redis client wrapper (as ``RedisCache._cache``), for code that scans keys."""
        return self.primary._cache

    def degraded(self) -> bool:
        """True while this process answers from the database table (Redis failed lately)."""
        with _lock:
            return _down_until.get(self.location, 0.0) > time.monotonic()

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if not self.degraded():
            try:
                return getattr(self.primary, name)(*args, **kwargs)
            except REDIS_ERRORS as exc:
                with _lock:
                    was_up = _down_until.get(self.location, 0.0) <= time.monotonic()
                    _down_until[self.location] = time.monotonic() + RETRY_SECONDS
                if was_up:
                    logger.warning("cache: Redis failed (%s); using the database cache", exc)
        return getattr(self.fallback, name)(*args, **kwargs)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call("get", key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", key, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", key, version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", keys, version)

    def clear(self):
        return self._call("clear")

    def close(self, **kwargs):
        self.primary.close(**kwargs)
        self.fallback.close(**kwargs)


def cache_degraded() -> bool:
    """Whether the default cache answers from its database table in this process (Redis failed
    within the last few seconds). False for a cache without a fallback."""
    from django.core.cache import caches

    check: Callable[[], bool] | None = getattr(caches["default"], "degraded", None)
    return bool(check and check())
