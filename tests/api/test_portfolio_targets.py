"""A portfolio's settings on /api/portfolios: description, target allocations (fractions summing
to exactly 1), risk tolerance, tags, default, active, status, last rebalance, and its uuid;
as JSON and in bracket-notation forms; bad input is 422 and changes nothing."""

from __future__ import annotations

import uuid

import pytest

from portfolios.models import Portfolio
from tests.api.conftest import invalid, ok
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def create(client, body, **kwargs):
    return client.post("/api/portfolios", {"currencies": ["usd"], **body}, format="json", **kwargs)


def test_defaults_of_a_new_portfolio(api):
    result = ok(create(api, {"title": "P"}), 201)

    assert uuid.UUID(result["uuid"])
    assert {k: result[k] for k in DEFAULTS} == DEFAULTS


DEFAULTS = {
    "description": "",
    "target_allocations": {},
    "risk_tolerance": "moderate",
    "tags": [],
    "is_default": False,
    "is_active": True,
    "status": "created",
    "last_rebalanced_at": None,
}


def test_every_setting_is_written_shown_and_listed(api):
    body = {
        "title": "Long term",
        "description": "  The coins I keep  ",
        "target_allocations": {"BTC": 0.6, "eth": "0.4"},
        "risk_tolerance": "aggressive",
        "tags": ["core", " hodl ", "core"],
        "is_default": True,
        "is_active": False,
        "status": "rebalancing",
        "last_rebalanced_at": "2026-01-31T12:00:00Z",
    }
    result = ok(create(api, body), 201)

    expected = {
        "description": "The coins I keep",
        "target_allocations": {"btc": "0.6", "eth": "0.4"},
        "risk_tolerance": "aggressive",
        "tags": ["core", "hodl"],
        "is_default": True,
        "is_active": False,
        "status": "rebalancing",
        "last_rebalanced_at": "2026-01-31T12:00:00+00:00",
    }
    assert {k: result[k] for k in expected} == expected
    assert ok(api.get(f"/api/portfolios/{result['id']}")) == result
    listed = ok(api.get("/api/portfolios"))[0]
    assert {k: listed[k] for k in expected} == expected
    assert listed["uuid"] == result["uuid"]


def test_patch_changes_only_what_it_names_and_empty_targets_clear_them(api):
    created = ok(
        create(api, {"title": "P", "target_allocations": {"btc": "1"}, "tags": ["a"]}), 201
    )
    url = f"/api/portfolios/{created['id']}"

    result = ok(api.patch(url, {"status": "active"}, format="json"))
    assert (result["status"], result["tags"], result["target_allocations"]) == (
        "active",
        ["a"],
        {"btc": "1.0"},
    )
    result = ok(api.patch(url, {"target_allocations": {}, "tags": []}, format="json"))
    assert (result["target_allocations"], result["tags"]) == ({}, [])
    result = ok(api.patch(url, {"last_rebalanced_at": None}, format="json"))
    assert result["last_rebalanced_at"] is None
    assert result["uuid"] == created["uuid"]  # stable


@pytest.mark.parametrize(
    ("targets", "sentences"),
    [
        (
            {"btc": "0.6", "eth": "0.3"},
            ["target_allocations must sum to exactly 1 (these sum to 0.9)"],
        ),
        (
            {"btc": "0.7", "eth": "0.300000000000000001"},
            ["target_allocations must sum to exactly 1 (these sum to 1.000000000000000001)"],
        ),
        (
            {"btc": "1.2", "eth": "-0.2"},
            [
                "target_allocations[btc] must be at most 1",
                "target_allocations[eth] must not be negative",
            ],
        ),
        ({"btc": "0.5", "xyz": "0.5"}, ["target_allocations names an unknown asset 'xyz'"]),
        ({"btc": "0.5", "BTC": "0.5"}, ["target_allocations names 'btc' more than once"]),
        ({"btc": "half"}, ["target_allocations[btc] 'half' is not a number"]),
        (
            ["btc", "eth"],
            [
                "target_allocations must be an object of asset code to fraction, for example "
                '{"btc": "0.6", "eth": "0.4"}'
            ],
        ),
    ],
)
def test_bad_targets_are_422_and_change_nothing(api, targets, sentences):
    created = ok(create(api, {"title": "P", "target_allocations": {"btc": "1"}}), 201)
    url = f"/api/portfolios/{created['id']}"

    assert (
        invalid(api.patch(url, {"target_allocations": targets, "title": "New"}, format="json"))
        == sentences
    )
    assert ok(api.get(url)) == created
    assert invalid(create(api, {"title": "Q", "target_allocations": targets})) == sentences
    assert Portfolio.objects.count() == 1


