"""Isolation and scopes of the live-data endpoints: another user's objects are 404, never 403;
GET needs read (or admin); refresh needs read and write (or admin); personal API keys read only."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.conftest import client_for
from tests.live.conftest import add_address, failed, make_portfolio
from users.services import api_key_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def alices(alice_api, enqueued):
    """Alice's portfolio and address (a broker is stubbed: nothing is fetched here)."""
    pid = make_portfolio(alice_api)
    address = add_address(alice_api, pid)
    return {"portfolio": pid, "address": address}


def gets(o) -> list[str]:
    p, a = o["portfolio"], o["address"]
    return [
        f"/api/portfolios/{p}/addresses/{a}/balances",
        f"/api/portfolios/{p}/addresses/{a}/transactions",
        f"/api/portfolios/{p}/balances",
        f"/api/portfolios/{p}/converted",
        f"/api/portfolios/{p}/inventory",
    ]


def test_bob_gets_404_on_everything_of_alices(bob, alices, enqueued, run_tasks):
    bob_api = client_for(bob, "read write delete")
    with run_tasks():
        for url in gets(alices):
            failed(bob_api.get(url), 404)
            assert failed(bob_api.get(url), 404)["message"] == "Not found"
        failed(bob_api.post(f"/api/portfolios/{alices['portfolio']}/refresh"), 404)
    # and nothing was fetched on his behalf
    assert enqueued.calls == []


def test_bob_cannot_reach_alices_address_through_his_own_portfolio(bob, alices, enqueued):
    bob_api = client_for(bob, "read write delete")
    his = make_portfolio(bob_api, "Bob's")
    for tail in ("balances", "transactions"):
        failed(bob_api.get(f"/api/portfolios/{his}/addresses/{alices['address']}/{tail}"), 404)


@pytest.mark.parametrize("scope", ["read", "admin", "read write"])
def test_get_needs_read_or_admin(alice, alices, scope):
    api = client_for(alice, scope)
    for url in gets(alices):
        assert api.get(url).status_code == 503  # allowed: not fetched yet


@pytest.mark.parametrize("scope", ["write", "info", "delete", "public"])
def test_get_without_read_is_403(alice, alices, scope):
    api = client_for(alice, scope)
    for url in gets(alices):
        body = failed(api.get(url), 403)
        assert body["message"] == "Forbidden" and "error" not in body


@pytest.mark.parametrize(
    ("scope", "status"), [("read write", 200), ("admin", 200), ("read", 403), ("write", 403)]
)
def test_refresh_needs_read_and_write(alice, alices, scope, status):
    response = client_for(alice, scope).post(f"/api/portfolios/{alices['portfolio']}/refresh")
    assert response.status_code == status, response.content


def test_anonymous_is_401(alices):
    anon = APIClient()
    for url in gets(alices):
        response = anon.get(url)
        failed(response, 401)
        assert response["WWW-Authenticate"].startswith("Bearer")
    failed(anon.post(f"/api/portfolios/{alices['portfolio']}/refresh"), 401)


def test_an_api_key_reads_balances_but_cannot_refresh(alice, alices):
    key = api_key_create(user=alice, name="script", scopes=["read"]).key
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key)

    for url in gets(alices):
        assert client.get(url).status_code == 503  # authenticated and allowed
    failed(client.post(f"/api/portfolios/{alices['portfolio']}/refresh"), 403)


def test_an_info_only_api_key_cannot_read_balances(alice, alices):
    key = api_key_create(user=alice, name="info", scopes=["info"]).key
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key)
    failed(client.get(f"/api/portfolios/{alices['portfolio']}/balances"), 403)
