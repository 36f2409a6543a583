"""Cross-cutting rules of API.md: the envelope, fixed failure messages, paths, dates, amounts."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection

from tests.api.conftest import fail, invalid, ok
from tests.conftest import client_for

UTC_DATE = re.compile(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00\Z")

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="exact 38-digit storage needs PostgreSQL"
)
sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the 15-digit limit is SQLite's"
)


# --- envelope and failures -------------------------------------------------------------------


def test_user_endpoint(api, alice):
    result = ok(api.get("/api/user"))

    assert set(result) == {"name", "email", "created_at", "uuid"}
    assert result["uuid"] == str(alice.uuid)  # the v1 surface's user_id
    assert result["name"] == "Alice"
    assert result["email"] == "alice@example.com"
    assert UTC_DATE.match(result["created_at"])


@pytest.mark.parametrize("path", ["//api/user", "/api//user", "//api//user"])
def test_repeated_slashes_are_collapsed(api, path):
    # The test client would read "//api" as a host name, so the raw path goes in PATH_INFO,
    # as a WSGI server passes it on.
    assert ok(api.get("/", PATH_INFO=path))["email"] == "alice@example.com"


@pytest.mark.parametrize(
    "path", ["/api/nothing-here", "/api/portfolios/1/nothing", "/api/portfolios/abc"]
)
def test_unknown_api_route_is_a_404_envelope(api, path):
    response = api.get(path)

    fail(response, 404)
    assert b"<html" not in response.content.lower()


def test_unknown_route_without_a_token_is_still_json(db, anon):
    fail(anon.get("/api/nothing-here"), 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "/api/portfolios/{id}"),
        ("post", "/api/user"),
        ("delete", "/api/user"),
        ("patch", "/api/portfolios"),
        ("delete", "/api/portfolios"),
        ("post", "/api/currencies"),
    ],
)
def test_method_not_allowed_is_a_405_envelope(alice, portfolio, method, path):
    client = client_for(alice, "admin")
    response = getattr(client, method)(path.format(id=portfolio["id"]), {}, format="json")
    fail(response, 405)


def test_malformed_json_is_a_400(api):
    response = api.post(
        "/api/portfolios", data='{"title": "x", "currencies": [', content_type="application/json"
    )
    body = fail(response, 400)
    assert body["invalid"]  # says what was wrong with the body


def test_json_body_that_is_not_an_object_is_refused(api):
    response = api.post("/api/portfolios", data='["btc"]', content_type="application/json")
    assert invalid(response) == ["the request body must be an object"]


def test_unhandled_exception_is_a_500_envelope_without_traceback(api, monkeypatch):
    # Given a selector that blows up
    def explode(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("portfolios.api.portfolio_list", explode)
    api.raise_request_exception = False

    # When the list is asked for
    response = api.get("/api/portfolios")

    # Then the answer is the 500 envelope, with nothing of the exception in it
    body = fail(response, 500)
    assert body["request_id"] == response["X-Request-ID"]
    assert b"secret internals" not in response.content
    assert b"Traceback" not in response.content
    assert b"RuntimeError" not in response.content


def test_request_id_is_returned(db, anon):
    response = anon.get("/api/status", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"


# --- dates and order -----------------------------------------------------------------------


def test_dates_are_utc_with_explicit_offset(api, portfolio, offset):
    detail = ok(api.get(f"/api/portfolios/{portfolio['id']}"))
    summary = ok(api.get("/api/portfolios"))[0]
    offset_detail = ok(api.get(f"/api/portfolios/{portfolio['id']}/offsets/{offset['id']}"))

    dates = [detail["created_at"], detail["updated_at"], summary["created_at"]]
    dates += [offset_detail["created_at"], offset_detail["updated_at"]]
    dates += [b["created_at"] for b in offset_detail["balances"]]
    assert all(UTC_DATE.match(d) for d in dates), dates


def test_per_currency_rows_are_sorted_by_code(api, portfolio):
    body = {
        "title": "Unsorted",
        "balances": [
            {"currency": "usd", "balance": "3"},
            {"currency": "btc", "balance": "1"},
            {"currency": "ltc", "balance": "2"},
        ],
    }
    result = ok(api.post(f"/api/portfolios/{portfolio['id']}/offsets", body, format="json"), 201)
    assert [b["currency"]["code"] for b in result["balances"]] == ["btc", "ltc", "usd"]


# --- amounts -------------------------------------------------------------------------------


def _round_trip(api, portfolio, balance) -> str:
    """Create an offset with one btc balance, read it back, and return the amount as answered."""
    body = {"title": f"Amount {balance!r}", "balances": [{"currency": "btc", "balance": balance}]}
    created = ok(api.post(f"/api/portfolios/{portfolio['id']}/offsets", body, format="json"), 201)
    read = ok(api.get(f"/api/portfolios/{portfolio['id']}/offsets/{created['id']}"))
    assert created["balances"][0]["balance"] == read["balances"][0]["balance"]
    return read["balances"][0]["balance"]


@pytest.mark.parametrize(
    ("sent", "answered"),
    [
        ("10", "10.0"),
        ("-2", "-2.0"),
        ("0", "0.0"),
        ("0.00168574", "0.00168574"),
        ("50.005010", "50.00501"),
        ("1e-8", "0.00000001"),
        ("1E+3", "1000.0"),
        ("0.000000000000000001", "0.000000000000000001"),
        ("1.500000000000000000000", "1.5"),  # trailing zeros do not count against 18 places
        ("123456789012345", "123456789012345.0"),  # 15 significant digits: fine everywhere
        (10, "10.0"),
        (-7, "-7.0"),
    ],
)
def test_amounts_round_trip(api, portfolio, sent, answered):
    assert _round_trip(api, portfolio, sent) == answered


def test_json_number_is_read_exactly_not_as_a_float(api, portfolio):
    # Given a JSON body whose balance is the number 0.1 (a float would be 0.1000000000000000055...)
    body = '{"title": "Float", "balances": [{"currency": "btc", "balance": 0.1}]}'
    url = f"/api/portfolios/{portfolio['id']}/offsets"

    # When it is created, then the stored amount is exactly 0.1
    created = ok(api.post(url, data=body, content_type="application/json"), 201)
    assert created["balances"][0]["balance"] == "0.1"


@postgres_only
@pytest.mark.parametrize(
    "amount",
    [
        "123456789012345678.123456789012345678",
        "-123456789012345678.123456789012345678",
        "99999999999999999999.999999999999999999",
        "0.123456789012345678",
        "1.000000000000000001",
    ],
)
def test_full_precision_round_trips_on_postgresql(api, portfolio, amount):
    assert _round_trip(api, portfolio, amount) == amount


@sqlite_only
@pytest.mark.parametrize(
    "amount", ["123456789012345678.123456789012345678", "1.000000000000000001", "1234567890123456"]
)
def test_sqlite_refuses_amounts_it_cannot_store_exactly(api, portfolio, amount):
    # Given the embedded SQLite database, which keeps 15 significant digits
    body = {"title": "Too precise", "balances": [{"currency": "btc", "balance": amount}]}

    # When an amount with more is sent
    response = api.post(f"/api/portfolios/{portfolio['id']}/offsets", body, format="json")

    # Then it is refused with a sentence that names the way out, and nothing is stored
    [sentence] = invalid(response)
    assert "PostgreSQL" in sentence
    assert amount in sentence
    assert ok(api.get(f"/api/portfolios/{portfolio['id']}/offsets")) == []


@pytest.mark.parametrize(
    ("amount", "fragment"),
    [
        ("0.0000000000000000001", "more than 18 decimal places"),
        ("1.1234567890123456789", "more than 18 decimal places"),
        ("123456789012345678901", "too large"),
        ("1e999999999", "too large"),
        ("1e-999999999", "more than 18 decimal places"),
        ("1." + "0" * 70 + "1", "more than 18 decimal places"),
        ("abc", "is not a number"),
        ("NaN", "is not a finite number"),
        ("Infinity", "is not a finite number"),
        ("", "is not a number"),
    ],
)
def test_amounts_that_cannot_be_stored_are_refused(api, portfolio, amount, fragment):
    body = {"title": "Bad", "balances": [{"currency": "btc", "balance": amount}]}
    [sentence] = invalid(
        api.post(f"/api/portfolios/{portfolio['id']}/offsets", body, format="json")
    )
    assert fragment in sentence
    assert sentence.startswith("balance for btc")


def test_amount_is_never_a_json_number(api, portfolio, offset):
    result = ok(api.get(f"/api/portfolios/{portfolio['id']}/offsets/{offset['id']}"))
    for row in result["balances"]:
        assert isinstance(row["balance"], str)
        assert "e" not in row["balance"].lower()
        assert Decimal(row["balance"]) in (Decimal(1), Decimal(10))
