"""Owner isolation and CryptFolio scopes on every ledger route: another user's portfolio and
objects are 404 (never 403); GET needs read (or admin), POST and PATCH read and write; a valid
token without the scope is 403, no valid token 401; a personal API key reads only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from ledger.models import LedgerEntry, Transfer, Wallet
from ledger.transfers import transfers_match
from tests.api.conftest import fail, ok
from tests.conftest import client_for
from tests.ledger_api.conftest import at, make_entry, make_portfolio, make_wallet
from users.services import api_key_create


@dataclass
class Objects:
    portfolio: int
    entry: int
    transfer: int

    def path(self, template: str) -> str:
        return template.format(p=self.portfolio, e=self.entry, t=self.transfer)


def build(user, title: str = "Main") -> Objects:
    portfolio = make_portfolio(user, title)
    coinbase = make_wallet(portfolio)
    nano = make_wallet(portfolio, "Nano", kind=Wallet.ACCOUNT)
    send = make_entry(coinbase, "unclassified_out", "1", at(1))
    make_entry(nano, "unclassified_in", "0.999", at(1) + timedelta(hours=1))
    make_entry(coinbase, "buy", "2", at(1, 8))
    transfers_match(portfolio=portfolio)
    return Objects(portfolio.pk, send.pk, Transfer.objects.get(portfolio=portfolio).pk)


@pytest.fixture
def mine(alice) -> Objects:
    return build(alice)


P = "/api/portfolios/{p}"
READ, WRITE = "read", "write"
# (method, path, body, scope needed, status on success)
ROUTES = [
    ("get", P + "/transactions", None, READ, 200),
    ("get", P + "/transactions/missing-values", None, READ, 200),
    ("get", P + "/transactions/{e}", None, READ, 200),
    ("patch", P + "/transactions/{e}", {"notes": "mine"}, WRITE, 200),
    ("get", P + "/inventory", None, READ, 200),
    ("get", P + "/transfers", None, READ, 200),
    ("get", P + "/transfers?status=proposed", None, READ, 200),
    ("get", P + "/transfers/{t}", None, READ, 200),
    ("post", P + "/transfers/{t}/accept", None, WRITE, 200),
    ("post", P + "/transfers/{t}/reject", None, WRITE, 200),
]
IDS = [f"{method.upper()} {path}" for method, path, *_ in ROUTES]
OBJECT_ROUTES = [route for route in ROUTES if "{e}" in route[1] or "{t}" in route[1]]
OBJECT_IDS = [f"{method.upper()} {path}" for method, path, *_ in OBJECT_ROUTES]


def call(client, method: str, path: str, body):
    return getattr(client, method)(path, body, format="json")


def snapshot() -> tuple:
    return (
        list(
            LedgerEntry.objects.order_by("pk").values_list(
                "pk", "kind", "notes", "user_modified", "updated_at"
            )
        ),
        list(Transfer.objects.order_by("pk").values_list("pk", "status", "updated_at")),
    )


@pytest.mark.parametrize(("method", "path", "body", "needs", "status"), ROUTES, ids=IDS)
def test_bob_gets_404_on_alices_objects(bob, mine, method, path, body, needs, status):
    # Given bob with every scope, so nothing but ownership can stop him
    client = client_for(bob, "admin read write delete")
    before = snapshot()

    fail(call(client, method, mine.path(path), body), 404)

    assert snapshot() == before


@pytest.mark.parametrize(
    ("method", "path", "body", "needs", "status"), OBJECT_ROUTES, ids=OBJECT_IDS
)
def test_bob_gets_404_on_alices_objects_through_his_own_portfolio(
    bob, mine, method, path, body, needs, status
):
    # Given bob's own portfolio id with alice's entry and transfer ids
    theirs = build(bob, "Bob's")
    client = client_for(bob, "admin read write delete")
    crossed = Objects(theirs.portfolio, mine.entry, mine.transfer)
    before = snapshot()

    fail(call(client, method, crossed.path(path), body), 404)

    assert snapshot() == before


def test_bobs_lists_show_nothing_of_alices(bob, mine):
    theirs = build(bob, "Bob's")
    client = client_for(bob, "read")
    rows = ok(client.get(theirs.path(P + "/transactions")))
    transfers = ok(client.get(theirs.path(P + "/transfers")))
    assert mine.entry not in {r["id"] for r in rows} and len(rows) == 3
    assert [t["id"] for t in transfers] == [theirs.transfer]


SCOPES = ["", "public", "info", "read", "write", "read write", "read delete", "admin"]


def allowed(scope: str, needs: str) -> bool:
    granted = set(scope.split())
    if "admin" in granted:
        return True
    return "read" in granted and (needs == READ or "write" in granted)


@pytest.mark.parametrize("scope", SCOPES, ids=lambda s: s or "none")
@pytest.mark.parametrize(("method", "path", "body", "needs", "status"), ROUTES, ids=IDS)
def test_scopes(alice, mine, scope, method, path, body, needs, status):
    client = client_for(alice, scope)

    response = call(client, method, mine.path(path), body)

    if allowed(scope, needs):
        ok(response, status)
    else:
        assert set(fail(response, 403)) == {"success", "time", "message", "request_id"}


@pytest.mark.parametrize(("method", "path", "body", "needs", "status"), ROUTES, ids=IDS)
@pytest.mark.parametrize("credential", ["none", "bad"])
def test_no_valid_token_is_401(mine, credential, method, path, body, needs, status):
    client = APIClient()
    if credential == "bad":
        client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = call(client, method, mine.path(path), body)

    fail(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path", "body", "needs", "status"), ROUTES, ids=IDS)
def test_api_key_reads_only(alice, mine, method, path, body, needs, status):
    client = APIClient()
    client.credentials(
        HTTP_X_API_KEY=api_key_create(user=alice, name="k", scopes=["read", "info"]).key
    )
    before = snapshot()

    response = call(client, method, mine.path(path), body)

    if needs == READ:
        ok(response, status)
    else:
        fail(response, 403)
        assert snapshot() == before


def test_read_write_token_accepts_and_rejects(alice, mine):
    client = client_for(alice, "read write")
    accepted = ok(client.post(mine.path(P + "/transfers/{t}/accept")))
    assert accepted["status"] == "accepted"
    rejected = ok(client.post(mine.path(P + "/transfers/{t}/reject")))
    assert rejected["status"] == "rejected"
