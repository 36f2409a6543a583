"""The one totals pipeline (``portfolios.selectors.portfolio_valuation``): the same holdings
valued at spot prices only (the API) or at the last known price where no spot price is stored
(the dashboard), checked against hand computations."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from offsets.services import offset_create
from portfolios.selectors import LAST_KNOWN, SPOT, portfolio_valuation
from portfolios.services import portfolio_create
from tests.dashboard.conftest import daily, spot

pytestmark = pytest.mark.django_db

ETH_DAY = date(2026, 1, 2)


@pytest.fixture
def portfolio(alice):
    # Given 1.5 BTC, -2 ETH (a debt noted by hand) and 100 DOGE, reported in USD then BTC,
    # a spot price for BTC only, and an older daily close for ETH
    portfolio = portfolio_create(
        user=alice, title="Main", currency_codes=["usd", "btc"], source="t"
    )
    offset_create(
        portfolio=portfolio,
        title="Paper",
        balances=[
            {"currency": "btc", "balance": "1.5"},
            {"currency": "eth", "balance": "-2"},
            {"currency": "doge", "balance": "100"},
        ],
        source="t",
    )
    spot("btc", "usd", "60000.5")
    daily("eth", "usd", ETH_DAY, "3000.25")
    return portfolio


def test_spot_values_only_what_has_a_spot_price(portfolio):
    valuation = portfolio_valuation(portfolio, prices=SPOT)

    rows = {row.currency: row for row in valuation.rows}
    assert valuation.reporting == ["usd", "btc"]
    assert set(rows) == {"btc", "doge", "eth"}  # USD is reported, not held
    assert (rows["btc"].price, rows["btc"].value) == (D("60000.5"), D("90000.75"))  # 1.5 × 60000.5
    assert (rows["eth"].value, rows["eth"].estimated) == (None, False)
    assert valuation.total("usd") == D("90000.75")
    assert valuation.left_out("usd") == ["doge", "eth"]
    assert valuation.total("btc") == D("1.5")
    assert valuation.unpriced == ["doge", "eth"]


def test_last_known_values_the_rest_at_the_newest_stored_price_marked_estimated(portfolio):
    valuation = portfolio_valuation(portfolio, prices=LAST_KNOWN)

    eth = next(row for row in valuation.rows if row.currency == "eth")
    assert (eth.price, eth.value) == (D("3000.25"), D("-6000.50"))  # -2 × 3000.25
    assert eth.estimated
    assert eth.price_at == datetime(2026, 1, 2, 12, tzinfo=UTC)
    assert valuation.estimated == ["eth"]
    assert valuation.total("usd") == D("84000.25")  # 90000.75 - 6000.50
    assert valuation.left_out("usd") == ["doge"]
    # The spot figures are untouched by the estimate.
    btc = next(row for row in valuation.rows if row.currency == "btc")
    assert (btc.value, btc.estimated) == (D("90000.75"), False)


def test_a_total_of_nothing_priced_is_unknown_not_zero(alice):
    portfolio = portfolio_create(user=alice, title="Dog", currency_codes=["usd"], source="t")
    offset_create(
        portfolio=portfolio,
        title="Paper",
        balances=[{"currency": "doge", "balance": "100"}],
        source="t",
    )

    valuation = portfolio_valuation(portfolio, prices=LAST_KNOWN)

    assert valuation.total("usd") is None
    # The API's row still sums what it can (nothing) and names the rest in ``unpriced``.
    assert [(r.currency, r.balance) for r in valuation.totals] == [("usd", D(0))]
    assert valuation.unpriced == ["doge"]


def test_quantities_only_read_no_price(portfolio, django_assert_num_queries):
    # reporting currencies, addresses, offsets, wallets, exchange accounts: no price table
    with django_assert_num_queries(5) as queries:
        valuation = portfolio_valuation(portfolio, prices=None)

    assert not any("prices_" in q["sql"] for q in queries.captured_queries)
    assert [(r.currency, r.balance) for r in valuation.balances] == [
        ("btc", D("1.5")),
        ("doge", D("100")),
        ("eth", D("-2")),
        ("usd", D("0")),
    ]
    assert valuation.converted is None
    assert all(row.price is None and row.value is None for row in valuation.rows)
