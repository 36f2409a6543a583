"""The CryptFolio scope rules of API.md, for every private endpoint and method.

- GET /api/user needs one of admin, read, info;
- other GET needs one of admin, read;
- POST and PATCH need (admin or read) and (admin or write);
- DELETE needs (admin or read) and (admin or delete).
A valid token without the scope is 403; no token, or a bad, expired or revoked one, is 401.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api.conftest import BTC_BECH32, fail, ok
from tests.conftest import client_for, make_token

# The sets API.md names, plus "write" alone: write without read is not enough.
SCOPE_SETS = ["", "public", "info", "read", "write", "read write", "read delete", "admin"]

USER = {"info", "read", "read write", "read delete", "admin"}
READ = {"read", "read write", "read delete", "admin"}
WRITE = {"read write", "admin"}
DELETE = {"read delete", "admin"}

P = "/api/portfolios/{p}"
A = "/api/portfolios/{p}/addresses"
O = "/api/portfolios/{p}/offsets"  # noqa: E741
RENAME = {"title": "Renamed"}

# (method, path, body, scope sets that may, status on success)
ENDPOINTS = [
    ("get", "/api/user", None, USER, 200),
    ("get", "/api/portfolios", None, READ, 200),
    ("post", "/api/portfolios", {"title": "New", "currencies": ["btc"]}, WRITE, 201),
    ("get", P, None, READ, 200),
    ("patch", P, RENAME, WRITE, 200),
    ("delete", P, None, DELETE, 200),
    ("get", A, None, READ, 200),
    ("post", A, {"address": BTC_BECH32, "currency": "btc"}, WRITE, 201),
    ("get", A + "/{a}", None, READ, 200),
    ("patch", A + "/{a}", RENAME, WRITE, 200),
    ("delete", A + "/{a}", None, DELETE, 200),
    ("get", O, None, READ, 200),
    ("post", O, {"title": "New"}, WRITE, 201),
    ("get", O + "/{o}", None, READ, 200),
    ("patch", O + "/{o}", RENAME, WRITE, 200),
    ("delete", O + "/{o}", None, DELETE, 200),
]
ENDPOINT_IDS = [f"{method.upper()} {path}" for method, path, *_ in ENDPOINTS]


def call(client, method, path, body, ids):
    return getattr(client, method)(path.format(**ids), body, format="json")


@pytest.mark.parametrize("scope", SCOPE_SETS, ids=lambda s: s or "none")
@pytest.mark.parametrize(
    ("method", "path", "body", "allowed", "status"), ENDPOINTS, ids=ENDPOINT_IDS
)
def test_scope_matrix(alice, alice_ids, scope, method, path, body, allowed, status):
    client = client_for(alice, scope)

    response = call(client, method, path, body, alice_ids)

    if scope in allowed:
        ok(response, status)
    else:
        body = fail(response, 403)
        assert set(body) == {"success", "time", "message", "request_id"}  # no OAuth2 "error" key


@pytest.mark.parametrize(
    ("method", "path", "body", "allowed", "status"), ENDPOINTS, ids=ENDPOINT_IDS
)
@pytest.mark.parametrize("credential", ["none", "bad", "expired", "revoked"])
def test_no_valid_token_is_401(alice, alice_ids, credential, method, path, body, allowed, status):
    # Given a client with no token, or one the server does not accept (each with every scope)
    client = client_for(None)
    if credential == "bad":
        client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    elif credential == "expired":
        token = make_token(alice, "admin read write delete info")
        token.expires = timezone.now() - timedelta(seconds=1)
        token.save()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.token}")
    elif credential == "revoked":
        token = make_token(alice, "admin read write delete info")
        token.revoke()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.token}")

    # When it calls a private endpoint
    response = call(client, method, path, body, alice_ids)

    # Then it is 401 with an RFC 6750 challenge; a refused token says why
    fail(response, 401)
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert 'realm="api"' in challenge
    if credential == "none":
        assert "error=" not in challenge
    else:
        assert 'error="invalid_token"' in challenge


def test_forbidden_requests_change_nothing(alice, api, alice_ids):
    # Given a token with read only
    reader = client_for(alice, "read")
    before = ok(api.get(f"/api/portfolios/{alice_ids['p']}"))

    # When it tries every write and delete
    for method, path, body, allowed, _ in ENDPOINTS:
        if method != "get":
            fail(call(reader, method, path, body, alice_ids), 403)

    # Then everything is as it was
    assert ok(api.get(f"/api/portfolios/{alice_ids['p']}")) == before
    assert len(ok(api.get("/api/portfolios"))) == 1


@pytest.mark.parametrize("scope", ["", "public", "info"])
def test_public_endpoints_need_no_private_scope(db, alice, scope):
    ok(client_for(alice, scope).get("/api/status"))


def test_token_of_a_deactivated_user_is_401(alice, alice_ids):
    client = client_for(alice, "read")
    alice.is_active = False
    alice.save()

    fail(client.get("/api/portfolios"), 401)
