"""Addresses of a portfolio: list, create, get, patch, delete; checked with the chain's rules."""

from __future__ import annotations

import pytest

from tests.api.conftest import BTC_ADDRESS, BTC_BECH32, ETH_ADDRESS, LTC_ADDRESS, fail, invalid, ok

ADDRESS_KEYS = {
    "id",
    "title",
    "address",
    "currency",
    "valid",
    "created_at",
    "updated_at",
    "txns_last_updated",
    "source",
}
BTC = {"code": "btc", "title": "Bitcoin"}


def url(portfolio, address=None) -> str:
    base = f"/api/portfolios/{portfolio['id']}/addresses"
    return base if address is None else f"{base}/{address['id']}"


def test_create_answers_the_new_address(api, portfolio):
    body = {"title": "New address", "address": BTC_ADDRESS, "currency": "btc"}

    result = ok(api.post(url(portfolio), body, format="json"), 201)

    assert set(result) == ADDRESS_KEYS
    assert result["title"] == "New address"
    assert result["address"] == BTC_ADDRESS
    assert result["currency"] == BTC
    assert result["valid"] is True
    assert result["txns_last_updated"] is None
    assert result["source"] == "private-api"
    assert ok(api.get(url(portfolio, result))) == result


@pytest.mark.parametrize(
    ("currency", "sent", "stored", "shown"),
    [
        ("btc", f"  {BTC_ADDRESS}\n", BTC_ADDRESS, BTC),
        ("BTC", BTC_BECH32.upper(), BTC_BECH32, BTC),
        ("ltc", LTC_ADDRESS, LTC_ADDRESS, {"code": "ltc", "title": "Litecoin"}),
        ("eth", ETH_ADDRESS, ETH_ADDRESS.lower(), {"code": "eth", "title": "Ethereum"}),
        ("rep", ETH_ADDRESS, ETH_ADDRESS.lower(), {"code": "rep", "title": "Augur"}),
    ],
)
def test_create_normalises_the_address(api, portfolio, currency, sent, stored, shown):
    body = {"address": sent, "currency": currency}

    result = ok(api.post(url(portfolio), body, format="json"), 201)

    assert (result["address"], result["currency"]) == (stored, shown)


@pytest.mark.parametrize(
    ("body", "sentences"),
    [
        (
            {"address": "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", "currency": "btc"},
            ["address is not a valid Bitcoin address (bad checksum)"],
        ),
        (
            {"address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", "currency": "eth"},
            ["address is not a valid Ethereum address (bad EIP-55 checksum)"],
        ),
        (
            {"address": BTC_ADDRESS, "currency": "ltc"},
            ["address is not a valid Litecoin address (this looks like a Bitcoin address)"],
        ),
        (
            {"address": BTC_ADDRESS, "currency": "usd"},
            [
                "addresses for currency 'usd' are not supported yet (supported: btc, ltc, eth and "
                "Ethereum tokens); use an offset to track it"
            ],
        ),
        ({"address": BTC_ADDRESS, "currency": "xyz"}, ["unknown currency 'xyz'"]),
        ({"address": BTC_ADDRESS}, ["currency is required"]),
        ({"currency": "btc"}, ["address is required"]),
        ({"address": "", "currency": "btc"}, ["address must not be empty"]),
        (
            {"address": BTC_ADDRESS, "currency": "btc", "title": "t" * 101},
            ["title must be at most 100 characters"],
        ),
    ],
)
def test_create_refuses_bad_input(api, portfolio, body, sentences):
    assert invalid(api.post(url(portfolio), body, format="json")) == sentences
    assert ok(api.get(url(portfolio))) == []


def test_same_address_twice_is_refused(api, portfolio, address):
    body = {"title": "Again", "address": BTC_ADDRESS, "currency": "btc"}

    assert invalid(api.post(url(portfolio), body, format="json")) == [
        f"address {BTC_ADDRESS} (btc) is already in this portfolio"
    ]
    assert len(ok(api.get(url(portfolio)))) == 1


def test_same_address_in_another_portfolio_is_fine(api, portfolio, address):
    other = ok(
        api.post("/api/portfolios", {"title": "Other", "currencies": ["btc"]}, format="json"), 201
    )
    ok(api.post(url(other), {"address": BTC_ADDRESS, "currency": "btc"}, format="json"), 201)


