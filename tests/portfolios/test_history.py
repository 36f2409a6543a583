"""Value over time: hand-checked tables for the pure day-by-day valuation, and the endpoint."""

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest

from addresses.models import Address, AddressBalance, AddressFetchState, AddressTransaction
from currencies.models import Currency
from portfolios.history import (
    DAILY,
    OBSERVED,
    SPOT,
    HistoryPoint,
    Holding,
    PricePoint,
    balances_by_day,
    rates_by_day,
    value_change,
    value_history,
    value_series,
)
from portfolios.services import portfolio_create
from prices.models import Price, SpotPrice
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


def test_a_price_fills_only_its_own_day_and_missing_ones_are_named():
    # Given a BTC price the day before the window and one on its last day
    prices = [
        PricePoint("btc", "usd", date(2025, 12, 31), D("100")),
        PricePoint("btc", "usd", DAYS[2], D("120")),
    ]
    # Then no day in between borrows the earlier price
    assert rates_by_day(prices, DAYS)[DAYS[1]] == {}
    holdings = [Holding("btc", D("2")), Holding("xyz", D("5"))]
    points = value_history(holdings, prices, "usd", DAYS)
    assert [(p.value, p.unpriced, p.priced) for p in points] == [
        (D("0"), ("btc", "xyz"), ()),
        (D("0"), ("btc", "xyz"), ()),
        (D("240"), ("xyz",), ("btc",)),
    ]