def test_other_bad_settings_are_422_with_every_sentence(api):
    body = {
        "title": "P",
        "risk_tolerance": "yolo",
        "status": "sleeping",
        "tags": ["ok", ""],
        "is_active": "maybe",
        "last_rebalanced_at": "2026-01-31 12:00",
    }
    assert invalid(create(api, body)) == [
        "is_active must be true or false",
        "last_rebalanced_at must say its offset, e.g. 'Z'",
    ]
    body = {k: v for k, v in body.items() if k not in ("is_active", "last_rebalanced_at")}
    assert invalid(create(api, body)) == [
        "risk_tolerance must be one of conservative, moderate, aggressive (not 'yolo')",
        "status must be one of created, active, rebalancing, archived (not 'sleeping')",
        "tags must not be empty",
    ]
    assert Portfolio.objects.count() == 0


def test_one_default_per_user_setting_one_clears_the_other(api, bob):
    first = ok(create(api, {"title": "A", "is_default": True}), 201)
    second = ok(create(api, {"title": "B", "is_default": True}), 201)
    bobs = ok(create(client_for(bob), {"title": "Bob's", "is_default": True}), 201)

    assert ok(api.get(f"/api/portfolios/{first['id']}"))["is_default"] is False
    assert second["is_default"] is True
    ok(api.patch(f"/api/portfolios/{first['id']}", {"is_default": True}, format="json"))
    defaults = {p["title"]: p["is_default"] for p in ok(api.get("/api/portfolios"))}
    assert defaults == {"A": True, "B": False}
    # another user's default is untouched
    assert ok(client_for(bob).get(f"/api/portfolios/{bobs['id']}"))["is_default"] is True
    # unsetting leaves the user without one
    ok(api.patch(f"/api/portfolios/{first['id']}", {"is_default": "false"}, format="json"))
    assert not Portfolio.objects.filter(user__email="alice@example.com", is_default=True).exists()


def test_bracket_notation_form_bodies(api):
    # target_allocations[btc]=0.6, tags[]=..., booleans as words
    body = (
        "title=Form&currencies[]=usd&target_allocations[btc]=0.6&target_allocations[eth]=0.4"
        "&tags[]=core&tags[]=long+term&is_default=true&is_active=0&risk_tolerance=conservative"
    )
    response = api.post("/api/portfolios", body, content_type="application/x-www-form-urlencoded")
    result = ok(response, 201)
    assert result["target_allocations"] == {"btc": "0.6", "eth": "0.4"}
    assert result["tags"] == ["core", "long term"]
    assert (result["is_default"], result["is_active"], result["risk_tolerance"]) == (
        True,
        False,
        "conservative",
    )
    # A bare key clears: target_allocations and tags[]
    response = api.patch(
        f"/api/portfolios/{result['id']}",
        "target_allocations&tags[]",
        content_type="application/x-www-form-urlencoded",
    )
    assert (ok(response)["target_allocations"], ok(response)["tags"]) == ({}, [])
    # A bad sum in a form is the same 422
    response = api.patch(
        f"/api/portfolios/{result['id']}",
        "target_allocations[btc]=0.5",
        content_type="application/x-www-form-urlencoded",
    )
    assert invalid(response) == ["target_allocations must sum to exactly 1 (these sum to 0.5)"]


def test_clients_marking_defaults_at_once_leave_exactly_one(alice, live_server):
    """Each request on its own connection and transaction: creates and patches that all set
    ``is_default`` race; every one succeeds and the user ends with one default."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: parallel requests each on their own connection")
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from tests.conftest import make_token

    existing = [
        ok(create(client_for(alice), {"title": f"Old {i}", "is_default": i == 0}), 201)["id"]
        for i in range(4)
    ]
    token = make_token(alice, "read write").token
    headers = {"Authorization": f"Bearer {token}"}
    start = threading.Barrier(8)

    def mark(i: int) -> int:
        start.wait(timeout=10)
        if i < 4:
            return requests.patch(
                f"{live_server.url}/api/portfolios/{existing[i]}",
                json={"is_default": True},
                headers=headers,
                timeout=30,
            ).status_code
        return requests.post(
            f"{live_server.url}/api/portfolios",
            json={"title": f"New {i}", "currencies": ["usd"], "is_default": True},
            headers=headers,
            timeout=30,
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(mark, range(8)))

    assert sorted(statuses) == [200] * 4 + [201] * 4
    assert alice.portfolios.count() == 8
    assert alice.portfolios.filter(is_default=True).count() == 1


def test_thirds_are_stored_exactly_or_refused_never_rounded(api):
    from django.db import connection

    thirds = {
        "btc": "0.333333333333333333",
        "eth": "0.333333333333333333",
        "ltc": "0.333333333333333334",
    }
    response = create(api, {"title": "Thirds", "target_allocations": thirds})
    if connection.vendor == "postgresql":
        assert ok(response, 201)["target_allocations"] == thirds
    else:
        # the embedded SQLite database keeps 15 significant digits: refused, nothing stored
        [sentence] = invalid(response)
        assert "more significant digits than the embedded SQLite database stores" in sentence
        assert Portfolio.objects.count() == 0
