"""Throttling and lockout, through the HTTP endpoints, at the production limits (settings,
"Throttling"): wrong passwords at the OAuth2 password grant, wrong client secrets, and API
requests per user and per address. (The sign-in page and password resets:
tests/dashboard/test_sign_in_lockout.py.)"""

from __future__ import annotations

import base64

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.db.models import F
from oauth2_provider.models import AccessToken, Application
from rest_framework.test import APIClient

from portfolios.models import Portfolio
from tests.api.conftest import fail, ok
from tests.api.test_oauth import PASSWORD, SECRET, make_app
from tests.conftest import client_for, make_token

LIMIT = settings.AXES_FAILURE_LIMIT  # the production default, 10
COOL_OFF = int(settings.AXES_COOLOFF_TIME.total_seconds())


@pytest.fixture(autouse=True)
def _empty_throttle_history(db):
    """Counters start at zero: a transactional test before this one may have left request
    history in the database cache (a flush does not empty the cache table)."""
    cache.clear()


def basic(app: Application, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{app.client_id}:{secret}".encode()).decode()


def password_grant(client, app, username="alice@example.com", password=PASSWORD, **meta):
    body = {"grant_type": "password", "username": username, "password": password}
    return client.post("/oauth/token", body, HTTP_AUTHORIZATION=basic(app, SECRET), **meta)


def assert_locked(response, error: str) -> None:
    assert response.status_code == 429, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response["Cache-Control"] == "no-store"
    assert response["Retry-After"] == str(COOL_OFF)
    body = response.json()
    assert body["error"] == error
    assert "try again" in body["error_description"]
    assert "access_token" not in body


def let_the_cool_off_pass() -> None:
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME)


@pytest.fixture
def remote_alice(alice):
    alice.allow_remote_login = True
    alice.save()
    return alice


@pytest.fixture
def app(alice) -> Application:
    return make_app(alice, Application.CLIENT_CONFIDENTIAL, SECRET)


# --- the password grant ----------------------------------------------------------------------


def test_thirty_wrong_passwords_lock_the_account_out(client, remote_alice, app):
    assert LIMIT == 10 and COOL_OFF == 15 * 60  # the documented defaults

    answers = [password_grant(client, app, password=f"guess-{i}") for i in range(30)]

    # The first failures are plain invalid_grant; the one that reaches the limit and every
    # one after it is 429 with an RFC 6749 body and Retry-After
    for response in answers[: LIMIT - 1]:
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"
    for response in answers[LIMIT - 1 :]:
        assert_locked(response, "invalid_grant")

    # The right password is refused the same way while locked out, and no token is issued
    assert_locked(password_grant(client, app), "invalid_grant")
    assert not AccessToken.objects.exists()

    # After the cool-off it works again
    let_the_cool_off_pass()
    assert password_grant(client, app).status_code == 200


def test_an_account_is_locked_from_every_address(client, remote_alice, app):
    # Guesses at alice's password spread over many addresses still count together
    for i in range(LIMIT):
        password_grant(client, app, password="wrong", REMOTE_ADDR=f"10.0.0.{i + 1}")

    assert_locked(password_grant(client, app, REMOTE_ADDR="10.9.9.9"), "invalid_grant")


def test_an_address_is_locked_for_every_account(client, remote_alice, bob, app):
    bob.allow_remote_login = True
    bob.save()
    # One address tries a different (made-up) account each time
    for i in range(LIMIT):
        response = password_grant(
            client, app, username=f"user{i}@example.com", REMOTE_ADDR="10.1.1.1"
        )
        assert response.status_code in (400, 429)

    # That address is locked out, even with bob's right password
    locked = password_grant(
        client, app, username="bob@example.com", password="bob-password-1", REMOTE_ADDR="10.1.1.1"
    )
    assert_locked(locked, "invalid_grant")
    # bob from his own address is not
    mine = password_grant(
        client, app, username="bob@example.com", password="bob-password-1", REMOTE_ADDR="10.2.2.2"
    )
    assert mine.status_code == 200, mine.content


