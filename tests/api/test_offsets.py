"""Offsets of a portfolio: hand-entered balances, which may be negative."""

from __future__ import annotations

import pytest

from tests.api.conftest import fail, invalid, ok

OFFSET_KEYS = {"id", "title", "created_at", "updated_at", "balances"}
BALANCE_KEYS = {"currency", "balance", "created_at", "updated_at", "source"}


def url(portfolio, offset=None) -> str:
    base = f"/api/portfolios/{portfolio['id']}/offsets"
    return base if offset is None else f"{base}/{offset['id']}"


def balances(result) -> list[tuple[str, str]]:
    return [(b["currency"]["code"], b["balance"]) for b in result["balances"]]


def test_create_answers_the_offset_with_sorted_balances(api, portfolio, offset):
    assert set(offset) == OFFSET_KEYS
    assert offset["title"] == "Paper wallet"
    assert balances(offset) == [("btc", "10.0"), ("ltc", "1.0")]
    for row in offset["balances"]:
        assert set(row) == BALANCE_KEYS
        assert row["source"] == "private-api"
    # a currency inside a row is {code, title}, as everywhere in the API
    assert [b["currency"] for b in offset["balances"]] == [
        {"code": "btc", "title": "Bitcoin"},
        {"code": "ltc", "title": "Litecoin"},
    ]
    assert ok(api.get(url(portfolio, offset))) == offset


def test_every_answer_of_an_offset_names_its_currencies_with_code_and_title(api, portfolio):
    # POST, PATCH, GET and DELETE all answer the offset with its balances
    body = {"title": "T", "balances": [{"currency": "rep", "balance": "3"}]}
    created = ok(api.post(url(portfolio), body, format="json"), 201)
    patched = ok(
        api.patch(
            url(portfolio, created),
            {
                "balances": [
                    {"currency": "usd", "balance": "1"},
                    {"currency": "eth", "balance": "2"},
                ]
            },
            format="json",
        )
    )
    read = ok(api.get(url(portfolio, created)))
    deleted = ok(api.delete(url(portfolio, created)))

    assert [(b["currency"]["code"], b["currency"]["title"]) for b in created["balances"]] == [
        ("rep", "Augur")
    ]
    for answer in (patched, read, deleted):
        assert [(b["currency"]["code"], b["currency"]["title"]) for b in answer["balances"]] == [
            ("eth", "Ethereum"),
            ("usd", "United States dollar"),
        ]


def test_create_without_balances(api, portfolio):
    result = ok(api.post(url(portfolio), {"title": "Empty"}, format="json"), 201)
    assert result["balances"] == []


def test_negative_balances_are_allowed(api, portfolio):
    body = {
        "title": "Correction",
        "balances": [{"currency": "btc", "balance": "-0.5"}, {"currency": "usd", "balance": -20}],
    }

    result = ok(api.post(url(portfolio), body, format="json"), 201)

    assert balances(result) == [("btc", "-0.5"), ("usd", "-20.0")]


def test_balance_for_any_known_currency_even_not_a_reporting_one(api, portfolio):
    body = {"title": "Tokens", "balances": [{"currency": "REP", "balance": "3"}]}
    assert balances(ok(api.post(url(portfolio), body, format="json"), 201)) == [("rep", "3.0")]


