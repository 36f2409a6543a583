"""``GET /api/portfolios/ID/analytics``: current versus target allocation, drift, the trades back
to target and concentration, priced by the real spot refresh against replayed CoinGecko
answers, every figure computed by hand in the comments."""

from __future__ import annotations

import pytest

from tests.conftest import client_for
from tests.live.conftest import (
    PRICE_TIME,
    add_offset,
    make_portfolio,
    not_ready,
    ok,
    replay_coingecko,
)

pytestmark = pytest.mark.django_db

# Round prices so that every figure below is checked by hand.
PRICES = {
    "bitcoin": {"usd": "60000", "eur": "50000", "last_updated_at": PRICE_TIME},
    "ethereum": {"usd": "3000", "eur": "2500", "last_updated_at": PRICE_TIME},
    "dogecoin": {"usd": "0.1", "eur": "0.08", "last_updated_at": PRICE_TIME},
    "solana": {"usd": "200", "eur": "160", "last_updated_at": PRICE_TIME},
}


def ref(code: str, title: str) -> dict[str, str]:
    return {"code": code, "title": title}


BTC, ETH, DOGE, SOL = (
    ref("btc", "Bitcoin"),
    ref("eth", "Ethereum"),
    ref("doge", "Dogecoin"),
    ref("sol", "Solana"),
)


@pytest.fixture
def portfolio(alice_api, mocked, run_tasks):
    """1 BTC (60000 USD), 10 ETH (30000), 100000 DOGE (10000): 100000 USD in all, targets
    BTC 0.5, ETH 0.3, SOL 0.2 (SOL not held), reporting USD then EUR; priced once."""
    replay_coingecko(mocked, PRICES)
    pid = make_portfolio(alice_api, currencies=["usd", "eur"])
    add_offset(alice_api, pid, {"btc": "1", "eth": "10", "doge": "100000"})
    body = {"target_allocations": {"btc": "0.5", "eth": "0.3", "sol": "0.2"}}
    ok(alice_api.patch(f"/api/portfolios/{pid}", body, format="json"))
    with run_tasks():
        not_ready(alice_api.get(f"/api/portfolios/{pid}/analytics"))  # the first price fetch
    return pid


def rows(result, key: str, *fields: str) -> list[tuple]:
    return [(row["currency"]["code"], *(row[f] for f in fields)) for row in result[key]]


def test_allocation_drift_trades_and_concentration_by_hand(alice_api, portfolio):
    response = alice_api.get(f"/api/portfolios/{portfolio}/analytics")
    result = ok(response)

    assert result["currency"] == ref("usd", "United States dollar")
    assert result["value"] == "100000.0"
    # current = value / 100000; drift = current - target (0 for DOGE, held without a target)
    assert rows(result, "allocations", "value", "current", "target", "drift") == [
        ("btc", "60000.0", "0.6", "0.5", "0.1"),
        ("doge", "10000.0", "0.1", "0.0", "0.1"),
        ("eth", "30000.0", "0.3", "0.3", "0.0"),
        ("sol", "0.0", "0.0", "0.2", "-0.2"),
    ]
    assert result["allocations"][0]["currency"] == BTC
    # ½ (0.1 + 0.1 + 0 + 0.2)
    assert result["total_drift"] == "0.2"
    # target × 100000 − value: BTC −10000 (1/6 BTC at 60000, cut to 18 places), DOGE −10000
    # (100000 DOGE at 0.1), ETH on target (no trade), SOL +20000 (100 SOL at 200)
    assert rows(result, "trades", "side", "quantity", "value") == [
        ("btc", "sell", "0.166666666666666667", "10000.0"),
        ("doge", "sell", "100000.0", "10000.0"),
        ("sol", "buy", "100.0", "20000.0"),
    ]
    assert [t["currency"] for t in result["trades"]] == [BTC, DOGE, SOL]
    # 0.6² + 0.1² + 0.3² = 0.36 + 0.01 + 0.09
    assert result["concentration"] == {
        "largest": {
            "currency": BTC,
            "value": "60000.0",
            "current": "0.6",
            "target": "0.5",
            "drift": "0.1",
        },
        "herfindahl": "0.46",
    }
    assert response.json()["unpriced"] == []


