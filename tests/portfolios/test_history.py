"""Value over time: hand-checked tables for the pure day-by-day valuation, and the endpoint."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest

from addresses.models import Address, AddressBalance, AddressFetchState, AddressTransaction
from currencies.models import Currency
from portfolios.history import Holding, PricePoint, balances_by_day, rates_by_day, value_history
from portfolios.services import portfolio_create
from prices.models import Price
from tests.conftest import client_for

DAYS = [date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3)]


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 1, day, hour, tzinfo=UTC)


def test_balances_walk_back_from_the_current_balance():
    # Given 3 BTC now, after +2 on Jan 2 and -0.5 on Jan 3
    holding = Holding("btc", D("3"), ((at(2), D("2")), (at(3), D("-0.5"))))
    # Then the end-of-day balances are 1.5, 3.5, 3
    assert balances_by_day([holding], DAYS) == {
        DAYS[0]: {"btc": D("1.5")},
        DAYS[1]: {"btc": D("3.5")},
        DAYS[2]: {"btc": D("3")},
    }


def test_a_movement_at_midnight_belongs_to_the_day_it_starts():
    holding = Holding("btc", D("1"), ((at(2, 0), D("1")),))
    assert balances_by_day([holding], DAYS)[DAYS[0]] == {"btc": D("0")}
    assert balances_by_day([holding], DAYS)[DAYS[1]] == {"btc": D("1")}


def test_prices_carry_forward_and_missing_ones_are_named():
    prices = [
        PricePoint("btc", "usd", date(2025, 12, 31), D("100")),
        PricePoint("btc", "usd", DAYS[2], D("120")),
    ]
    assert rates_by_day(prices, DAYS)[DAYS[1]] == {("btc", "usd"): D("100")}
    holdings = [Holding("btc", D("2")), Holding("xyz", D("5"))]
    points = value_history(holdings, prices, "usd", DAYS)
    assert [(p.value, p.unpriced) for p in points] == [
        (D("200"), ("xyz",)),
        (D("200"), ("xyz",)),
        (D("240"), ("xyz",)),
    ]


def test_bridged_through_usd():
    prices = [
        PricePoint("btc", "usd", DAYS[0], D("50000")),
        PricePoint("eur", "usd", DAYS[0], D("1.25")),
    ]
    points = value_history([Holding("btc", D("0.1"))], prices, "eur", DAYS[:1])
    assert points[0].value == D("4000")


@pytest.mark.django_db
def test_converted_history_endpoint(alice, bob):
    # Given a portfolio with an address holding 1 BTC now, having received 0.25 BTC today
    portfolio = portfolio_create(
        user=alice, title="P", currency_codes=["usd"], source="private-api"
    )
    btc, usd = Currency.objects.get(code="btc"), Currency.objects.get(code="usd")
    address = Address.objects.create(
        portfolio=portfolio, address="1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", currency=btc
    )
    now = datetime.now(UTC)
    AddressFetchState.objects.create(address=address, balances_fetched_at=now)
    AddressBalance.objects.create(
        address=address, currency=btc, balance=D("1"), source="esplora-btc"
    )
    AddressTransaction.objects.create(
        address=address,
        currency=btc,
        key="t1",
        reference="t1",
        delta=D("0.25"),
        txn_at=now,
        source="esplora-btc",
    )
    yesterday = now.date() - timedelta(days=1)
    Price.objects.create(
        base=btc,
        quote=usd,
        at=datetime(yesterday.year, yesterday.month, yesterday.day, tzinfo=UTC),
        price=D("40000"),
        source="coingecko",
    )
    # When alice asks for two days
    r = client_for(alice, "read").get(f"/api/portfolios/{portfolio.pk}/converted/history?days=2")
    # Then yesterday is 0.75 BTC at 40000 and today carries the price forward
    assert r.status_code == 200, r.content
    assert [(p["date"], p["balance"], p["currency"]["code"]) for p in r.json()["result"]] == [
        (yesterday.isoformat(), "30000.0", "usd"),
        (now.date().isoformat(), "40000.0", "usd"),
    ]
    usd_ref = {"code": "usd", "title": "United States dollar"}
    assert all(p["currency"] == usd_ref for p in r.json()["result"])
    # And bad parameters are 422, another user's portfolio 404
    bad = client_for(alice, "read").get(
        f"/api/portfolios/{portfolio.pk}/converted/history?days=0&currency=jpy"
    )
    assert bad.status_code == 422
    assert bad.json()["invalid"] == [
        "currency 'jpy' is not a reporting currency of this portfolio",
        "days must be between 1 and 365",
    ]
    assert (
        client_for(bob, "read").get(f"/api/portfolios/{portfolio.pk}/converted/history").status_code
        == 404
    )


@pytest.mark.django_db
def test_a_price_older_than_the_window_carries_forward(alice):
    # Given an offset of 2 BTC and one BTC price observed two years ago (an old statement row)
    from offsets.services import offset_create

    portfolio = portfolio_create(
        user=alice, title="Old", currency_codes=["usd"], source="private-api"
    )
    offset_create(
        portfolio=portfolio, title="o", balances=[{"currency": "btc", "balance": "2"}], source="web"
    )
    btc, usd = Currency.objects.get(code="btc"), Currency.objects.get(code="usd")
    Price.objects.create(
        base=btc,
        quote=usd,
        at=datetime.now(UTC) - timedelta(days=730),
        price=D("20000"),
        kind=Price.OBSERVED,
        source="coinbase-statement",
    )
    # When the last 2 days are valued
    from portfolios.history_selectors import portfolio_value_history

    points = portfolio_value_history(portfolio=portfolio, target="usd", days=2)
    # Then today is valued with that last known price
    assert points[-1].value == D("40000") and points[-1].unpriced == ()