def test_ethereum_address_for_eth_and_a_token_are_two_addresses(api, portfolio):
    ok(api.post(url(portfolio), {"address": ETH_ADDRESS, "currency": "eth"}, format="json"), 201)
    ok(api.post(url(portfolio), {"address": ETH_ADDRESS, "currency": "rep"}, format="json"), 201)
    assert [a["currency"]["code"] for a in ok(api.get(url(portfolio)))] == ["eth", "rep"]


def test_list_shows_brief_rows(api, portfolio, address):
    second = ok(
        api.post(
            url(portfolio),
            {"title": "Hot", "address": LTC_ADDRESS, "currency": "ltc"},
            format="json",
        ),
        201,
    )

    result = ok(api.get(url(portfolio)))

    assert result == [
        {"id": address["id"], "title": "Cold wallet", "address": BTC_ADDRESS, "currency": BTC},
        {
            "id": second["id"],
            "title": "Hot",
            "address": LTC_ADDRESS,
            "currency": {"code": "ltc", "title": "Litecoin"},
        },
    ]


def test_list_of_unknown_portfolio_is_404(api):
    fail(api.get("/api/portfolios/999999/addresses"), 404)
    fail(
        api.post(
            "/api/portfolios/999999/addresses",
            {"address": BTC_ADDRESS, "currency": "btc"},
            format="json",
        ),
        404,
    )


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_unknown_address_is_404(api, portfolio, method):
    fail(getattr(api, method)(f"{url(portfolio)}/999999", {}, format="json"), 404)


def test_address_of_another_portfolio_of_the_same_user_is_404(api, portfolio, address):
    other = ok(
        api.post("/api/portfolios", {"title": "Other", "currencies": ["btc"]}, format="json"), 201
    )
    fail(api.get(url(other, address)), 404)


def test_patch_title(api, portfolio, address):
    result = ok(api.patch(url(portfolio, address), {"title": "A new address title"}, format="json"))

    assert result["title"] == "A new address title"
    assert (result["address"], result["currency"]) == (BTC_ADDRESS, BTC)
    assert ok(api.get(url(portfolio, address))) == result


def test_patch_address(api, portfolio, address):
    result = ok(api.patch(url(portfolio, address), {"address": BTC_BECH32}, format="json"))

    assert (result["title"], result["address"], result["valid"]) == (
        "Cold wallet",
        BTC_BECH32,
        True,
    )


def test_patch_currency_checks_the_address_again(api, portfolio, address):
    sentences = invalid(api.patch(url(portfolio, address), {"currency": "ltc"}, format="json"))

    assert sentences == [
        "address is not a valid Litecoin address (this looks like a Bitcoin address)"
    ]
    assert ok(api.get(url(portfolio, address)))["currency"] == BTC


@pytest.mark.parametrize(
    ("body", "sentences"),
    [
        (
            {"address": "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"},
            ["address is not a valid Bitcoin address (bad checksum)"],
        ),
        ({"currency": "xyz"}, ["unknown currency 'xyz'"]),
        ({"title": "x" * 101}, ["title must be at most 100 characters"]),
    ],
)
def test_patch_refuses_bad_input_and_changes_nothing(api, portfolio, address, body, sentences):
    assert invalid(api.patch(url(portfolio, address), body, format="json")) == sentences
    assert ok(api.get(url(portfolio, address))) == address


def test_an_address_title_is_optional_and_can_be_cleared(api, portfolio, address):
    # The model allows a blank title: a client clearing it is not an error.
    assert ok(api.patch(url(portfolio, address), {"title": ""}, format="json"))["title"] == ""


def test_patch_into_a_duplicate_is_refused(api, portfolio, address):
    second = ok(
        api.post(url(portfolio), {"address": BTC_BECH32, "currency": "btc"}, format="json"), 201
    )

    sentences = invalid(api.patch(url(portfolio, second), {"address": BTC_ADDRESS}, format="json"))

    assert sentences == [f"address {BTC_ADDRESS} (btc) is already in this portfolio"]


def test_delete_answers_the_address_as_it_was(api, portfolio, address):
    assert ok(api.delete(url(portfolio, address))) == address

    fail(api.get(url(portfolio, address)), 404)
    assert ok(api.get(url(portfolio))) == []
    assert ok(api.get(f"/api/portfolios/{portfolio['id']}"))["addresses"] == []
