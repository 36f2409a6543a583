"""Every object belongs to one user: another user's object is 404 Not found, never 403."""

from __future__ import annotations

import pytest

from tests.api.conftest import BTC_BECH32, fail, ok
from tests.conftest import client_for

P = "/api/portfolios/{p}"
A = "/api/portfolios/{p}/addresses"
O = "/api/portfolios/{p}/offsets"  # noqa: E741
RENAME = {"title": "Taken over", "currencies": ["nzd"]}

# Bob's requests on alice's objects, with bodies that would be valid on his own.
REQUESTS = [
    ("get", P, None),
    ("patch", P, RENAME),
    ("delete", P, None),
    ("get", A, None),
    ("post", A, {"title": "Bob's", "address": BTC_BECH32, "currency": "btc"}),
    ("get", A + "/{a}", None),
    ("patch", A + "/{a}", {"title": "Bob's", "address": BTC_BECH32}),
    ("delete", A + "/{a}", None),
    ("get", O, None),
    ("post", O, {"title": "Bob's", "balances": [{"currency": "btc", "balance": "1"}]}),
    ("get", O + "/{o}", None),
    ("patch", O + "/{o}", {"title": "Bob's", "balances": []}),
    ("delete", O + "/{o}", None),
]
IDS = [f"{method.upper()} {path}" for method, path, _ in REQUESTS]


@pytest.fixture
def bob_admin(bob):
    """Bob with every scope, so nothing but ownership can stop him."""
    return client_for(bob, "admin read write delete")


@pytest.fixture
def bob_portfolio(bob_admin):
    return ok(
        bob_admin.post("/api/portfolios", {"title": "Bob's", "currencies": ["btc"]}, format="json"),
        201,
    )


def snapshot(api, ids):
    """Everything alice can see of her objects (the detail lists the addresses and offsets)."""
    base = f"/api/portfolios/{ids['p']}"
    return (
        ok(api.get(base)),
        ok(api.get(f"{base}/addresses/{ids['a']}")),
        ok(api.get(f"{base}/offsets/{ids['o']}")),
    )


@pytest.mark.parametrize(("method", "path", "body"), REQUESTS, ids=IDS)
def test_bob_gets_404_on_alices_objects(api, bob_admin, alice_ids, method, path, body):
    # Given alice's portfolio with an address and an offset
    before = snapshot(api, alice_ids)

    # When bob tries to reach them
    response = getattr(bob_admin, method)(path.format(**alice_ids), body, format="json")

    # Then he is told they do not exist, and they are unchanged
    fail(response, 404)
    assert snapshot(api, alice_ids) == before


CHILD_REQUESTS = [r for r in REQUESTS if "{a}" in r[1] or "{o}" in r[1]]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    CHILD_REQUESTS,
    ids=[f"{m.upper()} {p}" for m, p, _ in CHILD_REQUESTS],
)
def test_alices_children_through_bobs_own_portfolio_are_404(
    api, bob_admin, bob_portfolio, alice_ids, method, path, body
):
    # Given bob's own portfolio id in the path and alice's address or offset id after it
    before = snapshot(api, alice_ids)
    url = path.format(**{**alice_ids, "p": bob_portfolio["id"]})

    fail(getattr(bob_admin, method)(url, body, format="json"), 404)
    assert snapshot(api, alice_ids) == before


def test_lists_show_only_ones_own_portfolios(api, bob_admin, alice_ids, bob_portfolio):
    assert [p["id"] for p in ok(api.get("/api/portfolios"))] == [alice_ids["p"]]
    assert [p["id"] for p in ok(bob_admin.get("/api/portfolios"))] == [bob_portfolio["id"]]


def test_user_endpoint_answers_the_tokens_owner(api, bob_admin):
    assert ok(api.get("/api/user"))["email"] == "alice@example.com"
    assert ok(bob_admin.get("/api/user"))["email"] == "bob@example.com"


def test_alices_portfolio_is_404_for_bob_exactly_as_a_missing_one(bob_admin, alice_ids):
    # The two answers must not differ beyond the time and the request's id, or ids could be
    # probed.
    theirs = fail(bob_admin.get(f"/api/portfolios/{alice_ids['p']}"), 404)
    missing = fail(bob_admin.get("/api/portfolios/999999"), 404)
    for body in (theirs, missing):
        body.pop("time"), body.pop("request_id")
    assert theirs == missing