def test_min_trade_leaves_out_small_trades_and_currency_changes_the_unit(alice_api, portfolio):
    # 15000 USD: the two sells of 10000 go, the 20000 buy stays
    result = ok(alice_api.get(f"/api/portfolios/{portfolio}/analytics?min_trade=15000"))
    assert rows(result, "trades", "side", "quantity", "value") == [
        ("sol", "buy", "100.0", "20000.0"),
    ]
    # A trade exactly at the minimum is kept
    result = ok(alice_api.get(f"/api/portfolios/{portfolio}/analytics?min_trade=10000"))
    assert [t["currency"]["code"] for t in result["trades"]] == ["btc", "doge", "sol"]

    # In EUR: BTC 50000, ETH 25000, DOGE 8000 = 83000; SOL buy 0.2 × 83000 = 16600 = 103.75 SOL
    result = ok(alice_api.get(f"/api/portfolios/{portfolio}/analytics?currency=EUR"))
    assert result["value"] == "83000.0"
    assert rows(result, "trades", "side", "quantity", "value")[-1] == (
        "sol",
        "buy",
        "103.75",
        "16600.0",
    )


def test_the_setting_is_the_default_minimum(alice_api, portfolio, settings):
    settings.PORTFOLIO_MIN_TRADE = "15000"
    result = ok(alice_api.get(f"/api/portfolios/{portfolio}/analytics"))
    assert [t["currency"]["code"] for t in result["trades"]] == ["sol"]


def test_bad_parameters_are_422_and_another_users_portfolio_404(alice_api, portfolio, bob):
    response = alice_api.get(f"/api/portfolios/{portfolio}/analytics?currency=jpy&min_trade=-1")
    assert response.status_code == 422
    assert response.json()["invalid"] == [
        "currency 'jpy' is not a reporting currency of this portfolio",
        "min_trade must not be negative",
    ]
    response = alice_api.get(f"/api/portfolios/{portfolio}/analytics?min_trade=lots")
    assert response.json()["invalid"] == ["min_trade 'lots' is not a number"]

    response = client_for(bob, "read").get(f"/api/portfolios/{portfolio}/analytics")
    assert response.status_code == 404


def test_an_unpriced_asset_is_listed_and_left_out_of_the_total(alice_api, mocked, run_tasks):
    # Given 1 BTC and 5 LTC, which the replayed CoinGecko does not price, targets half each
    replay_coingecko(mocked, PRICES)
    pid = make_portfolio(alice_api, currencies=["usd"])
    add_offset(alice_api, pid, {"btc": "1", "ltc": "5"})
    body = {"target_allocations": {"btc": "0.5", "ltc": "0.5"}}
    ok(alice_api.patch(f"/api/portfolios/{pid}", body, format="json"))
    with run_tasks():
        not_ready(alice_api.get(f"/api/portfolios/{pid}/analytics"))

    response = alice_api.get(f"/api/portfolios/{pid}/analytics")
    result = ok(response)

    # Then the total is BTC's 60000 alone; LTC has no value, share or drift, and no trade
    assert response.json()["unpriced"] == ["ltc"]
    assert result["value"] == "60000.0"
    assert rows(result, "allocations", "value", "current", "target", "drift") == [
        ("btc", "60000.0", "1.0", "0.5", "0.5"),
        ("ltc", None, None, "0.5", None),
    ]
    assert rows(result, "trades", "side", "quantity", "value") == [
        ("btc", "sell", "0.5", "30000.0"),
    ]
    assert result["total_drift"] == "0.25"


def test_without_targets_there_is_no_drift_and_no_trade(alice_api, mocked, run_tasks):
    replay_coingecko(mocked, PRICES)
    pid = make_portfolio(alice_api, currencies=["usd"])
    add_offset(alice_api, pid, {"btc": "1", "eth": "20"})
    with run_tasks():
        not_ready(alice_api.get(f"/api/portfolios/{pid}/analytics"))

    result = ok(alice_api.get(f"/api/portfolios/{pid}/analytics"))

    # 60000 and 60000: an even split; of two equal holdings the first by code is the largest
    assert rows(result, "allocations", "current", "target", "drift") == [
        ("btc", "0.5", None, None),
        ("eth", "0.5", None, None),
    ]
    assert result["total_drift"] is None
    assert result["trades"] == []
    assert result["concentration"]["largest"]["currency"] == BTC
    assert result["concentration"]["herfindahl"] == "0.5"
