"""core.cache.FallbackCache: with its Redis not answering, the cache answers from the database
cache table (flags, last attempts and heartbeats keep working), and Redis is asked again once
the pause after a failure is over."""

from __future__ import annotations

import socket

import pytest

from core import cache as fallback_module
from core.cache import FallbackCache

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