def test_case_variants_of_an_email_count_as_one_account(client, remote_alice, app):
    for i in range(LIMIT):
        password_grant(
            client,
            app,
            username="ALICE@Example.com" if i % 2 else "alice@example.com",
            password="wrong",
            REMOTE_ADDR=f"10.3.0.{i + 1}",
        )
    assert_locked(password_grant(client, app, REMOTE_ADDR="10.3.1.1"), "invalid_grant")


def test_below_the_limit_the_right_password_still_works(client, remote_alice, app):
    for _ in range(LIMIT - 1):
        assert password_grant(client, app, password="wrong").status_code == 400
    assert password_grant(client, app).status_code == 200


def test_secrets_of_a_failed_attempt_are_not_stored(client, remote_alice, app):
    password_grant(client, app, password="wrong-password-xyz")
    body = {
        "grant_type": "password",
        "username": "alice@example.com",
        "password": "wrong-password-xyz",
        "client_id": app.client_id,
        "client_secret": SECRET,
    }
    client.post("/oauth/token", body)

    stored = " ".join(
        f"{a.get_data} {a.post_data} {a.username}" for a in AccessAttempt.objects.all()
    )
    assert "wrong-password-xyz" not in stored
    assert SECRET not in stored


# --- client secrets --------------------------------------------------------------------------


def client_credentials(client, app, secret, **meta):
    return client.post(
        "/oauth/token",
        {"grant_type": "password", "username": "alice@example.com", "password": PASSWORD},
        HTTP_AUTHORIZATION=basic(app, secret),
        **meta,
    )


def test_guessing_a_client_secret_locks_the_client_out(client, remote_alice, app):
    answers = [client_credentials(client, app, f"guess-{i}") for i in range(30)]

    for response in answers[: LIMIT - 1]:
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
    for response in answers[LIMIT - 1 :]:
        assert_locked(response, "invalid_client")

    # The right secret is refused too until the cool-off has passed
    assert_locked(client_credentials(client, app, SECRET), "invalid_client")
    let_the_cool_off_pass()
    assert client_credentials(client, app, SECRET).status_code == 200


def test_a_client_is_locked_whatever_the_address_and_in_the_body_too(client, remote_alice, app):
    for i in range(LIMIT):
        client_credentials(client, app, "wrong", REMOTE_ADDR=f"10.4.0.{i + 1}")

    in_body = client.post(
        "/oauth/token",
        {
            "grant_type": "password",
            "username": "alice@example.com",
            "password": PASSWORD,
            "client_id": app.client_id,
            "client_secret": SECRET,
        },
        REMOTE_ADDR="10.4.9.9",
    )
    assert_locked(in_body, "invalid_client")
    # introspection authenticates the client the same way
    introspect = client.post(
        "/oauth/introspect",
        {"token": "x"},
        HTTP_AUTHORIZATION=basic(app, SECRET),
        REMOTE_ADDR="10.4.9.9",
    )
    assert introspect.status_code == 429


def test_guessing_client_ids_locks_the_address(client, remote_alice, app, alice):
    other = make_app(alice, Application.CLIENT_CONFIDENTIAL, "another-secret-long-enough-0123")
    for i in range(LIMIT):
        fake = Application(client_id=f"made-up-{i}")
        client_credentials(client, fake, "x", REMOTE_ADDR="10.5.5.5")

    assert_locked(
        client_credentials(
            client, other, "another-secret-long-enough-0123", REMOTE_ADDR="10.5.5.5"
        ),
        "invalid_client",
    )
    assert client_credentials(client, app, SECRET, REMOTE_ADDR="10.6.6.6").status_code == 200


# --- the API ---------------------------------------------------------------------------------


@pytest.fixture
def realistic_api_rates(settings):
    """Rates an operator might choose, small enough to reach in a test."""
    settings.API_THROTTLE_USER_RATE = "30/minute"
    settings.API_THROTTLE_ANON_RATE = "10/minute"


