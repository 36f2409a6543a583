"""Isolation and scopes on every cost-basis route: another user's portfolio is 404 (never 403);
GET needs read (or admin), POST and PATCH read and write; a personal API key reads only."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from costbasis.models import CostBasisBuild, CostBasisSettings
from tests.api.conftest import fail, ok
from tests.conftest import client_for
from tests.costbasis.conftest import build, day, make_entry, make_portfolio, make_wallet
from users.services import api_key_create

READ, WRITE = "read", "write"
# (method, path, body, scope needed)
ROUTES = [
    ("get", "", None, READ),
    ("get", "/lots", None, READ),
    ("get", "/disposals", None, READ),
    ("get", "/report.csv?year=2024", None, READ),
    ("get", "/settings", None, READ),
    ("patch", "/settings", {"method": "hifo"}, WRITE),
    ("post", "/rebuild", None, WRITE),
]
IDS = [f"{method.upper()} {path}" for method, path, *_ in ROUTES]


def built(user, title: str = "Main") -> int:
    portfolio = make_portfolio(user, title)
    wallet = make_wallet(portfolio)
    make_entry(wallet, "buy", "1", day("2023-01-01"), value="100")
    make_entry(wallet, "sell", "0.5", day("2024-01-01"), value="80")
    build(portfolio)
    return portfolio.pk


@pytest.fixture
def mine(alice) -> int:
    return built(alice)


def call(client, method: str, portfolio_id: int, path: str, body):
    url = f"/api/portfolios/{portfolio_id}/cost-basis{path}"
    return getattr(client, method)(url, body, format="json")


def snapshot() -> tuple:
    return (
        list(CostBasisSettings.objects.values_list("portfolio_id", "method", "updated_at")),
        list(CostBasisBuild.objects.values_list("portfolio_id", "built_at", "attempted_at")),
    )


def answered(response, status: int = 200) -> None:
    if response["Content-Type"].startswith("text/csv"):
        assert response.status_code == status
    else:
        ok(response, status)


@pytest.mark.parametrize(("method", "path", "body", "needs"), ROUTES, ids=IDS)
def test_bob_gets_404_on_alices_portfolio(
    bob, mine, method, path, body, needs, django_capture_on_commit_callbacks
):
    client = client_for(bob, "admin read write delete")
    before = snapshot()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        fail(call(client, method, mine, path, body), 404)

    assert snapshot() == before and callbacks == []


def test_bob_sees_only_his_own(alice, bob, mine):
    theirs = built(bob, "Bob's")
    bobs = ok(call(client_for(bob, "read"), "get", theirs, "/lots", None))
    alices = ok(call(client_for(alice, "read"), "get", mine, "/lots", None))
    assert len(bobs) == len(alices) == 1
    assert bobs[0]["id"] != alices[0]["id"]
    assert bobs[0]["transaction"] != alices[0]["transaction"]


SCOPES = ["", "public", "info", "read", "write", "read write", "read delete", "admin"]


def allowed(scope: str, needs: str) -> bool:
    granted = set(scope.split())
    if "admin" in granted:
        return True
    return "read" in granted and (needs == READ or "write" in granted)


@pytest.mark.parametrize("scope", SCOPES, ids=lambda s: s or "none")
@pytest.mark.parametrize(("method", "path", "body", "needs"), ROUTES, ids=IDS)
def test_scopes(alice, mine, scope, method, path, body, needs):
    response = call(client_for(alice, scope), method, mine, path, body)

    if allowed(scope, needs):
        answered(response)
    else:
        assert set(fail(response, 403)) == {"success", "time", "message", "request_id"}


@pytest.mark.parametrize(("method", "path", "body", "needs"), ROUTES, ids=IDS)
@pytest.mark.parametrize("credential", ["none", "bad"])
def test_no_valid_token_is_401(mine, credential, method, path, body, needs):
    client = APIClient()
    if credential == "bad":
        client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = call(client, method, mine, path, body)

    fail(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path", "body", "needs"), ROUTES, ids=IDS)
def test_api_key_reads_only(alice, mine, method, path, body, needs):
    client = APIClient()
    client.credentials(
        HTTP_X_API_KEY=api_key_create(user=alice, name="k", scopes=["read", "info"]).key
    )
    before = snapshot()

    response = call(client, method, mine, path, body)

    if needs == READ:
        answered(response)
    else:
        fail(response, 403)
        assert snapshot() == before


def test_api_key_in_the_query_string_downloads_the_report(alice, mine):
    key = api_key_create(user=alice, name="k", scopes=["read"]).key
    response = APIClient().get(
        f"/api/portfolios/{mine}/cost-basis/report.csv?year=2024&api_key={key}"
    )
    assert response.status_code == 200
    assert response.content.decode().splitlines()[-1] == "Total,,,80.00,50.00,30.00,,,,,"
