"""Personas and helpers shared by every test: alice (owner), bob (another user), anonymous."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application
from rest_framework.test import APIClient

from users.models import User


@pytest.fixture
def alice(db) -> User:
    return User.objects.create_user(
        email="alice@example.com", password="alice-password-1", name="Alice"
    )


@pytest.fixture
def bob(db) -> User:
    return User.objects.create_user(email="bob@example.com", password="bob-password-1", name="Bob")


@pytest.fixture
def oauth_app(alice) -> Application:
    return Application.objects.create(
        name="Test app",
        user=alice,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="http://127.0.0.1:9999/callback",
    )


def make_token(user: User, scope: str, app: Application | None = None) -> AccessToken:
    return AccessToken.objects.create(
        user=user,
        application=app,
        token=f"tok-{user.pk}-{scope.replace(' ', '-') or 'none'}-{AccessToken.objects.count()}",
        expires=timezone.now() + timedelta(hours=1),
        scope=scope,
    )


def client_for(user: User | None, scope: str = "read write delete") -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(user, scope).token}")
    return client


@pytest.fixture
def api(alice) -> APIClient:
    """Alice with read, write and delete."""
    return client_for(alice)


@pytest.fixture
def bob_api(bob) -> APIClient:
    return client_for(bob)


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "testserver")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Tests cannot reach the network: any name but loopback fails to resolve, as it would on an
    offline machine, so a forgotten recording fails loudly instead of calling a real service.
    (`responses` intercepts before any socket is opened, so recorded calls still work.)"""
    import socket

    real_getaddrinfo = socket.getaddrinfo

    def guarded(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name in _LOCAL_HOSTS or name.startswith("127."):
            return real_getaddrinfo(host, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, f"tests cannot reach the network (tried {name})")

    monkeypatch.setattr(socket, "getaddrinfo", guarded)


def pytest_collection_modifyitems(items):
    """Every transactional test (live_server, transactional_db, transaction=True) restores the
    database's content after its flush, so rows loaded by data migrations (the currency table)
    are there for every later test whatever the order."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        transactional = (
            "transactional_db" in item.fixturenames
            or "live_server" in item.fixturenames
            or bool(marker and marker.kwargs.get("transaction"))
        )
        if not transactional:
            continue
        kwargs = dict(marker.kwargs) if marker else {}
        kwargs.update(transaction=True, serialized_rollback=True)
        item.add_marker(pytest.mark.django_db(**kwargs), append=False)


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Each test starts with an empty cache. The database cache (no REDIS_URL) is rolled back
    with the test's transaction; Redis is not, so flags and marks of earlier tests (enqueued
    fetches, price attempts) would leak into later ones."""
    # Redis directly or behind the database fallback (core.cache.FallbackCache): by location.
    if str(settings.CACHES["default"].get("LOCATION", "")).startswith("redis"):
        from django.core.cache import cache

        cache.clear()
