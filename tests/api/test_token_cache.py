"""A bearer token checked once is served from the shared cache (core/tokencache.py); every
event that ends or changes a token refuses it on the very next request. The cross-process case
(two servers sharing Redis and PostgreSQL) is tests/live/test_token_cache_processes.py."""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, RefreshToken
from rest_framework.test import APIClient

from core import tokencache
from tests.api.conftest import fail, ok
from tests.conftest import make_token

pytestmark = pytest.mark.django_db

SECRET = "confidential-client-secret-that-is-long-enough"
PASSWORD = "alice-password-1"


@pytest.fixture(autouse=True)
def redis_cache(settings, redis_url):
    """The production cache: Redis with the database table behind it; keys of this test's own."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "core.cache.FallbackCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"tokencache-{uuid.uuid4().hex[:12]}",
        },
    }


@pytest.fixture
def app(alice) -> Application:
    return Application.objects.create(
        name="Cache test app",
        user=alice,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="http://127.0.0.1:9/callback",
        client_secret=SECRET,
    )


def _basic(app: Application) -> str:
    return "Basic " + base64.b64encode(f"{app.client_id}:{SECRET}".encode()).decode()


def password_grant(client, alice, app, scope="read write") -> dict:
    alice.allow_remote_login = True
    alice.save()
    response = client.post(
        "/oauth/token",
        {"grant_type": "password", "username": alice.email, "password": PASSWORD, "scope": scope},
        HTTP_AUTHORIZATION=_basic(app),
    )
    assert response.status_code == 200, response.content
    return response.json()


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def token_queries(client: APIClient, path: str = "/api/user") -> tuple[int, list[str]]:
    """The status of one request and the queries it made on the access token table."""
    with CaptureQueriesContext(connection) as queries:
        status = client.get(path).status_code
    return status, [q["sql"] for q in queries if "oauth2_provider_accesstoken" in q["sql"]]


def test_a_checked_token_is_served_from_the_cache_keyed_by_its_hash(alice):
    token = make_token(alice, "read").token
    client = bearer(token)

    # The first request checks the token against its row, and the next ones do not
    status, first = token_queries(client)
    assert status == 200 and first
    status, second = token_queries(client)
    assert status == 200 and second == []

    # The entry is under the token's SHA-256 and holds no raw token
    entry = cache.get(tokencache.KEY_PREFIX + tokencache.checksum(token))
    assert entry["user_id"] == alice.pk and entry["scope"] == "read"
    assert token not in repr(entry)
    assert cache.get(tokencache.KEY_PREFIX + token) is None


def test_a_token_revoked_at_the_revoke_endpoint_is_refused_next(client, alice, app):
    issued = password_grant(client, alice, app)
    api = bearer(issued["access_token"])
    ok(api.get("/api/user"))
    ok(api.get("/api/user"))  # served from the cache

    response = client.post(
        "/oauth/revoke_token",
        {"token": issued["access_token"], "token_type_hint": "access_token"},
        HTTP_AUTHORIZATION=_basic(app),
    )
    assert response.status_code == 200

    fail(api.get("/api/user"), 401)


def test_refresh_rotation_refuses_the_old_access_token_next(client, alice, app):
    issued = password_grant(client, alice, app)
    old = bearer(issued["access_token"])
    ok(old.get("/api/user"))

    response = client.post(
        "/oauth/token",
        {"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]},
        HTTP_AUTHORIZATION=_basic(app),
    )
    assert response.status_code == 200, response.content

    fail(old.get("/api/user"), 401)
    ok(bearer(response.json()["access_token"]).get("/api/user"))


def test_a_revoked_token_family_is_refused_next(client, alice, app):
    issued = password_grant(client, alice, app)
    api = bearer(issued["access_token"])
    ok(api.get("/api/user"))

    family = RefreshToken.objects.get(
        token_checksum=hashlib.sha256(issued["refresh_token"].encode()).hexdigest()
    ).token_family
    RefreshToken.revoke_family(family)

    fail(api.get("/api/user"), 401)


def test_a_deleted_token_row_is_refused_next(alice):
    token = make_token(alice, "read")
    api = bearer(token.token)
    ok(api.get("/api/user"))

    AccessToken.objects.filter(pk=token.pk).delete()  # as the admin's bulk delete does

    fail(api.get("/api/user"), 401)


def test_scopes_edited_on_the_row_take_effect_next(alice):
    token = make_token(alice, "read write")
    api = bearer(token.token)
    ok(api.post("/api/portfolios", {"title": "Main", "currencies": ["usd"]}, format="json"), 201)

    token.scope = "read"
    token.save()  # the admin's change form

    fail(api.post("/api/portfolios", {"title": "Other", "currencies": ["usd"]}, format="json"), 403)
    ok(api.get("/api/portfolios"))


def test_an_expiry_moved_earlier_on_the_row_is_refused_next(alice):
    token = make_token(alice, "read")
    api = bearer(token.token)
    ok(api.get("/api/user"))

    token.expires = timezone.now() - timedelta(seconds=1)
    token.save()

    fail(api.get("/api/user"), 401)


def test_a_token_that_expires_while_cached_is_refused(alice, monkeypatch):
    token = make_token(alice, "read")
    api = bearer(token.token)
    ok(api.get("/api/user"))
    assert cache.get(tokencache.KEY_PREFIX + tokencache.checksum(token.token)) is not None

    # When the clock passes the token's expiry (the entry itself is not touched)
    later = token.expires + timedelta(seconds=1)
    monkeypatch.setattr("django.utils.timezone.now", lambda: later)

    response = api.get("/api/user")
    fail(response, 401)
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_the_cache_lives_no_longer_than_the_token(alice, settings):
    settings.TOKEN_CACHE_SECONDS = 300
    token = make_token(alice, "read")
    token.expires = timezone.now() + timedelta(seconds=30)
    token.save()
    ok(bearer(token.token).get("/api/user"))

    key = cache.make_and_validate_key(tokencache.KEY_PREFIX + tokencache.checksum(token.token))
    assert 0 < cache._cache.get_client(key).ttl(key) <= 30


def test_a_deactivated_user_is_refused_next(alice):
    api = bearer(make_token(alice, "read").token)
    ok(api.get("/api/user"))

    alice.is_active = False
    alice.save()

    fail(api.get("/api/user"), 401)


def test_a_deleted_user_or_application_is_refused_next(alice, bob, app):
    by_app = bearer(make_token(alice, "read", app).token)
    by_bob = bearer(make_token(bob, "read").token)
    ok(by_app.get("/api/user"))
    ok(by_bob.get("/api/user"))

    app.delete()
    bob.delete()

    fail(by_app.get("/api/user"), 401)
    fail(by_bob.get("/api/user"), 401)


def test_a_check_that_races_a_revocation_does_not_keep_the_token(alice):
    # Given a token django-oauth-toolkit accepted, whose row is deleted before the entry is
    # written (a revocation between the check and the write)
    token = make_token(alice, "read")
    accepted = AccessToken.objects.get(pk=token.pk)
    token.delete()

    tokencache.remember(accepted)

    assert tokencache.lookup(token.token) is None
    fail(bearer(token.token).get("/api/user"), 401)


def test_with_the_cache_failing_tokens_are_checked_in_full(alice, settings):
    # A Redis nobody listens on, with no database fallback: every cache call fails
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    token = make_token(alice, "read")
    api = bearer(token.token)
    ok(api.get("/api/user"))

    token.delete()  # the failing cache does not stop a revocation

    fail(api.get("/api/user"), 401)


def test_on_the_database_cache_alone_tokens_are_checked_in_full(alice, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "cache_table",
        }
    }
    api = bearer(make_token(alice, "read").token)
    ok(api.get("/api/user"))

    status, queries = token_queries(api)

    assert status == 200 and queries  # the token row read again: nothing cached
    assert not tokencache.enabled()


def test_a_hit_asks_the_database_nothing(alice):
    client = bearer(make_token(alice, "read").token)
    ok(client.get("/api/user"))

    with CaptureQueriesContext(connection) as queries:
        user = ok(client.get("/api/user"))

    # neither the token row nor the user row: both come from the entry
    assert [q["sql"] for q in queries] == []
    assert user["email"] == "alice@example.com"


def test_a_user_saved_is_seen_on_the_next_request(alice):
    client = bearer(make_token(alice, "read").token)
    ok(client.get("/api/user"))
    ok(client.get("/api/user"))

    alice.name = "Alice Renamed"
    alice.save()

    assert ok(client.get("/api/user"))["name"] == "Alice Renamed"


def test_a_user_changed_during_a_check_does_not_stay_cached(alice):
    # Given a token accepted with the user as it was, and the user renamed before the entry is
    # written
    token = make_token(alice, "read")
    accepted = AccessToken.objects.select_related("user").get(pk=token.pk)
    User = type(alice)
    User.objects.filter(pk=alice.pk).update(name="Renamed meanwhile")

    tokencache.remember(accepted)

    assert tokencache.lookup(token.token) is None
    assert ok(bearer(token.token).get("/api/user"))["name"] == "Renamed meanwhile"


def test_the_entry_holds_no_password_hash_and_a_saved_cached_user_keeps_it(alice):
    token = make_token(alice, "read").token
    ok(bearer(token).get("/api/user"))
    entry = tokencache.lookup(token)
    assert entry is not None
    assert alice.password not in repr(cache.get(tokencache.KEY_PREFIX + tokencache.checksum(token)))

    # a view that edits and saves request.user (the instance built from the entry) writes only
    # the columns it holds: the password hash stays
    user = tokencache.cached_user(entry)
    user.name = "Saved from the cache"
    user.save()

    alice.refresh_from_db()
    assert alice.name == "Saved from the cache"
    assert alice.check_password(PASSWORD)
