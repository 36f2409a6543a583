"""core.ratelimit: the shared per-provider budget, against the real Redis on 127.0.0.1:6379 and
against Django caches (in-memory with a fake clock, and the project's database cache)."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import redis
from django.core.cache.backends.locmem import LocMemCache

from core.exceptions import ProviderError
from core.ratelimit import (
    CacheRateLimiter,
    LocalRateLimiter,
    RedisRateLimiter,
    default_rate_limiter,
)

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_prefix():
    """A key prefix of its own per test; every key under it is deleted afterwards."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"test-ratelimit:{uuid.uuid4().hex}:"
    yield prefix
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


def redis_limiter(prefix: str, limit: int, per: float, **kwargs) -> RedisRateLimiter:
    # A client of its own per limiter, as two worker processes would have.
    return RedisRateLimiter(
        redis.Redis.from_url(REDIS_URL), "esplora-btc", limit, per, key_prefix=prefix, **kwargs
    )


def test_redis_the_call_past_the_budget_waits_for_the_window(redis_prefix):
    limiter = redis_limiter(redis_prefix, 3, 0.4)

    started = time.monotonic()
    times = []
    for _ in range(4):
        limiter.acquire()
        times.append(time.monotonic() - started)

    assert times[2] < 0.2  # the first three go at once
    assert times[3] >= 0.38  # the fourth waits until the first leaves the window


def test_redis_two_limiters_share_one_budget(redis_prefix):
    # Given two "processes" with their own connections and the same provider
    first = redis_limiter(redis_prefix, 3, 0.5)
    second = redis_limiter(redis_prefix, 3, 0.5)

    # When the first spends two and the second one, the budget is gone for both
    started = time.monotonic()
    first.acquire()
    first.acquire()
    second.acquire()
    assert time.monotonic() - started < 0.2
    second.acquire()

    # Then the second had to wait for the window
    assert time.monotonic() - started >= 0.45


def test_redis_never_more_than_the_limit_in_any_window_across_threads(redis_prefix):
    limit, per = 3, 0.3
    granted: list[float] = []
    lock = threading.Lock()

    def worker():
        limiter = redis_limiter(redis_prefix, limit, per)
        for _ in range(3):
            limiter.acquire()
            with lock:
                granted.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    granted.sort()
    assert len(granted) == 9
    for i in range(len(granted) - limit):
        # the (i+limit)-th grant comes a whole window after the i-th (a little slack for clocks)
        assert granted[i + limit] - granted[i] >= per - 0.02


def test_redis_a_wait_longer_than_max_wait_raises_retryable(redis_prefix):
    limiter = redis_limiter(redis_prefix, 1, 30, max_wait=1.0)
    limiter.acquire()

    with pytest.raises(ProviderError) as caught:
        limiter.acquire()

    assert caught.value.retryable is True
    assert 29 <= caught.value.retry_after <= 30


@pytest.mark.django_db
def test_redis_down_counts_in_the_database_cache_and_still_limits():
    # Given a limiter whose Redis does not answer (the project's cache is the database table),
    # on a clock that stays inside one window of the fallback
    from core.ratelimit import _redis_client

    client = _redis_client("redis://127.0.0.1:1/0")
    clock = FakeClock(now=1_700_000_010.0)  # the window is [1_699_999_980, 1_700_000_040)
    limiter = RedisRateLimiter(
        client, f"coingecko-{uuid.uuid4().hex}", 2, 60, max_wait=0.5, clock=clock
    )

    # when three requests ask within one window
    limiter.acquire()
    limiter.acquire()
    with pytest.raises(ProviderError) as caught:
        limiter.acquire()

    # then the first two went (no outage error) and the third is refused for the window
    assert caught.value.retryable is True
    assert "rate limit of 2 per 60 s" in str(caught.value)
    assert caught.value.retry_after == pytest.approx(30.0)  # until the window ends


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_cache_limiter_waits_for_the_next_window_and_is_shared():
    cache = LocMemCache(f"ratelimit-{uuid.uuid4().hex}", {})
    clock = FakeClock(1_700_000_000.25)
    first = CacheRateLimiter(cache, "coingecko", 2, 1.0, clock=clock, sleep=clock.sleep)
    second = CacheRateLimiter(cache, "coingecko", 2, 1.0, clock=clock, sleep=clock.sleep)

    first.acquire()
    second.acquire()
    assert clock.slept == []

    first.acquire()  # third in the same window: waits to its end (0.75 s + a little jitter)
    assert len(clock.slept) == 1 and 0.75 <= clock.slept[0] <= 0.8
    second.acquire()  # shares the new window with the call above
    assert len(clock.slept) == 1
    second.acquire()
    assert len(clock.slept) == 2


def test_cache_limiter_providers_do_not_share():
    cache = LocMemCache(f"ratelimit-{uuid.uuid4().hex}", {})
    clock = FakeClock()
    a = CacheRateLimiter(cache, "etherscan", 1, 1.0, clock=clock, sleep=clock.sleep)
    b = CacheRateLimiter(cache, "coingecko", 1, 1.0, clock=clock, sleep=clock.sleep)
    a.acquire()
    b.acquire()
    assert clock.slept == []


@pytest.mark.django_db
def test_cache_limiter_on_the_project_database_cache(settings):
    from django.core.cache import caches
    from django.core.cache.backends.db import DatabaseCache

    cache = caches["default"]
    if not isinstance(cache, DatabaseCache):
        pytest.skip("the default cache is not the database cache here (REDIS_URL set)")
    clock = FakeClock()
    limiter = CacheRateLimiter(
        cache, f"p-{uuid.uuid4().hex[:8]}", 2, 10.0, clock=clock, sleep=clock.sleep
    )
    limiter.acquire()
    limiter.acquire()
    limiter.acquire()
    assert len(clock.slept) == 1


def test_local_limiter_spaces_calls():
    clock = FakeClock()
    limiter = LocalRateLimiter(f"local-{uuid.uuid4().hex}", 2, 1.0, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        limiter.acquire()
    assert len(clock.slept) == 1 and 1.0 <= clock.slept[0] <= 1.03


def test_default_limiter_is_redis_when_redis_url_is_set(settings):
    settings.REDIS_URL = REDIS_URL
    assert isinstance(default_rate_limiter("esplora-btc", 5, 1.0), RedisRateLimiter)


def test_default_limiter_is_the_django_cache_without_redis(settings):
    from django.core.cache import cache

    settings.REDIS_URL = ""
    limiter = default_rate_limiter("esplora-btc", 5, 1.0)
    assert isinstance(limiter, CacheRateLimiter)
    assert limiter.cache is cache