def test_of_several_prices_of_a_day_spot_beats_daily_beats_observed_and_later_wins():
    day = DAYS[0]
    trade = PricePoint("btc", "usd", day, D("90"), kind=OBSERVED, at=at(1, 9))
    later_trade = PricePoint("btc", "usd", day, D("95"), kind=OBSERVED, at=at(1, 15))
    close = PricePoint("btc", "usd", day, D("100"), kind=DAILY, at=at(1, 0))
    quote = PricePoint("btc", "usd", day, D("110"), kind=SPOT, at=at(1, 20))
    pair = ("btc", "usd")
    assert rates_by_day([later_trade, trade], [day])[day][pair] == D("95")
    assert rates_by_day([trade, close, later_trade], [day])[day][pair] == D("100")
    assert rates_by_day([close, quote, trade], [day])[day][pair] == D("110")


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
    # Then yesterday is 0.75 BTC at 40000, and today, with no price of its own, is unpriced
    # (yesterday's price is not carried over)
    assert r.status_code == 200, r.content
    assert [
        (p["date"], p["balance"], p["currency"]["code"], p["unpriced"]) for p in r.json()["result"]
    ] == [
        (yesterday.isoformat(), "30000.0", "usd", []),
        (now.date().isoformat(), "0.0", "usd", ["btc"]),
    ]
    # And once today's spot price is stored, today is valued with it
    SpotPrice.objects.create(
        base=btc, quote=usd, price=D("41000"), at=now, fetched_at=now, source="coingecko"
    )
    r = client_for(alice, "read").get(f"/api/portfolios/{portfolio.pk}/converted/history?days=2")
    assert [(p["balance"], p["unpriced"]) for p in r.json()["result"]] == [
        ("30000.0", []),
        ("41000.0", []),
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
def test_a_price_older_than_the_window_is_not_carried_forward(alice):
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
    # When the last 2 days are asked for
    r = client_for(alice, "read").get(f"/api/portfolios/{portfolio.pk}/converted/history?days=2")
    # Then today has no price: BTC is listed as unpriced, never valued at the old price
    assert r.status_code == 200, r.content
    assert [(p["balance"], p["unpriced"]) for p in r.json()["result"]][-1] == ("0.0", ["btc"])


STATEMENT_HEAD = (
    "\nTransactions\nUser,Jane Doe,1d5ebcbd-f257-5d9c-9fc2-d433a527aa71\n"
    "ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,"
    "Price at Transaction,Subtotal,Total (inclusive of fees and/or spread),"
    "Fees and/or Spread,Notes\n"
)


@pytest.mark.django_db
def test_a_statement_trade_price_fills_only_its_own_day(alice):
    # Given a statement buying 0.5 BTC at $50,000 three days ago, and no daily prices
    portfolio = portfolio_create(user=alice, title="S", currency_codes=["usd"], source="web")
    bought = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(
        days=3
    )
    row = (
        f"67e4692a51067e1c64294fd1,{bought:%Y-%m-%d %H:%M:%S} UTC,Buy,BTC,0.5,USD,"
        '"$50,000.00","$25,000.00","$25,100.00",$100.00,Bought 0.5 BTC\n'
    )
    upload = io.BytesIO((STATEMENT_HEAD + row).encode())
    upload.name = "statement.csv"
    api = client_for(alice)
    r = api.post(f"/api/portfolios/{portfolio.pk}/ingest/csv", {"file": upload}, format="multipart")
    assert r.status_code == 201, r.content
    # When the last five days are asked for
    r = api.get(f"/api/portfolios/{portfolio.pk}/converted/history?days=5")
    rows = [(p["date"], p["balance"], p["unpriced"]) for p in r.json()["result"]]
    # Then the trade's day is valued at the trade price (0.5 x 50,000) and the days after it
    # are unpriced, not valued at that price
    days = [(bought.date() + timedelta(days=n)).isoformat() for n in range(-1, 4)]
    assert rows == [
        (days[0], "0.0", []),  # not held yet
        (days[1], "25000.0", []),
        (days[2], "0.0", ["btc"]),
        (days[3], "0.0", ["btc"]),
        (days[4], "0.0", ["btc"]),
    ]


# --- The line a chart draws and the changes over a day and a month -----------------------------


def point(day: int, value: str, unpriced=(), priced=("btc",)) -> HistoryPoint:
    return HistoryPoint(date(2026, 1, day), D(value), tuple(unpriced), tuple(priced))


def test_a_day_missing_a_price_is_a_gap_not_a_zero():
    points = [
        point(1, "0", priced=()),  # nothing held yet
        point(2, "100"),
        point(3, "0", unpriced=("btc",), priced=()),
        point(4, "40", unpriced=("eth",)),  # ETH is priced on other days: a gap
        point(5, "130", priced=("btc", "eth")),
    ]
    series = value_series(points)
    assert series.points == [
        (date(2026, 1, 2), D("100")),
        (date(2026, 1, 3), None),
        (date(2026, 1, 4), None),
        (date(2026, 1, 5), D("130")),
    ]
    assert series.gaps == {"btc": 1, "eth": 1} and series.left_out == ()
    assert series.drawn == 2


def test_an_asset_never_priced_in_the_range_is_left_out_of_every_day():
    points = [point(1, "100", unpriced=("xyz",)), point(2, "110", unpriced=("xyz",))]
    series = value_series(points)
    assert series.points == [(date(2026, 1, 1), D("100")), (date(2026, 1, 2), D("110"))]
    assert series.left_out == ("xyz",) and series.gaps == {}
    # and the change compares the same priced holdings on both days: +10 of 100
    change = value_change(points, 1)
    assert (change.amount, change.fraction, change.reason) == (D("10"), D("0.1"), "")


def test_a_change_needs_a_real_price_on_both_days():
    # Given 31 days: a price 30 days ago and today, none yesterday
    points = (
        [point(1, "800")]
        + [point(d, "0", unpriced=("btc",), priced=()) for d in range(2, 31)]
        + [point(31, "1000")]
    )
    # Then the month's change is hand-computed: (1000 - 800) / 800 = 25 %
    month = value_change(points, 30)
    assert (month.amount, month.fraction) == (D("200"), D("0.25"))
    # And the day's change is no number, with the reason
    day = value_change(points, 1)
    assert (day.amount, day.fraction) == (None, None)
    assert day.reason == "No price for BTC on 30 Jan 2026."
    # And today without a price says so too
    today_missing = points[:-1] + [point(31, "0", unpriced=("btc",), priced=())]
    assert value_change(today_missing, 30).reason == "No price for BTC today."
    assert value_change(points[:5], 30).reason == "No value history that far back yet."