def assert_throttled(response, period: int = 60) -> None:
    body = fail(response, 429)
    assert set(body) == {"success", "time", "message"}
    assert 1 <= int(response["Retry-After"]) <= period


def test_a_user_over_the_api_rate_gets_the_429_envelope(realistic_api_rates, alice, bob):
    api = client_for(alice)
    for _ in range(30):
        ok(api.get("/api/portfolios"))

    assert_throttled(api.get("/api/portfolios"))
    # every credential of the same user counts together: another token is throttled too
    assert_throttled(client_for(alice).get("/api/user"))
    # while bob is not
    ok(client_for(bob).get("/api/portfolios"))


def test_a_throttled_write_changes_nothing(realistic_api_rates, alice):
    api = client_for(alice, "read write")
    for _ in range(30):
        ok(api.get("/api/user"))

    response = api.post("/api/portfolios", {"title": "Late", "currencies": ["btc"]}, format="json")

    assert_throttled(response)
    assert not Portfolio.objects.filter(title="Late").exists()


def test_anonymous_callers_are_counted_per_address(realistic_api_rates, db):
    anon = APIClient()
    for _ in range(10):
        ok(anon.get("/api/currencies/btc"))

    assert_throttled(anon.get("/api/currencies/btc"))
    ok(APIClient(REMOTE_ADDR="10.7.7.7").get("/api/currencies/btc"))


def test_behind_a_trusted_proxy_the_forwarded_address_counts(realistic_api_rates, settings, db):
    settings.TRUSTED_PROXY_COUNT = 1
    first = APIClient(HTTP_X_FORWARDED_FOR="203.0.113.5")
    for _ in range(10):
        ok(first.get("/api/currencies/btc"))
    assert_throttled(first.get("/api/currencies/btc"))

    # another client behind the same proxy (same socket address) is not throttled
    ok(APIClient(HTTP_X_FORWARDED_FOR="203.0.113.6").get("/api/currencies/btc"))
    # and a forged, unparsable header falls back to the socket's address (already counted? no:
    # the proxy's address is the socket's, a third bucket)
    ok(APIClient(HTTP_X_FORWARDED_FOR="not-an-address").get("/api/currencies/btc"))


def test_a_bad_token_is_still_401_not_429(realistic_api_rates, db):
    anon = APIClient(HTTP_AUTHORIZATION="Bearer nope")
    fail(anon.get("/api/user"), 401)


def test_a_token_with_a_scope_still_works_below_the_rate(realistic_api_rates, alice):
    token = make_token(alice, "read")
    api = APIClient(HTTP_AUTHORIZATION=f"Bearer {token.token}")
    for _ in range(30):
        ok(api.get("/api/user"))


@pytest.mark.parametrize("username", ["alice@example.com\x00", "\x00", "a" * 300])
def test_odd_usernames_are_refused_not_a_server_error(client, remote_alice, app, username):
    for _ in range(2):
        response = password_grant(client, app, username=username, password="wrong")
        assert response.status_code == 400, response.content
        assert response.json()["error"] == "invalid_grant"


def test_an_odd_client_id_is_refused_not_a_server_error(client, db):
    for client_id in ("bad\x00id", "x" * 500, "ünïcode"):
        response = client.post(
            "/oauth/token",
            {"grant_type": "client_credentials"},
            HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"{client_id}:s".encode()).decode(),
        )
        assert response.status_code == 401, response.content
        assert response.json()["error"] == "invalid_client"


def test_with_the_cache_unreachable_requests_go_through(realistic_api_rates, settings, alice):
    # A Redis nobody listens on (a closed port of this machine): the counters cannot be read,
    # and the API keeps answering instead of failing with the counter store
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }
    api = client_for(alice)
    for _ in range(31):
        ok(api.get("/api/user"))
    ok(APIClient().get("/api/currencies/btc"))
