"""core.cache.FallbackCache: with its Redis not answering, the cache answers from the database
cache table (flags, last attempts and heartbeats keep working), and Redis is asked again once
the pause after a failure is over."""

from __future__ import annotations

import socket
import threading

import pytest
import redis

from core import cache as fallback_module
from core.cache import FallbackCache, SharedClientRedisCache
from core.ratelimit import _redis_client

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nothing listens


@pytest.fixture
def down_cache():
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    cache = FallbackCache(
        url,
        {
            "KEY_PREFIX": "test-fallback",
            "OPTIONS": {"FALLBACK_TABLE": "cache_table", "socket_connect_timeout": 0.2},
        },
    )
    yield cache
    fallback_module._down_until.pop(url, None)


def test_with_redis_down_every_operation_answers_from_the_table(down_cache):
    assert down_cache.add("flag", "queued", 60) is True
    assert down_cache.add("flag", "again", 60) is False
    assert down_cache.get("flag") == "queued"
    down_cache.set_many({"a": 1, "b": 2}, 60)
    assert down_cache.get_many(["a", "b", "c"]) == {"a": 1, "b": 2}
    assert down_cache.delete("flag") is True
    assert down_cache.get("flag", "gone") == "gone"
    assert down_cache.degraded() is True


def test_redis_is_asked_again_after_the_pause(down_cache, monkeypatch):
    down_cache.get("anything")
    assert down_cache.degraded() is True

    monkeypatch.setattr(fallback_module, "RETRY_SECONDS", 0.0)
    fallback_module._down_until[down_cache.location] = 0.0

    assert down_cache.degraded() is False
    assert down_cache.get("anything", "default") == "default"  # Redis tried, still down


@pytest.mark.parametrize(
    "client_for",
    [
        pytest.param(lambda url: SharedClientRedisCache(url, {})._cache.get_client(), id="cache"),
        pytest.param(_redis_client, id="rate-limiter"),
    ],
)
def test_a_failing_redis_is_retried_once_without_backoff(client_for):
    # Given a "Redis" that accepts each connection and hangs up at once, counting them
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[int] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            accepted.append(1)
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    client = client_for(f"redis://127.0.0.1:{server.getsockname()[1]}/0")

    # when the project's client sends a command
    with pytest.raises(redis.ConnectionError):
        client.get("x")
    server.close()

    # then it tried once and retried once, at once: a connection Redis closed since (a restart)
    # is replaced without an error, and a Redis that is down costs no backoff (redis-py's
    # default for a client of its own retries three times over seconds, which every
    # rate-limited call would wait through during an outage)
    assert len(accepted) == 2
