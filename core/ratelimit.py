"""Rate limits for outbound HTTP, shared by every worker process.

One limiter guards one provider (``esplora-btc``, ``coingecko``, ...): at most ``limit`` requests
in any ``per_seconds``. When the budget is spent, ``acquire()`` sleeps until a slot frees rather
than failing; only when the wait would push the total past ``max_wait`` seconds does it raise
``ProviderError(retryable=True, retry_after=...)`` so that a Celery task retries later instead of
holding a worker.

Backends, chosen by :func:`default_rate_limiter`:

- ``RedisRateLimiter`` (``settings.REDIS_URL`` set): a sliding log in a sorted set, updated by one
  Lua script, so check-and-take is atomic across processes and hosts. Time comes from Redis
  (``TIME``), so workers with skewed clocks still agree. Strict: never more than ``limit`` in any
  window of ``per_seconds``, which is what providers such as CoinGecko count.
- ``CacheRateLimiter`` (no Redis; the Django cache, a database cache in this project): a fixed
  window of ``limit`` numbered slots claimed with ``cache.add`` (an INSERT on a unique key, so two
  processes cannot claim the same slot; ``incr`` on the database cache is a read then a write and
  would not be atomic). A fixed window can let up to ``2 * limit`` through around a window edge;
  acceptable for the embedded single-user setup.
- ``LocalRateLimiter``: one process only, for scripts and tests without Django.

When Redis fails, ``RedisRateLimiter`` counts in the Django cache instead (a fixed window, as
``CacheRateLimiter``; the project's cache then answers from its database table, see
``core/cache.py``), so a task already running keeps its limit through a Redis outage. If that
store fails too the limiter raises a retryable ``ProviderError`` (fail closed): going on without
a limit would risk a ban from the provider.
"""

from __future__ import annotations

import logging
import math
import os
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from core.exceptions import ProviderError

logger = logging.getLogger(__name__)

DEFAULT_MAX_WAIT_SECONDS = 60.0
KEY_PREFIX = "ratelimit:"


class RateLimiter(Protocol):
    def acquire(self) -> None:
        """Block until one request may be sent (or raise a retryable ProviderError)."""


class NoRateLimit:
    """For tests and one-off scripts that must not touch a shared store."""

    def acquire(self) -> None:
        return None


