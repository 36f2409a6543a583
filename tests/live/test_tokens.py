"""An ERC-20 token is no cryptocurrency in the currency data (API.md "Classification"), and
nothing else changes for it: it is still priced, and addresses still hold it."""

from __future__ import annotations

import pytest

from tests.live.conftest import (
    PRICES,
    add_offset,
    make_portfolio,
    not_ready,
    ok,
    price_at,
    replay_coingecko,
)

pytestmark = pytest.mark.django_db

ETH_ADDRESS = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"  # EIP-55 checksummed


def test_a_token_is_priced_although_it_is_no_cryptocurrency(alice_api, mocked, run_tasks):
    assert ok(alice_api.get("/api/currencies/rep"))["is_cryptocurrency"] is False
    # Given CoinGecko's price of Augur (coin id "augur") and 10 REP noted in an offset
    augur = {
        "usd": "0.75",
        "btc": "0.0000125",
        "last_updated_at": PRICES["bitcoin"]["last_updated_at"],
    }
    replay_coingecko(mocked, {**PRICES, "augur": augur})
    pid = make_portfolio(alice_api, currencies=["usd"])
    add_offset(alice_api, pid, {"rep": "10"})

    with run_tasks():
        not_ready(alice_api.get(f"/api/portfolios/{pid}/converted"))
    response = alice_api.get(f"/api/portfolios/{pid}/converted")

    # Then the token is valued like any coin: 10 x 0.75
    assert ok(response) == [
        {
            "currency": {"code": "usd", "title": "United States dollar"},
            "balance": "7.5",
            "balance_at": price_at().isoformat(),
            "source": "calculated",
        }
    ]
    assert response.json()["unpriced"] == []


def test_an_ethereum_address_is_accepted_for_a_token(alice_api, enqueued):
    pid = make_portfolio(alice_api)
    body = {"title": "Augur", "address": ETH_ADDRESS, "currency": "rep"}
    created = ok(alice_api.post(f"/api/portfolios/{pid}/addresses", body, format="json"), 201)
    assert created["currency"] == {"code": "rep", "title": "Augur"}
    assert created["address"].lower() == ETH_ADDRESS.lower()
