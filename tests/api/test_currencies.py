"""Public currency endpoints: no token needed, a token with any scope works too."""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import fail, ok
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

CURRENCY_KEYS = {
    "id",
    "code",
    "title",
    "created_at",
    "updated_at",
    "is_cryptocurrency",
    "is_fiat",
    "is_ethereum_token",
    "ethereum_contract_address",
    "source",
}
REQUIRED = {
    "btc": "Bitcoin",
    "ltc": "Litecoin",
    "eth": "Ethereum",
    "usd": "United States dollar",
    "nzd": "New Zealand dollar",
    "eur": "Euro",
    "rep": "Augur",
}
REP_CONTRACT = "0x1985365e9f78359a9b6ad760e32412f4a445e862"
UTC_DATE = re.compile(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00\Z")


def test_index_lists_every_currency_with_exact_keys(anon):
    result = ok(anon.get("/api/currencies"))

    assert set(result) == {"count", "currencies"}
    assert result["count"] == len(result["currencies"]) > 0
    for currency in result["currencies"]:
        assert set(currency) == CURRENCY_KEYS
        assert UTC_DATE.match(currency["created_at"])
        assert UTC_DATE.match(currency["updated_at"])
    by_code = {c["code"]: c for c in result["currencies"]}
    for code, title in REQUIRED.items():
        assert by_code[code]["title"] == title


def test_index_is_sorted_by_code(anon):
    codes = [c["code"] for c in ok(anon.get("/api/currencies"))["currencies"]]
    assert codes == sorted(codes)


@pytest.mark.parametrize(
    ("code", "crypto", "fiat", "token", "contract"),
    [
        ("btc", True, False, False, None),
        ("ltc", True, False, False, None),
        ("eth", True, False, False, None),
        ("usd", False, True, False, None),
        ("nzd", False, True, False, None),
        ("eur", False, True, False, None),
        ("rep", False, False, True, REP_CONTRACT),  # an ERC-20 token is not a cryptocurrency
    ],
)
def test_detail_of_required_rows(anon, code, crypto, fiat, token, contract):
    result = ok(anon.get(f"/api/currencies/{code}"))

    assert set(result) == CURRENCY_KEYS
    assert result["code"] == code
    assert result["title"] == REQUIRED[code]
    assert (result["is_cryptocurrency"], result["is_fiat"], result["is_ethereum_token"]) == (
        crypto,
        fiat,
        token,
    )
    assert result["ethereum_contract_address"] == contract
    assert isinstance(result["id"], int)
    assert isinstance(result["source"], str) and result["source"]


def test_detail_code_is_case_insensitive(anon):
    assert ok(anon.get("/api/currencies/BTC"))["code"] == "btc"


def test_detail_of_unknown_code_is_404(anon):
    fail(anon.get("/api/currencies/notacoin"), 404)


@pytest.mark.parametrize(
    ("path", "flag", "includes", "excludes"),
    [
        ("/api/currencies/cryptocurrencies", "is_cryptocurrency", {"btc", "eth"}, {"usd", "rep"}),
        ("/api/currencies/fiat", "is_fiat", {"usd", "nzd", "eur"}, {"btc", "rep"}),
        ("/api/currencies/tokens", "is_ethereum_token", {"rep"}, {"btc", "eth", "usd"}),
    ],
)
def test_filtered_lists(anon, path, flag, includes, excludes):
    result = ok(anon.get(path))

    assert set(result) == {"count", "currencies"}
    assert result["count"] == len(result["currencies"])
    codes = {c["code"] for c in result["currencies"]}
    assert includes <= codes
    assert not excludes & codes
    assert all(c[flag] is True and set(c) == CURRENCY_KEYS for c in result["currencies"])


def test_token_list_has_lower_case_contracts(anon):
    tokens = ok(anon.get("/api/currencies/tokens"))["currencies"]
    assert {c["code"]: c["ethereum_contract_address"] for c in tokens}["rep"] == REP_CONTRACT
    for token in tokens:
        assert re.fullmatch(r"0x[0-9a-f]{40}", token["ethereum_contract_address"])


def test_every_token_is_a_token_and_no_cryptocurrency(anon):
    # API.md "Classification": is_cryptocurrency only for a chain's native coin
    everything = ok(anon.get("/api/currencies"))["currencies"]
    tokens = ok(anon.get("/api/currencies/tokens"))["currencies"]
    coins = ok(anon.get("/api/currencies/cryptocurrencies"))["currencies"]

    with_contract = {c["code"] for c in everything if c["ethereum_contract_address"]}
    assert {c["code"] for c in tokens} == with_contract
    assert all(
        (t["is_cryptocurrency"], t["is_ethereum_token"], t["is_fiat"]) == (False, True, False)
        for t in tokens
    )
    assert not {c["code"] for c in coins} & with_contract
    assert {"btc", "ltc", "eth"} <= {c["code"] for c in coins}
    # every currency is exactly one of: native coin, token, fiat
    for c in everything:
        assert [c["is_cryptocurrency"], c["is_ethereum_token"], c["is_fiat"]].count(True) == 1


def test_loading_the_currency_data_again_reclassifies_tokens_stored_as_cryptocurrencies(anon):
    # Given a database filled before the classification was fixed (tokens as cryptocurrencies)
    from django.core.management import call_command

    from currencies.models import Currency

    Currency.objects.filter(is_ethereum_token=True).update(is_cryptocurrency=True)
    assert "rep" in {
        c["code"] for c in ok(anon.get("/api/currencies/cryptocurrencies"))["currencies"]
    }

    # When the data file is loaded again (as every ``migrate`` does)
    call_command("load_currencies", verbosity=0)

    # Then the tokens are tokens only
    coins = {c["code"] for c in ok(anon.get("/api/currencies/cryptocurrencies"))["currencies"]}
    assert "rep" not in coins and {"btc", "eth"} <= coins
    assert ok(anon.get("/api/currencies/rep"))["is_cryptocurrency"] is False


@pytest.mark.parametrize("scope", ["", "public", "info", "read", "admin"])
def test_public_endpoints_accept_a_token_with_any_scope(alice, scope):
    client = client_for(alice, scope)
    assert ok(client.get("/api/currencies"))["count"] > 0
    assert ok(client.get("/api/currencies/btc"))["code"] == "btc"


def test_status_reports_the_database(anon):
    result = ok(anon.get("/api/status"))

    assert "database" in result["ok"]
    assert result["failing"] == []


def test_status_is_503_when_a_check_fails(anon, monkeypatch):
    # Given the price check failing and another one raising
    from core import health

    def broken():
        raise ConnectionError("broker down")

    monkeypatch.setitem(health.CHECKS, "tickers", lambda: False)
    monkeypatch.setitem(health.CHECKS, "jobs", broken)

    # When the status is asked for
    response = anon.get("/api/status")

    # Then it is a 503 failure naming what fails and what still works
    body = fail(response, 503)
    assert set(body["failing"]) == {"tickers", "jobs"}
    assert "database" in body["ok"]
    assert b"broker down" not in response.content