class _WaitingLimiter:
    """Shared waiting loop: subclasses implement ``_try()`` returning 0 when a slot was taken,
    else the seconds until one may free."""

    def __init__(
        self,
        provider: str,
        limit: int,
        per_seconds: float,
        *,
        max_wait: float = DEFAULT_MAX_WAIT_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if limit < 1 or per_seconds <= 0:
            raise ValueError("a rate limit needs limit >= 1 and per_seconds > 0")
        self.provider = provider
        self.limit = int(limit)
        self.per_seconds = float(per_seconds)
        self.max_wait = max_wait
        self.sleep = sleep
        self._random = random.Random()

    def _try(self) -> float:
        raise NotImplementedError

    def try_acquire(self) -> float:
        """Take one slot now if one is free (0.0), else the seconds until one frees; never
        waits (an inbound throttle answers 429 instead)."""
        return max(self._try(), 0.0)

    def acquire(self) -> None:
        waited = 0.0
        while True:
            wait = self._try()
            if wait <= 0:
                return
            if waited + wait > self.max_wait:
                raise ProviderError(
                    f"{self.provider}: rate limit of {self.limit} per {self.per_seconds:g} s is "
                    f"exhausted; try again in {wait:.1f} s",
                    retryable=True,
                    retry_after=wait,
                )
            # A little jitter so that waiters woken together do not all hit the store at once.
            wait += self._random.uniform(0, min(0.02, wait * 0.1))
            logger.debug("rate limit for %s: waiting %.3f s", self.provider, wait)
            self.sleep(wait)
            waited += wait


# KEYS[1] = sorted set; ARGV = limit, window in microseconds, unique member.
# Returns 0 when a slot was taken, else microseconds until the oldest entry leaves the window.
_SLIDING_LOG_LUA = """
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, math.ceil(window / 1000) + 1000)
  return 0
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
local wait = tonumber(oldest[2]) + window - now
if wait < 1 then wait = 1 end
return wait
"""


class RedisRateLimiter(_WaitingLimiter):
    def __init__(
        self,
        client: Any,
        provider: str,
        limit: int,
        per_seconds: float,
        *,
        key_prefix: str = KEY_PREFIX,
        clock: Callable[[], float] = time.time,
        **kwargs: Any,
    ):
        super().__init__(provider, limit, per_seconds, **kwargs)
        self.key = f"{key_prefix}{provider}"
        self._script = client.register_script(_SLIDING_LOG_LUA)
        self.clock = clock  # the fallback's fixed window (Redis keeps its own time)

    def _try(self) -> float:
        import redis

        window_us = int(self.per_seconds * 1_000_000)
        try:
            wait_us = self._script(keys=[self.key], args=[self.limit, window_us, uuid.uuid4().hex])
        except (redis.RedisError, OSError) as exc:
            logger.warning(
                "rate limit for %s: Redis failed (%s), counting in the cache", self.provider, exc
            )
            return self._fallback()._try()
        return int(wait_us) / 1_000_000

    def _fallback(self) -> CacheRateLimiter:
        from django.core.cache import cache

        return CacheRateLimiter(
            cache,
            self.provider,
            self.limit,
            self.per_seconds,
            max_wait=self.max_wait,
            clock=self.clock,
            sleep=self.sleep,
        )


class CacheRateLimiter(_WaitingLimiter):
    """Fixed window over a Django cache; see the module docstring."""

    def __init__(
        self,
        cache: Any,
        provider: str,
        limit: int,
        per_seconds: float,
        *,
        key_prefix: str = KEY_PREFIX,
        clock: Callable[[], float] = time.time,
        **kwargs: Any,
    ):
        super().__init__(provider, limit, per_seconds, **kwargs)
        self.cache = cache
        self.key_prefix = f"{key_prefix}{provider}"
        self.clock = clock

    def _try(self) -> float:
        now = self.clock()
        window = math.floor(now / self.per_seconds)
        keys = [f"{self.key_prefix}:{window}:{slot}" for slot in range(self.limit)]
        timeout = math.ceil(self.per_seconds) + 1
        try:
            taken = self.cache.get_many(keys)
            for key in keys:
                if key not in taken and self.cache.add(key, 1, timeout=timeout):
                    return 0.0
        except Exception as exc:  # any cache backend error: database down, locked, ...
            raise ProviderError(
                f"{self.provider}: rate limiter store (cache) unavailable: {exc}", retryable=True
            )
        return max((window + 1) * self.per_seconds - now, 0.001)


class LocalRateLimiter(_WaitingLimiter):
    """Sliding log in this process only; instances with the same provider share it."""

    _logs: dict[str, deque[float]] = {}
    _lock = threading.Lock()

    def __init__(
        self,
        provider: str,
        limit: int,
        per_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        **kwargs: Any,
    ):
        super().__init__(provider, limit, per_seconds, **kwargs)
        self.clock = clock

    def _try(self) -> float:
        with self._lock:
            log = self._logs.setdefault(self.provider, deque())
            now = self.clock()
            while log and log[0] <= now - self.per_seconds:
                log.popleft()
            if len(log) < self.limit:
                log.append(now)
                return 0.0
            return max(log[0] + self.per_seconds - now, 0.001)


_redis_clients: dict[str, Any] = {}


def _redis_client(url: str) -> Any:
    client = _redis_clients.get(url)
    if client is None:
        import redis

        from core.cache import quick_retry

        client = redis.Redis.from_url(
            url, socket_timeout=5, socket_connect_timeout=5, retry=quick_retry()
        )
        _redis_clients[url] = client
    return client


def django_configured() -> bool:
    from django.conf import settings

    return settings.configured or bool(os.environ.get("DJANGO_SETTINGS_MODULE"))


def default_rate_limiter(
    provider: str, limit: int, per_seconds: float, **kwargs: Any
) -> RateLimiter:
    """Redis when ``settings.REDIS_URL`` is set, else the Django cache; without Django at all,
    a per-process limiter."""
    if not django_configured():
        return LocalRateLimiter(provider, limit, per_seconds, **kwargs)
    from django.conf import settings

    redis_url = getattr(settings, "REDIS_URL", "")
    if redis_url:
        return RedisRateLimiter(_redis_client(redis_url), provider, limit, per_seconds, **kwargs)
    from django.core.cache import cache

    return CacheRateLimiter(cache, provider, limit, per_seconds, **kwargs)
