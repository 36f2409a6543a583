"""The bearer-token cache across processes: a token served from the cache by one server is
refused by it on its very next request after another process revoked it, because the cache is
Redis shared by both and the revocation drops the entry there (core/tokencache.py).

Two servers: this test process's live server, and gunicorn started as a subprocess on the same
PostgreSQL test database and a Redis of the test's own. Needs PostgreSQL (``DATABASE_URL``) and
the ``redis-server`` program."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from oauth2_provider.models import AccessToken, Application

from tests.conftest import make_token
from tests.live.test_integration_worker import _database_url, wait_for
from tests.live.test_redis_outage import _free_port, own_redis  # noqa: F401 (a fixture)
from users.models import User

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROOT = Path(__file__).resolve().parents[2]
SECRET = "confidential-client-secret-that-is-long-enough"


@contextmanager
def shared_cache(settings, redis_url: str) -> Iterator[None]:
    """This process (its live server) on the same Redis as the other server."""
    previous = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.FallbackCache",
            "LOCATION": redis_url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
        },
        "database": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "cache_table",
        },
    }
    try:
        yield
    finally:
        settings.CACHES = previous


@contextmanager
def other_server(redis_url: str) -> Iterator[str]:
    """gunicorn, one worker, on the test database and ``redis_url``; its base URL."""
    port = _free_port()
    log = Path(tempfile.mkstemp(prefix="gunicorn-tokens-", suffix=".log")[1])
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": _database_url(),
        "CONN_MAX_AGE": "0",
        "REDIS_URL": redis_url,
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-w", "1"]
            + ["-b", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for("gunicorn to answer", lambda: _answers(f"{url}/api/user"), 60)
        yield url
    except BaseException:
        print(log.read_text()[-8000:], file=sys.stderr)
        raise
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.unlink(missing_ok=True)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=10).status_code == 401
    except (requests.ConnectionError, requests.Timeout):
        return False


def _user(base: str, token: str) -> int:
    return requests.get(
        f"{base}/api/user", headers={"Authorization": f"Bearer {token}"}, timeout=10
    ).status_code


def test_a_token_revoked_by_one_process_is_refused_by_the_other_next(
    own_redis,  # noqa: F811
    live_server,
    settings,
):
    with shared_cache(settings, own_redis.url), other_server(own_redis.url) as other:
        # Given a token issued to alice by an application, served from the cache by the
        # other server (its second request no longer reads the token row)
        alice = User.objects.create_user(email="alice@example.com", password="alice-password-1")
        app = Application.objects.create(
            name="Two servers",
            user=alice,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris="http://127.0.0.1:9/callback",
            client_secret=SECRET,
        )
        token = make_token(alice, "read", app).token
        assert _user(other, token) == 200
        assert _user(other, token) == 200
        assert _user(live_server.url, token) == 200

        # When this process revokes it at its revoke endpoint
        credentials = base64.b64encode(f"{app.client_id}:{SECRET}".encode()).decode()
        revoked = requests.post(
            f"{live_server.url}/oauth/revoke_token",
            data={"token": token, "token_type_hint": "access_token"},
            headers={"Authorization": f"Basic {credentials}"},
            timeout=10,
        )
        assert revoked.status_code == 200
        assert not AccessToken.objects.filter(user=alice).exists()

        # Then the other server refuses it on its very next request, and so does this one
        assert _user(other, token) == 401
        assert _user(live_server.url, token) == 401

        # And a token cached by both servers, deleted by this process without any request
        # (as the admin does), is refused by the other at once
        second = make_token(alice, "read", app)
        assert _user(other, second.token) == 200
        assert _user(live_server.url, second.token) == 200
        second.delete()
        assert _user(other, second.token) == 401
