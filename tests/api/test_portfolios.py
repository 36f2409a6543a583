"""Portfolios: list, create, get, patch, delete."""

from __future__ import annotations

import pytest

from tests.api.conftest import BTC_ADDRESS, fail, invalid, ok
from tests.conftest import client_for

SUMMARY_KEYS = {
    "id",
    "title",
    "created_at",
    "updated_at",
    "balances_last_updated",
    "histories_last_updated",
    "converted_balances_last_updated",
    "converted_histories_last_updated",
    # The portfolio's settings (issue 13): tests/api/test_portfolio_targets.py
    "uuid",
    "description",
    "target_allocations",
    "risk_tolerance",
    "tags",
    "is_default",
    "is_active",
    "status",
    "last_rebalanced_at",
    "currencies",
    "accounts",
    "addresses",
    "offsets",
}
DETAIL_KEYS = SUMMARY_KEYS | {"source"}
LAST_UPDATED = [
    "balances_last_updated",
    "histories_last_updated",
    "converted_balances_last_updated",
    "converted_histories_last_updated",
]
BTC = {"code": "btc", "title": "Bitcoin"}
USD = {"code": "usd", "title": "United States dollar"}
NZD = {"code": "nzd", "title": "New Zealand dollar"}


def create(client, body, **kwargs):
    return client.post("/api/portfolios", body, format="json", **kwargs)


# --- create --------------------------------------------------------------------------------


def test_create_answers_the_new_portfolio(api):
    result = ok(create(api, {"title": "My portfolio", "currencies": ["btc", "usd"]}), 201)

    assert set(result) == DETAIL_KEYS
    assert isinstance(result["id"], int)
    assert result["title"] == "My portfolio"
    assert result["currencies"] == [BTC, USD]
    assert result["accounts"] == result["addresses"] == result["offsets"] == []
    assert result["source"] == "private-api"
    assert all(result[key] is None for key in LAST_UPDATED)


def test_create_keeps_the_order_of_currencies_and_drops_repeats(api):
    result = ok(create(api, {"title": "P", "currencies": ["usd", "BTC", "btc"]}), 201)
    assert result["currencies"] == [USD, BTC]


def test_create_accepts_currency_objects_echoed_back(api):
    result = ok(create(api, {"title": "P", "currencies": [BTC]}), 201)
    assert result["currencies"] == [BTC]


def test_create_then_get_answers_the_same(api):
    created = ok(create(api, {"title": "P", "currencies": ["nzd"]}), 201)
    assert ok(api.get(f"/api/portfolios/{created['id']}")) == created


@pytest.mark.parametrize(
    ("body", "sentences"),
    [
        ({"currencies": ["btc"]}, ["title is required"]),
        ({"title": "", "currencies": ["btc"]}, ["title must not be empty"]),
        ({"title": "   ", "currencies": ["btc"]}, ["title must not be empty"]),
        ({"title": "x" * 101, "currencies": ["btc"]}, ["title must be at most 100 characters"]),
        ({"title": ["a", "b"], "currencies": ["btc"]}, ["title must be text"]),
        ({"title": "P"}, ["must have at least one reporting currency selected"]),
        ({"title": "P", "currencies": []}, ["must have at least one reporting currency selected"]),
        ({"title": "P", "currencies": ["xyz"]}, ["unknown currency 'xyz'"]),
        (
            {"title": "P", "currencies": ["btc", "xyz", "abc"]},
            ["unknown currency 'xyz'", "unknown currency 'abc'"],
        ),
    ],
)
def test_create_refuses_bad_input(api, body, sentences):
    assert invalid(create(api, body)) == sentences
    assert ok(api.get("/api/portfolios")) == []


def test_title_of_100_characters_is_fine(api):
    assert ok(create(api, {"title": "x" * 100, "currencies": ["btc"]}), 201)["title"] == "x" * 100


def test_titles_need_not_be_unique(api, bob_api):
    # Given alice has a portfolio called "Main"
    first = ok(create(api, {"title": "Main", "currencies": ["btc"]}), 201)

    # When she creates another one with the same title, and renames a third one to it
    second = ok(create(api, {"title": "Main", "currencies": ["usd"]}), 201)
    third = ok(create(api, {"title": "Savings", "currencies": ["eur"]}), 201)
    renamed = ok(api.patch(f"/api/portfolios/{third['id']}", {"title": "Main"}, format="json"))

    # Then all three succeed, are distinct portfolios, and all are called "Main"
    assert renamed["title"] == "Main"
    assert len({first["id"], second["id"], third["id"]}) == 3
    listed = ok(api.get("/api/portfolios"))
    assert [(p["id"], p["title"]) for p in listed] == [
        (first["id"], "Main"),
        (second["id"], "Main"),
        (third["id"], "Main"),
    ]
    # and bob may use the same title too
    ok(create(bob_api, {"title": "Main", "currencies": ["btc"]}), 201)


@pytest.fixture
def postgresql():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: parallel requests each on their own connection")


