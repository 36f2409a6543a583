"""Where each row's fiat value comes from (the file, the price store, or nowhere), and the
statement's prices kept as observed prices."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from currencies.models import Currency
from ledger.models import LedgerEntry
from portfolios.services import portfolio_create
from prices.models import Price
from tests.ingest.conftest import V3_HEAD, V4_HEAD, ok, statement, upload

D = Decimal

SEND_WITHOUT_MONEY = V3_HEAD + (
    "2023-03-05 15:00:00 UTC,Send,BTC,0.01,USD,,,,,Sent 0.01 BTC to "
    "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh\n"
)


def currency(code: str) -> Currency:
    return Currency.objects.get(code=code)


def daily(base: str, quote: str, day: datetime, price: str) -> Price:
    return Price.objects.create(
        base=currency(base), quote=currency(quote), at=day, price=D(price), source="coingecko"
    )


def test_value_from_the_file(api, portfolio):
    ok(upload(api, portfolio, statement("v4a.csv")), 201)
    for entry in LedgerEntry.objects.select_related("value_currency"):
        assert entry.value_source == "file"
        assert entry.value is not None and entry.value_currency.code in ("usd", "eur")


def test_value_from_quantity_and_price_when_the_file_has_no_subtotal(api, portfolio):
    ok(upload(api, portfolio, statement("l2_tax_report.csv")), 201)
    buy = LedgerEntry.objects.get(tx_type="Buy")
    assert (buy.value, buy.value_currency.code, buy.value_source) == (D("247.26"), "usd", "file")
    send = LedgerEntry.objects.get(tx_type="Send")
    assert (send.value, send.value_source) == (D("81.375"), "file")  # 0.25 x 325.50


def test_value_from_the_price_store_when_the_file_has_none(api, portfolio):
    # Given a daily price of that day, and others that are too far away to count
    daily("btc", "usd", datetime(2023, 3, 5, tzinfo=UTC), "22400.50")
    daily("btc", "usd", datetime(2023, 3, 1, tzinfo=UTC), "23600")
    daily("btc", "eur", datetime(2023, 3, 5, tzinfo=UTC), "21000")

    result = ok(upload(api, portfolio, SEND_WITHOUT_MONEY), 201)

    send = LedgerEntry.objects.get()
    assert (send.value, send.value_currency.code) == (D("224.005"), "usd")
    assert send.value_source == "price-store"
    assert send.fee_value is None and send.fee_asset is None
    assert result["values"] == {"file": 0, "price-store": 1, "missing": 0}


def test_the_nearest_price_within_a_day(api, portfolio):
    daily("btc", "usd", datetime(2023, 3, 5, tzinfo=UTC), "22000")
    daily("btc", "usd", datetime(2023, 3, 6, tzinfo=UTC), "23000")  # 9 hours away: nearer

    ok(upload(api, portfolio, SEND_WITHOUT_MONEY), 201)

    assert LedgerEntry.objects.get().value == D("230.00")


def test_value_missing_when_nothing_knows_it(api, portfolio):
    daily("btc", "usd", datetime(2023, 3, 3, tzinfo=UTC), "22000")  # two days before: too old

    result = ok(upload(api, portfolio, SEND_WITHOUT_MONEY), 201)

    send = LedgerEntry.objects.get()
    assert send.value is None and send.value_currency is None
    assert send.value_source == "missing"
    assert result["values"] == {"file": 0, "price-store": 0, "missing": 1}
    assert result["warnings"][0] == (
        "no value known for 1 row: neither the file nor the price store has a price for them"
    )


def test_a_statement_price_values_a_row_without_money_of_the_same_file(api, portfolio):
    text = SEND_WITHOUT_MONEY + (
        "2023-03-05 09:00:00 UTC,Buy,BTC,0.02,USD,22500,450.00,455.00,5.00,Bought 0.02 BTC\n"
    )

    ok(upload(api, portfolio, text), 201)

    send = LedgerEntry.objects.get(tx_type="Send")
    assert (send.value, send.value_source) == (D("225.00"), "price-store")


def test_a_row_without_a_fiat_is_valued_in_the_first_fiat_reporting_currency(api, alice):
    portfolio = portfolio_create(
        user=alice, title="Euro", currency_codes=["btc", "eur", "usd"], source="private-api"
    )
    daily("eth", "eur", datetime(2023, 3, 5, tzinfo=UTC), "1500")
    text = V3_HEAD + "2023-03-05 12:00:00 UTC,Receive,ETH,2,,,,,,Received 2 ETH\n"

    ok(upload(api, portfolio, text), 201)

    receive = LedgerEntry.objects.get()
    assert (receive.value, receive.value_currency.code) == (D("3000"), "eur")
    assert receive.value_source == "price-store"


def test_statement_prices_are_stored_as_observed_prices(api, portfolio):
    ok(upload(api, portfolio, statement("v5.csv")), 201)

    sol = Price.objects.get(base__code="sol", at=datetime(2025, 6, 1, 9, tzinfo=UTC))
    assert (sol.quote.code, sol.price, sol.kind) == ("usd", D("150.00"), Price.OBSERVED)
    assert sol.source == "coinbase-statement"
    # One per row with a price: both legs of the two-row Convert have their own price.
    assert Price.objects.count() == 11
    assert set(Price.objects.values_list("quote__code", flat=True)) == {"usd"}

    ok(upload(api, portfolio, statement("v5.csv")), 201)
    assert Price.objects.count() == 11  # deduplicated per (base, quote, at, source)


def test_prices_deduplicated_within_a_batch_and_fiat_rows_give_none(api, portfolio):
    text = V4_HEAD + (
        "66a100000000000000000001,2024-07-01 10:00:00 UTC,Buy,BTC,0.01,USD,$60000,$600,$610,"
        "$10,\n"
        "66a100000000000000000002,2024-07-01 10:00:00 UTC,Buy,BTC,0.02,USD,$60000,$1200,$1210,"
        "$10,\n"
        "66a100000000000000000003,2024-07-01 09:00:00 UTC,Deposit,USD,2000,USD,$1.00,$2000,"
        "$2000,$0,\n"
    )

    ok(upload(api, portfolio, text), 201)

    assert list(Price.objects.values_list("base__code", "quote__code", "price")) == [
        ("btc", "usd", D("60000"))
    ]
    deposit = LedgerEntry.objects.get(kind="fiat_deposit")
    assert (deposit.value, deposit.value_currency.code) == (D("2000"), "usd")


def test_fee_in_the_fiat_of_the_row(api, portfolio):
    ok(upload(api, portfolio, statement("v1_eur.csv")), 201)
    fees = {
        (e.tx_type, e.fee_asset.code, e.fee_amount)
        for e in LedgerEntry.objects.exclude(fee_asset=None).select_related("fee_asset")
        if e.fee_amount
    }
    assert fees and all(code == "eur" for _, code, _ in fees)
    for entry in LedgerEntry.objects.exclude(fee_asset=None):
        assert entry.fee_value == entry.fee_amount
