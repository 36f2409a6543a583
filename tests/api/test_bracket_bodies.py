"""Bodies in bracket notation, as Ruby, PHP and Rails-style clients send nested data:
form-urlencoded and multipart, on POST and PATCH."""

from __future__ import annotations

import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from tests.api.conftest import BTC_ADDRESS, invalid, ok

FORM = "application/x-www-form-urlencoded"
BTC = {"code": "btc", "title": "Bitcoin"}
USD = {"code": "usd", "title": "United States dollar"}


def form(client, method, url, body: str):
    return getattr(client, method)(url, data=body, content_type=FORM)


def multipart(client, method, url, pairs: list[tuple[str, str]]):
    """A multipart body with the fields in exactly this order (repeated names included)."""
    lines = []
    for name, value in pairs:
        lines += [
            f"--{BOUNDARY}",
            f'Content-Disposition: form-data; name="{name}"',
            "",
            value,
        ]
    lines += [f"--{BOUNDARY}--", ""]
    body = "\r\n".join(lines).encode()
    return getattr(client, method)(url, data=body, content_type=MULTIPART_CONTENT)


def balances(result):
    return [(b["currency"]["code"], b["balance"]) for b in result["balances"]]


# --- portfolios --------------------------------------------------------------------------


def test_portfolio_create_form(api):
    result = ok(
        form(
            api, "post", "/api/portfolios", "title=My+portfolio&currencies[]=btc&currencies[]=usd"
        ),
        201,
    )

    assert result["title"] == "My portfolio"
    assert result["currencies"] == [BTC, USD]


def test_portfolio_create_form_with_percent_encoded_brackets(api):
    body = "title=P%C3%B8rt&currencies%5B%5D=btc&currencies%5B%5D=usd"
    result = ok(form(api, "post", "/api/portfolios", body), 201)
    assert (result["title"], result["currencies"]) == ("Pørt", [BTC, USD])


def test_portfolio_create_form_single_value_without_brackets(api):
    result = ok(form(api, "post", "/api/portfolios", "title=P&currencies=btc"), 201)
    assert result["currencies"] == [BTC]


NO_CURRENCY = "must have at least one reporting currency selected"


@pytest.mark.parametrize(
    ("body", "sentence"),
    [
        ("title=P&currencies[]", NO_CURRENCY),  # a bare key is an empty list
        ("title=P&currencies=", NO_CURRENCY),
        ("title=P", NO_CURRENCY),
        ("title=P&currencies[]=", "currencies must be a currency code such as 'btc'"),
        ("title=P&currencies[]=btc&currencies[]=xyz", "unknown currency 'xyz'"),
    ],
)
def test_portfolio_create_form_without_a_good_currency_is_refused(api, body, sentence):
    assert invalid(form(api, "post", "/api/portfolios", body)) == [sentence]
    assert ok(api.get("/api/portfolios")) == []


def test_portfolio_create_multipart(api):
    pairs = [("title", "Multi"), ("currencies[]", "btc"), ("currencies[]", "usd")]
    result = ok(multipart(api, "post", "/api/portfolios", pairs), 201)
    assert (result["title"], result["currencies"]) == ("Multi", [BTC, USD])


def test_portfolio_create_multipart_via_the_test_clients_encoder(api):
    body = encode_multipart(BOUNDARY, {"title": "Enc", "currencies[]": ["usd", "btc"]})
    result = ok(api.post("/api/portfolios", data=body, content_type=MULTIPART_CONTENT), 201)
    assert result["currencies"] == [USD, BTC]


def test_portfolio_patch_form(api, portfolio):
    url = f"/api/portfolios/{portfolio['id']}"

    result = ok(form(api, "patch", url, "title=Renamed&currencies[]=usd"))

    assert (result["title"], result["currencies"]) == ("Renamed", [USD])
    assert ok(api.get(url))["currencies"] == [USD]


def test_portfolio_patch_form_bare_empty_list_is_refused(api, portfolio):
    url = f"/api/portfolios/{portfolio['id']}"
    assert invalid(form(api, "patch", url, "currencies[]")) == [
        "must have at least one reporting currency selected"
    ]
    assert ok(api.get(url))["currencies"] == [BTC, USD]


def test_portfolio_patch_multipart(api, portfolio):
    url = f"/api/portfolios/{portfolio['id']}"
    result = ok(multipart(api, "patch", url, [("title", "Multi"), ("currencies[]", "btc")]))
    assert (result["title"], result["currencies"]) == ("Multi", [BTC])


# --- addresses ---------------------------------------------------------------------------


def test_address_create_form_with_one_element_list_for_a_scalar(api, portfolio):
    url = f"/api/portfolios/{portfolio['id']}/addresses"
    body = f"title[]=Cold&address[]={BTC_ADDRESS}&currency[]=btc"

    result = ok(form(api, "post", url, body), 201)

    assert (result["title"], result["address"], result["currency"]) == ("Cold", BTC_ADDRESS, BTC)


def test_address_create_form_plain(api, portfolio):
    url = f"/api/portfolios/{portfolio['id']}/addresses"
    result = ok(form(api, "post", url, f"title=Cold&address={BTC_ADDRESS}&currency=btc"), 201)
    assert result["address"] == BTC_ADDRESS