def test_two_clients_creating_the_same_title_at_once_both_succeed(postgresql, alice, live_server):
    """Each request on its own connection and transaction (on SQLite, which serialises
    writers, the sequential test above says the same)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from tests.conftest import make_token

    token = make_token(alice, "read write").token
    start = threading.Barrier(8)

    def post(i: int) -> int:
        start.wait(timeout=10)
        return requests.post(
            f"{live_server.url}/api/portfolios",
            json={"title": "Same second", "currencies": ["usd"]},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(post, range(8)))

    assert statuses == [201] * 8
    assert alice.portfolios.filter(title="Same second").count() == 8


# --- list ----------------------------------------------------------------------------------


def test_list_is_empty_at_first(api):
    assert ok(api.get("/api/portfolios")) == []


def test_list_shows_counts(api, portfolio, address, offset):
    # Given a second, empty portfolio
    ok(create(api, {"title": "Empty", "currencies": ["nzd"]}), 201)

    # When the list is read
    result = ok(api.get("/api/portfolios"))

    # Then each entry shows counts, not lists
    assert [p["title"] for p in result] == ["Main", "Empty"]
    main, empty = result
    assert set(main) == SUMMARY_KEYS
    assert (main["currencies"], main["accounts"], main["addresses"], main["offsets"]) == (
        2,
        0,
        1,
        1,
    )
    assert (empty["currencies"], empty["accounts"], empty["addresses"], empty["offsets"]) == (
        1,
        0,
        0,
        0,
    )
    assert all(main[key] is None for key in LAST_UPDATED)


def test_counts_are_independent_of_each_other(api, portfolio, address):
    # Given two addresses and three offsets (a join would multiply them)
    url = f"/api/portfolios/{portfolio['id']}"
    ok(
        api.post(
            f"{url}/addresses",
            {"address": "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "currency": "btc"},
            format="json",
        ),
        201,
    )
    for title in ("a", "b", "c"):
        ok(api.post(f"{url}/offsets", {"title": title}, format="json"), 201)

    [summary] = ok(api.get("/api/portfolios"))

    assert (summary["currencies"], summary["addresses"], summary["offsets"]) == (2, 2, 3)


# --- get -----------------------------------------------------------------------------------


def test_detail_lists_addresses_and_offsets(api, portfolio, address, offset):
    result = ok(api.get(f"/api/portfolios/{portfolio['id']}"))

    assert set(result) == DETAIL_KEYS
    assert result["currencies"] == [BTC, USD]
    assert result["addresses"] == [
        {"id": address["id"], "title": "Cold wallet", "address": BTC_ADDRESS, "currency": BTC}
    ]
    assert result["offsets"] == [
        {
            "id": offset["id"],
            "title": "Paper wallet",
            "created_at": offset["created_at"],
            "updated_at": offset["updated_at"],
        }
    ]
    assert result["accounts"] == []
    assert result["source"] == "private-api"


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_unknown_portfolio_is_404(api, method):
    fail(getattr(api, method)("/api/portfolios/999999", {}, format="json"), 404)


# --- patch ---------------------------------------------------------------------------------


def test_patch_title_keeps_currencies(api, portfolio):
    result = ok(
        api.patch(f"/api/portfolios/{portfolio['id']}", {"title": "Renamed"}, format="json")
    )

    assert result["title"] == "Renamed"
    assert result["currencies"] == [BTC, USD]
    assert result["created_at"] == portfolio["created_at"]
    assert ok(api.get(f"/api/portfolios/{portfolio['id']}")) == result


def test_patch_currencies_replaces_them(api, portfolio):
    url = f"/api/portfolios/{portfolio['id']}"

    result = ok(api.patch(url, {"currencies": ["nzd", "btc"]}, format="json"))

    assert result["title"] == "Main"
    assert result["currencies"] == [NZD, BTC]
    assert ok(api.get(url))["currencies"] == [NZD, BTC]


def test_patch_with_empty_body_changes_nothing(api, portfolio):
    result = ok(api.patch(f"/api/portfolios/{portfolio['id']}", {}, format="json"))
    assert {k: result[k] for k in ("title", "currencies")} == {
        "title": "Main",
        "currencies": [BTC, USD],
    }


def test_patch_to_the_same_title_is_fine(api, portfolio):
    result = ok(api.patch(f"/api/portfolios/{portfolio['id']}", {"title": "Main"}, format="json"))
    assert result["title"] == "Main"


@pytest.mark.parametrize(
    ("body", "sentences"),
    [
        ({"currencies": []}, ["must have at least one reporting currency selected"]),
        ({"currencies": ["xyz"]}, ["unknown currency 'xyz'"]),
        ({"title": ""}, ["title must not be empty"]),
        ({"title": "y" * 101}, ["title must be at most 100 characters"]),
    ],
)
def test_patch_refuses_bad_input_and_changes_nothing(api, portfolio, body, sentences):
    url = f"/api/portfolios/{portfolio['id']}"

    assert invalid(api.patch(url, body, format="json")) == sentences

    after = ok(api.get(url))
    assert (after["title"], after["currencies"], after["updated_at"]) == (
        "Main",
        [BTC, USD],
        portfolio["updated_at"],
    )


# --- delete --------------------------------------------------------------------------------


def test_delete_answers_the_portfolio_as_it_was(api, portfolio, address, offset):
    url = f"/api/portfolios/{portfolio['id']}"
    before = ok(api.get(url))

    assert ok(api.delete(url)) == before

    fail(api.get(url), 404)
    fail(api.get(f"{url}/addresses/{address['id']}"), 404)
    fail(api.get(f"{url}/offsets/{offset['id']}"), 404)
    assert ok(api.get("/api/portfolios")) == []


def test_delete_twice_is_404(api, portfolio):
    ok(api.delete(f"/api/portfolios/{portfolio['id']}"))
    fail(api.delete(f"/api/portfolios/{portfolio['id']}"), 404)


def test_admin_scope_alone_can_do_everything(alice):
    client = client_for(alice, "admin")
    created = ok(create(client, {"title": "A", "currencies": ["btc"]}), 201)
    url = f"/api/portfolios/{created['id']}"
    ok(client.patch(url, {"title": "B"}, format="json"))
    assert ok(client.delete(url))["title"] == "B"