@pytest.mark.parametrize(
    ("body", "sentences"),
    [
        ({"balances": []}, ["title is required"]),
        ({"title": "", "balances": []}, ["title must not be empty"]),
        ({"title": "o" * 101}, ["title must be at most 100 characters"]),
        (
            {"title": "T", "balances": [{"currency": "xyz", "balance": "1"}]},
            ["unknown currency 'xyz'"],
        ),
        (
            {
                "title": "T",
                "balances": [
                    {"currency": "btc", "balance": "1"},
                    {"currency": "BTC", "balance": "2"},
                ],
            },
            ["currency 'btc' is listed more than once"],
        ),
        (
            {"title": "T", "balances": [{"currency": "btc", "balance": "ten"}]},
            ["balance for btc 'ten' is not a number"],
        ),
        (
            {"title": "T", "balances": [{"currency": "btc", "balance": True}]},
            ['balance for btc must be a number, for example "1.5"'],
        ),
        ({"title": "T", "balances": [{"currency": "btc"}]}, ["balance 1 is missing balance"]),
        ({"title": "T", "balances": [{"balance": "1"}]}, ["balance 1 is missing currency"]),
        (
            {"title": "T", "balances": ["btc"]},
            ["balances must be a list of objects with currency and balance"],
        ),
        (
            {
                "title": "T",
                "balances": [
                    {"currency": "xyz", "balance": "1"},
                    {"currency": "btc", "balance": "1,5"},
                    {"currency": "ltc", "balance": "2"},
                ],
            },
            ["unknown currency 'xyz'", "balance for btc '1,5' is not a number"],
        ),
    ],
)
def test_create_refuses_bad_input(api, portfolio, body, sentences):
    assert invalid(api.post(url(portfolio), body, format="json")) == sentences
    assert ok(api.get(url(portfolio))) == []


def test_list_shows_offsets_without_balances(api, portfolio, offset):
    second = ok(api.post(url(portfolio), {"title": "Second"}, format="json"), 201)

    result = ok(api.get(url(portfolio)))

    assert result == [
        {k: offset[k] for k in ("id", "title", "created_at", "updated_at")},
        {k: second[k] for k in ("id", "title", "created_at", "updated_at")},
    ]


def test_list_of_unknown_portfolio_is_404(api):
    fail(api.get("/api/portfolios/999999/offsets"), 404)
    fail(api.post("/api/portfolios/999999/offsets", {"title": "T"}, format="json"), 404)


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_unknown_offset_is_404(api, portfolio, method):
    fail(getattr(api, method)(f"{url(portfolio)}/999999", {}, format="json"), 404)


def test_patch_with_balances_replaces_the_whole_set(api, portfolio, offset):
    body = {
        "title": "My second offset",
        "balances": [{"currency": "btc", "balance": "5"}, {"currency": "usd", "balance": "10"}],
    }

    result = ok(api.patch(url(portfolio, offset), body, format="json"))

    assert result["title"] == "My second offset"
    assert balances(result) == [("btc", "5.0"), ("usd", "10.0")]
    assert ok(api.get(url(portfolio, offset))) == result


def test_patch_without_balances_keeps_them(api, portfolio, offset):
    result = ok(api.patch(url(portfolio, offset), {"title": "Renamed"}, format="json"))

    assert result["title"] == "Renamed"
    assert balances(result) == [("btc", "10.0"), ("ltc", "1.0")]


def test_patch_with_empty_balances_clears_them(api, portfolio, offset):
    result = ok(api.patch(url(portfolio, offset), {"balances": []}, format="json"))

    assert result["title"] == "Paper wallet"
    assert result["balances"] == []


@pytest.mark.parametrize(
    ("body", "sentences"),
    [
        ({"balances": [{"currency": "xyz", "balance": "1"}]}, ["unknown currency 'xyz'"]),
        (
            {"balances": [{"currency": "btc", "balance": "x"}]},
            ["balance for btc 'x' is not a number"],
        ),
        (
            {
                "balances": [
                    {"currency": "ltc", "balance": "1"},
                    {"currency": "ltc", "balance": "1"},
                ]
            },
            ["currency 'ltc' is listed more than once"],
        ),
        ({"title": "", "balances": []}, ["title must not be empty"]),
    ],
)
def test_patch_refuses_bad_input_and_changes_nothing(api, portfolio, offset, body, sentences):
    assert invalid(api.patch(url(portfolio, offset), body, format="json")) == sentences
    assert ok(api.get(url(portfolio, offset))) == offset


def test_delete_answers_the_offset_as_it_was(api, portfolio, offset):
    assert ok(api.delete(url(portfolio, offset))) == offset

    fail(api.get(url(portfolio, offset)), 404)
    assert ok(api.get(url(portfolio))) == []
    assert ok(api.get(f"/api/portfolios/{portfolio['id']}"))["offsets"] == []