def test_address_form_with_two_currencies_is_refused(api, portfolio):
    url = f"/api/portfolios/{portfolio['id']}/addresses"
    response = form(api, "post", url, f"address={BTC_ADDRESS}&currency[]=btc&currency[]=ltc")
    assert invalid(response) == ["currency must be a currency code such as 'btc'"]


def test_address_patch_form(api, portfolio, address):
    url = f"/api/portfolios/{portfolio['id']}/addresses/{address['id']}"
    assert ok(form(api, "patch", url, "title=Renamed"))["title"] == "Renamed"


def test_address_create_multipart(api, portfolio):
    url = f"/api/portfolios/{portfolio['id']}/addresses"
    pairs = [("currency[]", "btc"), ("address", BTC_ADDRESS), ("title", "M")]
    assert ok(multipart(api, "post", url, pairs), 201)["currency"] == BTC


# --- offsets -----------------------------------------------------------------------------

BALANCES_IN_ORDER = (
    "balances[][currency]=btc&balances[][balance]=1&balances[][currency]=ltc&balances[][balance]=2"
)
BALANCES_KEYS_SWAPPED = (
    "balances[][balance]=1&balances[][currency]=btc&balances[][balance]=2&balances[][currency]=ltc"
)
BALANCES_KEYS_MIXED = (
    "balances[][currency]=btc&balances[][balance]=1&balances[][balance]=2&balances[][currency]=ltc"
)


@pytest.mark.parametrize(
    "balances_body", [BALANCES_IN_ORDER, BALANCES_KEYS_SWAPPED, BALANCES_KEYS_MIXED]
)
def test_offset_create_form(api, portfolio, balances_body):
    url = f"/api/portfolios/{portfolio['id']}/offsets"

    result = ok(form(api, "post", url, f"title=Paper&{balances_body}"), 201)

    assert result["title"] == "Paper"
    assert balances(result) == [("btc", "1.0"), ("ltc", "2.0")]


def test_offset_create_form_negative_and_tiny_amounts(api, portfolio):
    url = f"/api/portfolios/{portfolio['id']}/offsets"
    body = "title=T&balances[][currency]=usd&balances[][balance]=-2&balances[][currency]=btc&balances[][balance]=1e-8"
    assert balances(ok(form(api, "post", url, body), 201)) == [
        ("btc", "0.00000001"),
        ("usd", "-2.0"),
    ]


def test_offset_create_form_non_numeric_balance(api, portfolio):
    url = f"/api/portfolios/{portfolio['id']}/offsets"
    body = "title=T&balances[][currency]=btc&balances[][balance]=lots"
    assert invalid(form(api, "post", url, body)) == ["balance for btc 'lots' is not a number"]


def test_offset_create_form_missing_key_in_one_object(api, portfolio):
    url = f"/api/portfolios/{portfolio['id']}/offsets"
    body = "title=T&balances[][currency]=btc&balances[][currency]=ltc&balances[][balance]=2"
    assert invalid(form(api, "post", url, body)) == ["balance 1 is missing balance"]


@pytest.mark.parametrize(
    "pairs",
    [
        [
            ("balances[][currency]", "btc"),
            ("balances[][balance]", "1"),
            ("balances[][currency]", "ltc"),
            ("balances[][balance]", "2"),
        ],
        [
            ("balances[][balance]", "1"),
            ("balances[][currency]", "btc"),
            ("balances[][balance]", "2"),
            ("balances[][currency]", "ltc"),
        ],
    ],
    ids=["in-order", "keys-swapped"],
)
def test_offset_create_multipart(api, portfolio, pairs):
    url = f"/api/portfolios/{portfolio['id']}/offsets"

    result = ok(multipart(api, "post", url, [("title", "Multi"), *pairs]), 201)

    assert balances(result) == [("btc", "1.0"), ("ltc", "2.0")]


def test_offset_patch_form_with_balances_replaces_them(api, portfolio, offset):
    url = f"/api/portfolios/{portfolio['id']}/offsets/{offset['id']}"
    body = "title=Renamed&balances[][currency]=usd&balances[][balance]=10&balances[][currency]=btc&balances[][balance]=5"

    result = ok(form(api, "patch", url, body))

    assert result["title"] == "Renamed"
    assert balances(result) == [("btc", "5.0"), ("usd", "10.0")]


def test_offset_patch_form_without_balances_keeps_them(api, portfolio, offset):
    url = f"/api/portfolios/{portfolio['id']}/offsets/{offset['id']}"

    result = ok(form(api, "patch", url, "title=Renamed"))

    assert balances(result) == [("btc", "10.0"), ("ltc", "1.0")]


def test_offset_patch_form_bare_balances_clears_them(api, portfolio, offset):
    url = f"/api/portfolios/{portfolio['id']}/offsets/{offset['id']}"
    assert ok(form(api, "patch", url, "balances[]"))["balances"] == []


def test_offset_patch_multipart(api, portfolio, offset):
    url = f"/api/portfolios/{portfolio['id']}/offsets/{offset['id']}"
    pairs = [("balances[][currency]", "eth"), ("balances[][balance]", "3")]
    assert balances(ok(multipart(api, "patch", url, pairs))) == [("eth", "3.0")]
