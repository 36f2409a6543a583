"""prices.conversion and portfolios.totals are pure: tables of hand-checked examples and
hypothesis properties, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal, Inexact, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portfolios.totals import SourceBalance, convert_totals, sum_balances
from prices.conversion import PLACES, convert, convert_holdings, rate

D = Decimal


def exact(*factors: Decimal) -> Decimal:
    """The exact product, whatever the ambient precision (raises if it would round)."""
    # A list of signals is what decimal documents; typeshed only knows the dict form.
    with localcontext(prec=1000, traps=[Inexact]):  # type: ignore[arg-type]
        product = D(1)
        for factor in factors:
            product *= factor
        return product


RATES = {
    ("btc", "usd"): D("60000.5"),
    ("eth", "usd"): D("3000.25"),
    ("eth", "btc"): D("0.05"),
    ("ltc", "btc"): D("0.0012"),
    ("btc", "eur"): D("55000"),
    ("rep", "eth"): D("0.004"),
}


@pytest.mark.parametrize(
    ("amount", "base", "quote", "expected"),
    [
        # same currency: unchanged
        ("1.5", "btc", "btc", "1.5"),
        ("-2", "usd", "usd", "-2"),
        # direct rate: exact multiplication
        ("0.5", "btc", "usd", "30000.25"),
        ("2", "eth", "usd", "6000.50"),
        ("0.00000001", "btc", "usd", "0.000600005"),
        ("-1", "eth", "btc", "-0.05"),
        # bridged through btc (ltc -> btc -> usd; ltc -> btc -> eur), both legs direct: exact
        ("10", "ltc", "usd", "720.0060"),
        ("10", "ltc", "eur", "660.0000"),
        # bridged through usd: eth -> usd direct, usd -> btc is an inverse leg (rounded)
        # (eth -> btc is direct, so take rep: rep -> eth direct, no rep -> usd/btc path)
        ("0", "btc", "usd", "0"),
    ],
)
def test_convert_table(amount, base, quote, expected):
    assert convert(D(amount), base, quote, RATES) == D(expected)


def test_direct_rate_is_exact_to_the_last_wei():
    amount = D("123456789.123456789012345678")  # 18 places, 27 digits
    price = D("67187.33589365664123")
    assert convert(amount, "btc", "usd", {("btc", "usd"): price}) == exact(amount, price)
    assert convert(amount, "btc", "usd", {("btc", "usd"): price}) == D(
        "8294732759190.02714650557807940173760518710394"
    )


def test_inverse_rate_is_rounded_once_to_18_places():
    # 1 usd = 1/60000.5 btc: no finite decimal
    value = convert(D("30000.25"), "usd", "btc", RATES)
    assert value == D("0.500000000000000000")
    value = convert(D("1"), "usd", "btc", RATES)
    assert value == (D(1) / D("60000.5")).quantize(PLACES)
    assert value.as_tuple().exponent == -18


def test_bridge_with_an_inverse_leg():
    # eur -> usd: no (eur, usd) nor (usd, eur); bridge btc: eur -> btc (inverse) -> usd
    value = convert(D("55000"), "eur", "usd", RATES)
    assert value == D("60000.5")


def test_missing_price_is_none_and_listed_as_unpriced():
    assert convert(D(1), "doge", "usd", RATES) is None
    assert rate(RATES, "doge", "usd") is None
    # rep has only a rep/eth rate: no bridge reaches usd through usd or btc
    assert convert(D(1), "rep", "usd", RATES) is None
    total = convert_holdings(
        {"btc": D("0.5"), "doge": D(100), "rep": D(2), "zzz": D(0)}, "usd", RATES
    )
    assert total.total == D("30000.25")
    assert total.unpriced == ("doge", "rep")  # sorted; a zero holding needs no price


def test_a_zero_inverse_rate_is_no_path():
    assert rate({("btc", "usd"): D(0)}, "usd", "btc") is None


# What the database stores: numeric(38, 18).
AMOUNTS = st.decimals(
    min_value=D("-1e20") + PLACES,
    max_value=D("1e20") - PLACES,
    places=18,
    allow_nan=False,
    allow_infinity=False,
)
PRICES = st.decimals(
    min_value=PLACES, max_value=D("1e12"), places=18, allow_nan=False, allow_infinity=False
)


@given(amount=AMOUNTS, price=PRICES)
def test_direct_conversion_is_exact_multiplication(amount, price):
    assert convert(amount, "btc", "usd", {("btc", "usd"): price}) == exact(amount, price)


@given(amount=AMOUNTS, to_btc=PRICES, btc_to_eur=PRICES)
def test_bridge_through_btc_with_direct_legs_is_the_exact_product(amount, to_btc, btc_to_eur):
    rates = {("ltc", "btc"): to_btc, ("btc", "eur"): btc_to_eur}
    assert convert(amount, "ltc", "eur", rates) == exact(amount, to_btc, btc_to_eur)


@given(amount=AMOUNTS, to_usd=PRICES, usd_to_nzd=PRICES)
def test_bridge_through_usd_with_direct_legs_is_the_exact_product(amount, to_usd, usd_to_nzd):
    rates = {("eth", "usd"): to_usd, ("usd", "nzd"): usd_to_nzd}
    assert convert(amount, "eth", "nzd", rates) == exact(amount, to_usd, usd_to_nzd)


@given(
    amount=st.decimals(min_value=D("-1e15"), max_value=D("1e15"), places=18),
    price=st.decimals(min_value=D("1e-10"), max_value=D("1e12"), places=18),
)
def test_an_inverse_rate_is_the_quotient_rounded_once_to_18_places(amount, price):
    value = convert(amount, "usd", "btc", {("btc", "usd"): price})
    assert value.as_tuple().exponent == -18
    # 1/price is carried at 50 significant digits: far below half a unit of the 18th place
    # for any value under 10**25
    with localcontext(prec=1000):
        assert abs(value - amount / price) <= PLACES / 2 + D("1e-24")


@given(
    holdings=st.dictionaries(st.sampled_from(["btc", "eth", "ltc", "doge"]), AMOUNTS, max_size=4)
)
def test_converted_total_is_the_sum_of_the_priced_holdings(holdings):
    rates = {**RATES, ("eth", "usd"): D("3000.123456789012345678")}
    total = convert_holdings(holdings, "usd", rates)
    with localcontext(prec=1000, traps=[Inexact]):
        expected = sum(
            (convert(v, k, "usd", rates) for k, v in holdings.items() if k != "doge" and v != 0),
            D(0),
        )
    assert total.total == expected
    assert total.unpriced == (("doge",) if holdings.get("doge") else ())


NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_sum_balances_per_currency_sorted_with_reporting_currencies_at_zero():
    old, new = NOW - timedelta(hours=2), NOW - timedelta(minutes=5)
    parts = [
        SourceBalance("btc", D("0.5"), new, "esplora-btc"),
        SourceBalance("btc", D("0.25"), old, "esplora-btc"),
        SourceBalance("btc", D("-0.1"), new, "offset"),
        SourceBalance("ltc", D("3"), new, "offset"),
    ]

    rows = sum_balances(parts, ["usd", "btc", "eur"], now=NOW)

    assert [(r.currency, r.balance, r.source) for r in rows] == [
        ("btc", D("0.65"), "calculated"),
        ("eur", D(0), "calculated"),
        ("ltc", D(3), "offset"),
        ("usd", D(0), "calculated"),
    ]
    # the age of a total is the oldest of what went into it; reporting-only rows the oldest of all
    assert [r.balance_at for r in rows] == [old, old, new, old]


def test_sum_balances_of_nothing_is_reporting_currencies_at_zero_as_of_now():
    rows = sum_balances([], ["usd"], now=NOW)
    assert [(r.currency, r.balance, r.balance_at) for r in rows] == [("usd", D(0), NOW)]


@given(
    parts=st.lists(
        st.tuples(st.sampled_from(["btc", "eth", "usd"]), AMOUNTS), min_size=0, max_size=12
    ),
    seed=st.randoms(),
)
def test_sum_balances_conserves_quantity_in_any_order(parts, seed):
    sources = [SourceBalance(code, amount, NOW, "offset") for code, amount in parts]
    shuffled = list(sources)
    seed.shuffle(shuffled)

    rows = sum_balances(sources, ["usd"], now=NOW)

    assert rows == sum_balances(shuffled, ["usd"], now=NOW)
    by_code = {r.currency: r.balance for r in rows}
    for code in {c for c, _ in parts}:
        assert by_code[code] == sum((a for c, a in parts if c == code), D(0))


def test_convert_totals_values_the_whole_portfolio_in_each_reporting_currency():
    rate_at = NOW - timedelta(minutes=1)
    totals = sum_balances(
        [
            SourceBalance("btc", D("0.5"), NOW, "esplora-btc"),
            SourceBalance("doge", D("100"), NOW, "offset"),
            SourceBalance("usd", D("10"), NOW, "offset"),
        ],
        ["usd", "btc"],
        now=NOW,
    )
    rates = {("btc", "usd"): D("60000.5")}

    converted = convert_totals(totals, ["usd", "btc"], rates, {("btc", "usd"): rate_at}, now=NOW)

    assert [(r.currency, r.balance) for r in converted.rows] == [
        ("btc", D("0.5") + (D(10) / D("60000.5")).quantize(PLACES)),
        ("usd", D("30010.25")),
    ]
    assert converted.unpriced == ["doge"]
    assert {r.balance_at for r in converted.rows} == {rate_at}
    assert {r.source for r in converted.rows} == {"calculated"}
