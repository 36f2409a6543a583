"""The API throttles on Redis: a sliding log taken in one atomic round trip (core/throttling.py).
The rules themselves (per user, per address, 429 envelope) are tests/api/test_throttling.py, which
runs on whichever cache the settings name; these tests always run on Redis."""

from __future__ import annotations

import threading
import uuid

import pytest
import redis
from django.core.cache import cache

from core.throttling import RateThrottle
from tests.api.conftest import fail, ok
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def redis_cache(settings, redis_url):
    """The production cache: Redis with the database table behind it; keys of this test's own."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "core.cache.FallbackCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"throttle-{uuid.uuid4().hex[:12]}",
        },
    }
    settings.API_THROTTLE_USER_RATE = "30/minute"
    settings.API_THROTTLE_ANON_RATE = "10/minute"


def test_a_user_over_the_rate_gets_429_with_the_seconds_until_a_slot_frees(alice, bob):
    api = client_for(alice)
    for _ in range(30):
        ok(api.get("/api/user"))

    refused = api.get("/api/portfolios")

    fail(refused, 429)
    # the 30 requests just went: the oldest leaves the 60-second window in about a minute
    assert 55 <= int(refused["Retry-After"]) <= 60
    ok(client_for(bob).get("/api/user"))


def test_the_window_lives_in_redis_under_the_cache_prefix(alice, redis_url):
    ok(client_for(alice).get("/api/user"))

    keys = redis.Redis.from_url(redis_url).keys(f"{cache.key_prefix}:*throttle:*")

    assert len(keys) == 1
    assert f"api-user_{alice.pk}".encode() in keys[0]


def test_processes_racing_for_the_last_slots_take_exactly_the_rate(settings):
    # Given a limit of 30 a minute and 6 callers (threads: one cache connection each, as
    # separate processes would have) sending 10 requests each at the same time
    settings.RESET_MAIL_RATE = "30/minute"
    ident = uuid.uuid4().hex
    allowed: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def caller() -> None:
        start.wait()
        for _ in range(10):
            taken = RateThrottle("reset-mail", "RESET_MAIL_RATE").allow(ident)
            with lock:
                allowed.append(taken)

    threads = [threading.Thread(target=caller) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then exactly 30 went through: taking a slot is one atomic step, so no two callers can
    # both read "29 taken" and both go
    assert allowed.count(True) == 30
    assert allowed.count(False) == 30
    refused = RateThrottle("reset-mail", "RESET_MAIL_RATE")
    assert refused.allow(ident) is False
    assert 55 <= refused.retry_after() <= 60


def test_a_redis_that_stops_answering_lets_requests_through(alice, settings):
    # Given the plain Redis cache (no database table behind it) on a port nobody listens on
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "core.cache.SharedClientRedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        },
    }
    api = client_for(alice)

    # then the API keeps answering past the rate instead of failing with the counter store
    for _ in range(31):
        ok(api.get("/api/user"))
