"""Hand-computed examples for the cost-basis engine, per method. Every expected number below was
worked out by hand from the rows above it (unit cost = (value + fee) / quantity)."""

from __future__ import annotations

import json

import pytest

from costbasis.engine import (
    ELSEWHERE,
    FlagCode,
    Holding,
    Method,
    Pooling,
    Settings,
    YearGains,
    compute,
    holdings,
    holdings_by_pool,
    income_by_year,
    realized_gains_by_year,
)
from ledger.kinds import Kind
from tests.costbasis.engine_helpers import D, entry, flags, open_lots, portions, when

FIFO, LIFO, HIFO, AVERAGE = Method.FIFO, Method.LIFO, Method.HIFO, Method.AVERAGE
A, B = "address:1", "address:2"


# -- partial lots: three buys, one sale across two of them -------------------------------------

THREE_BUYS = [
    entry(1, "2023-01-10", Kind.BUY, "1", "100"),  # unit 100
    entry(2, "2023-02-10", Kind.BUY, "2", "500", fee="10"),  # unit 255
    entry(3, "2023-03-10", Kind.BUY, "1", "150"),  # unit 150
    entry(4, "2023-06-10", Kind.SELL, "2.5", "1000", fee="5"),  # proceeds 995
]


@pytest.mark.parametrize(
    ("method", "cost", "used", "left"),
    [
        (
            FIFO,
            "482.5",
            [(1, "1", "100", "398"), (2, "1.5", "382.5", "597")],
            [(2, "0.5", "127.5"), (3, "1", "150")],
        ),
        (
            LIFO,
            "532.5",
            [(3, "1", "150", "398"), (2, "1.5", "382.5", "597")],
            [(1, "1", "100"), (2, "0.5", "127.5")],
        ),
        (
            HIFO,
            "585",
            [(2, "2", "510", "796"), (3, "0.5", "75", "199")],
            [(1, "1", "100"), (3, "0.5", "75")],
        ),
        # average 760 / 4 = 190; quantities and dates FIFO
        (
            AVERAGE,
            "475",
            [(1, "1", "190", "398"), (2, "1.5", "285", "597")],
            [(2, "0.5", "95"), (3, "1", "190")],
        ),
    ],
)
def test_partial_lots(method, cost, used, left):
    result = compute(THREE_BUYS, Settings(method=method))

    (disposal,) = result.disposals
    assert disposal.proceeds == D("995")
    assert disposal.cost == D(cost)
    assert disposal.gain == D("995") - D(cost)
    assert portions(disposal) == [(s, D(q), D(c), D(p), False) for s, q, c, p in used]
    assert open_lots(result) == [(s, None, D(q), D(c)) for s, q, c in left]
    assert result.flags == ()


# -- a sale spanning every lot -----------------------------------------------------------------

FOUR_BUYS = [
    entry(1, "2023-01-01", Kind.BUY, "1", "30"),
    entry(2, "2023-01-02", Kind.BUY, "1", "10"),
    entry(3, "2023-01-03", Kind.BUY, "1", "40"),
    entry(4, "2023-01-04", Kind.BUY, "1", "20"),
    entry(5, "2023-02-01", Kind.SELL, "3.5", "350"),  # 100 per unit
]


@pytest.mark.parametrize(
    ("method", "used", "left"),
    [
        (
            FIFO,
            [(1, "1", "30"), (2, "1", "10"), (3, "1", "40"), (4, "0.5", "10")],
            (4, "0.5", "10"),
        ),
        (
            LIFO,
            [(4, "1", "20"), (3, "1", "40"), (2, "1", "10"), (1, "0.5", "15")],
            (1, "0.5", "15"),
        ),
        (HIFO, [(3, "1", "40"), (1, "1", "30"), (4, "1", "20"), (2, "0.5", "5")], (2, "0.5", "5")),
        (
            AVERAGE,
            [(1, "1", "25"), (2, "1", "25"), (3, "1", "25"), (4, "0.5", "12.5")],
            (4, "0.5", "12.5"),
        ),
    ],
)
def test_sale_spanning_many_lots(method, used, left):
    result = compute(FOUR_BUYS, Settings(method=method))

    (disposal,) = result.disposals
    proceeds = ["100", "100", "100", "50"]
    assert portions(disposal) == [
        (s, D(q), D(c), D(p), False) for (s, q, c), p in zip(used, proceeds, strict=True)
    ]
    assert disposal.cost == sum(D(c) for _, _, c in used)
    assert open_lots(result) == [(left[0], None, D(left[1]), D(left[2]))]


# -- equal prices and same-second rows ---------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "used"),
    [
        (FIFO, [(3, "1"), (5, "0.5")]),
        (LIFO, [(1, "1"), (5, "0.5")]),
        (HIFO, [(3, "1"), (5, "0.5")]),  # a tie on unit cost: earlier acquired, then lower id
        (AVERAGE, [(3, "1"), (5, "0.5")]),
    ],
)
def test_equal_prices_break_ties_by_time_then_id(method, used):
    ledger = [
        entry(5, "2023-01-02", Kind.BUY, "1", "100"),
        entry(3, "2023-01-02", Kind.BUY, "1", "100"),
        entry(1, "2023-01-03", Kind.BUY, "1", "100"),
        entry(9, "2023-02-01", Kind.SELL, "1.5", "300"),
    ]

    (disposal,) = compute(ledger, Settings(method=method)).disposals

    assert [(p.source_entry_id, p.quantity) for p in disposal.portions] == [
        (s, D(q)) for s, q in used
    ]
    assert disposal.cost == D("150")


@pytest.mark.parametrize(
    ("method", "source", "cost"),
    [(FIFO, 4, "100"), (LIFO, 7, "200"), (HIFO, 7, "200"), (AVERAGE, None, "150")],
)
def test_same_second_rows_are_ordered_by_id(method, source, cost):
    # Given two buys and a sale in the same second: the sale's id is highest, so it comes last
    ledger = [
        entry(9, "2023-05-05T10:00:00", Kind.SELL, "1", "300"),
        entry(7, "2023-05-05T10:00:00", Kind.BUY, "1", "200"),
        entry(4, "2023-05-05T10:00:00", Kind.BUY, "1", "100"),
    ]

    (disposal,) = compute(ledger, Settings(method=method)).disposals

    assert disposal.cost == D(cost)
    if source is not None:
        assert [p.source_entry_id for p in disposal.portions] == [source]


def test_a_same_second_sale_with_a_lower_id_comes_before_the_buys():
    ledger = [
        entry(2, "2023-05-05T10:00:00", Kind.SELL, "1", "300"),
        entry(4, "2023-05-05T10:00:00", Kind.BUY, "1", "100"),
    ]

    result = compute(ledger)

    assert result.disposals[0].missing_quantity == D("1")
    assert open_lots(result) == [(4, None, D("1"), D("100"))]


# -- fees in crypto, sale fees -----------------------------------------------------------------


@pytest.mark.parametrize("method", list(Method))
def test_a_fee_paid_in_crypto_is_a_disposal_at_market_value(method):
    ledger = [
        entry(1, "2023-01-01", Kind.BUY, "2", "2000", asset="ETH", fee="10"),  # unit 1005
        entry(2, "2023-02-01", Kind.FEE, "0.01", "25", asset="ETH"),
        entry(3, "2023-03-01", Kind.SELL, "1", "1500", asset="ETH", fee="5"),
    ]

    result = compute(ledger, Settings(method=method))

    fee, sale = result.disposals
    assert (fee.kind, fee.quantity, fee.proceeds, fee.cost, fee.gain) == (
        Kind.FEE,
        D("0.01"),
        D("25"),
        D("10.05"),
        D("14.95"),
    )
    assert (sale.proceeds, sale.cost, sale.gain) == (D("1495"), D("1005"), D("490"))
    assert open_lots(result) == [(1, None, D("0.99"), D("994.95"))]


# -- income, gifts, spends ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "cost"), [(FIFO, "150"), (LIFO, "300"), (HIFO, "300"), (AVERAGE, "200")]
)
def test_income_then_sale(method, cost):
    ledger = [
        entry(1, "2023-05-01", Kind.INCOME, "2", "300", asset="ETH"),  # unit 150
        entry(2, "2023-06-01", Kind.BUY, "1", "300", asset="ETH"),  # unit 300
        entry(3, "2023-07-01", Kind.SELL, "1", "220", asset="ETH"),
    ]

    result = compute(ledger, Settings(method=method))

    assert [(i.entry_id, i.year, i.asset, i.quantity, i.value) for i in result.incomes] == [
        (1, 2023, "ETH", D("2"), D("300"))
    ]
    assert income_by_year(result.incomes) == {2023: D("300")}
    (disposal,) = result.disposals
    assert (disposal.cost, disposal.gain) == (D(cost), D("220") - D(cost))


def test_gift_in_costs_its_market_value_and_gifts_out_and_spends_dispose_at_it():
    ledger = [
        entry(1, "2023-01-01", Kind.GIFT_IN, "1", "500"),
        entry(2, "2023-02-01", Kind.SPEND, "0.2", "120"),
        entry(3, "2023-03-01", Kind.GIFT_OUT, "0.3", "210"),
    ]

    result = compute(ledger)

    assert [(a.entry_id, a.kind, a.cost) for a in result.acquisitions] == [
        (1, Kind.GIFT_IN, D("500"))
    ]
    assert [(d.kind, d.proceeds, d.cost, d.gain) for d in result.disposals] == [
        (Kind.SPEND, D("120"), D("100"), D("20")),
        (Kind.GIFT_OUT, D("210"), D("150"), D("60")),
    ]


def test_trade_legs_dispose_and_acquire_at_the_value_given():
    ledger = [
        entry(1, "2023-01-01", Kind.BUY, "1", "1000", asset="ETH"),
        entry(2, "2023-02-01", Kind.TRADE_OUT, "1", "1500", asset="ETH", fee="3"),
        entry(3, "2023-02-01", Kind.TRADE_IN, "0.05", "1500", asset="BTC", fee="2"),
    ]

    result = compute(ledger)

    (disposal,) = result.disposals
    assert (disposal.asset, disposal.proceeds, disposal.cost) == ("ETH", D("1497"), D("1000"))
    assert open_lots(result) == [(3, None, D("0.05"), D("1502"))]


def test_a_missing_value_counts_as_zero_and_is_flagged():
    ledger = [
        entry(1, "2023-01-01", Kind.INCOME, "1", None),
        entry(2, "2023-02-01", Kind.SELL, "1", None),
    ]

    result = compute(ledger)

    assert result.incomes[0].value == D("0")
    assert (result.disposals[0].proceeds, result.disposals[0].cost) == (D("0"), D("0"))
    assert flags(result) == [(1, "missing_value", D("1")), (2, "missing_value", D("1"))]


def test_cash_and_fiat_assets_make_no_lots():
    ledger = [
        entry(1, "2023-01-01", Kind.FIAT_DEPOSIT, "1000", None, asset="EUR"),
        entry(2, "2023-01-02", Kind.BUY, "500", "500", asset="USD"),
        entry(3, "2023-01-03", Kind.FIAT_WITHDRAWAL, "100", None, asset="EUR"),
        entry(4, "2023-01-04", Kind.SELL, "100", "100", asset="USD"),
    ]

    result = compute(ledger, Settings(fiat_assets=frozenset({"EUR", "USD"})))

    assert (result.lots, result.disposals, result.flags) == ((), (), ())


# -- a method change between years -------------------------------------------------------------


def test_a_method_change_applies_from_its_year_on():
    ledger = [
        entry(1, "2023-01-01", Kind.BUY, "1", "100"),
        entry(2, "2023-02-01", Kind.BUY, "1", "200"),
        entry(3, "2023-06-01", Kind.SELL, "0.5", "150"),  # 2023: FIFO -> lot 1
        entry(4, "2024-02-01", Kind.BUY, "1", "400"),
        entry(5, "2024-03-01", Kind.SELL, "1", "500"),  # 2024: LIFO -> lot 4
    ]

    result = compute(ledger, Settings(method=FIFO, method_changes=((2024, LIFO),)))

    first, second = result.disposals
    assert (first.method, portions(first)) == (FIFO, [(1, D("0.5"), D("50"), D("150"), False)])
    assert (second.method, portions(second)) == (LIFO, [(4, D("1"), D("400"), D("500"), False)])
    assert open_lots(result) == [(1, None, D("0.5"), D("50")), (2, None, D("1"), D("200"))]


def test_leaving_average_cost_carries_the_average_into_the_lots():
    ledger = [
        entry(1, "2023-01-01", Kind.BUY, "1", "100"),
        entry(2, "2023-02-01", Kind.BUY, "1", "300"),
        entry(3, "2023-06-01", Kind.SELL, "1", "250"),  # 2023 average 200: lot 2 keeps basis 200
        entry(4, "2024-01-15", Kind.BUY, "1", "500"),
        entry(
            5, "2024-03-01", Kind.SELL, "1.5", "900"
        ),  # 2024 FIFO: lot 2 (200) + half lot 4 (250)
    ]

    settings = Settings.from_method_by_year({2024: FIFO}, method=AVERAGE)
    result = compute(ledger, settings)

    first, second = result.disposals
    assert (first.cost, first.gain) == (D("200"), D("50"))
    assert portions(second) == [
        (2, D("1"), D("200"), D("600"), True),
        (4, D("0.5"), D("250"), D("300"), False),
    ]
    assert (second.cost, second.gain) == (D("450"), D("450"))
    assert settings.method_for(2023) is AVERAGE and settings.method_for(2030) is FIFO


def test_hifo_after_average_cost_ranks_the_averaged_lots_by_their_new_basis():
    ledger = [
        entry(1, "2023-01-01", Kind.BUY, "1", "100"),
        entry(2, "2023-02-01", Kind.BUY, "1", "300"),  # 2023 average: both lots at 200
        entry(3, "2024-01-01", Kind.BUY, "1", "250"),
        entry(
            4, "2024-02-01", Kind.SELL, "1.5", "600"
        ),  # HIFO: lot 3 (250), then half of lot 1 (100)
    ]

    result = compute(ledger, Settings(method=AVERAGE, method_changes=((2024, HIFO),)))

    assert portions(result.disposals[0]) == [
        (3, D("1"), D("250"), D("400"), False),
        (1, D("0.5"), D("100"), D("200"), True),
    ]


# -- per-wallet pools and transfers ------------------------------------------------------------

TRANSFER = [
    entry(1, "2023-01-01", Kind.BUY, "1", "100", wallet=A),  # unit 100
    entry(2, "2023-01-02", Kind.BUY, "1.01", "303", wallet=B),  # unit 300
    entry(3, "2023-02-01", Kind.TRANSFER_OUT, "1", "400", wallet=A, peer=4),
    entry(4, "2023-02-01", Kind.TRANSFER_IN, "0.99", None, wallet=B, peer=3),  # fee 0.01 BTC
    entry(5, "2023-03-01", Kind.SELL, "1", "500", wallet=B),
]


@pytest.mark.parametrize(
    ("method", "used", "left"),
    [
        (FIFO, [(1, "0.99", "99", "495"), (2, "0.01", "3", "5")], [(2, B, "1", "300")]),
        (LIFO, [(2, "1", "300", "500")], [(1, B, "0.99", "99"), (2, B, "0.01", "3")]),
        (HIFO, [(2, "1", "300", "500")], [(1, B, "0.99", "99"), (2, B, "0.01", "3")]),
        # B holds 2 BTC for 99 + 303 = 402: average 201
        (AVERAGE, [(1, "0.99", "198.99", "495"), (2, "0.01", "2.01", "5")], [(2, B, "1", "201")]),
    ],
)
def test_per_wallet_transfer_moves_lots_with_their_date_and_cost(method, used, left):
    result = compute(TRANSFER, Settings(method=method, pooling=Pooling.PER_WALLET))

    fee, sale = result.disposals
    # The 0.01 BTC network fee: a disposal from the sent lot at the sent leg's price (400 / 1)
    assert (fee.entry_id, fee.kind, fee.wallet, fee.quantity) == (
        3,
        Kind.TRANSFER_OUT,
        A,
        D("0.01"),
    )
    assert (fee.proceeds, fee.cost, fee.gain) == (D("4"), D("1"), D("3"))
    assert portions(fee) == [(1, D("0.01"), D("1"), D("4"), False)]
    assert portions(sale) == [(s, D(q), D(c), D(p), False) for s, q, c, p in used]
    assert open_lots(result) == [(s, w, D(q), D(c)) for s, w, q, c in left]
    assert all(lot.acquired_at in (when("2023-01-01"), when("2023-01-02")) for lot in result.lots)
    assert result.flags == ()


def test_a_received_leg_seen_before_its_sent_leg_gives_the_same_result():
    # Given the same transfer with the receiving leg first (lower id, same second)
    ledger = [
        entry(1, "2023-01-01", Kind.BUY, "1", "100", wallet=A),
        entry(2, "2023-01-02", Kind.BUY, "1.01", "303", wallet=B),
        entry(3, "2023-02-01", Kind.TRANSFER_IN, "0.99", None, wallet=B, peer=4),
        entry(4, "2023-02-01", Kind.TRANSFER_OUT, "1", "400", wallet=A, peer=3),
        entry(5, "2023-03-01", Kind.SELL, "1", "500", wallet=B),
    ]

    result = compute(ledger, Settings(pooling=Pooling.PER_WALLET))

    fee, sale = result.disposals
    assert (fee.entry_id, fee.proceeds, fee.cost) == (4, D("4"), D("1"))
    assert (sale.cost, sale.gain) == (D("102"), D("398"))


@pytest.mark.parametrize(("method", "fee_cost"), [(FIFO, "1"), (LIFO, "3"), (HIFO, "3")])
def test_universal_transfer_moves_nothing_but_its_fee_is_disposed_of(method, fee_cost):
    result = compute(TRANSFER[:4], Settings(method=method))

    (fee,) = result.disposals
    assert (fee.entry_id, fee.wallet, fee.quantity, fee.proceeds, fee.cost) == (
        3,
        None,
        D("0.01"),
        D("4"),
        D(fee_cost),
    )
    assert sum(lot.remaining_quantity for lot in result.lots) == D("2.00")
    assert {lot.wallet for lot in result.lots} == {None}


def test_a_transfer_fee_without_any_value_is_consumed_at_cost_with_zero_proceeds():
    ledger = [
        entry(1, "2023-01-01", Kind.BUY, "1", "100", wallet=A),
        entry(2, "2023-02-01", Kind.TRANSFER_OUT, "1", None, wallet=A, peer=3),
        entry(3, "2023-02-01", Kind.TRANSFER_IN, "0.98", None, wallet=B, peer=2),
    ]

    result = compute(ledger, Settings(pooling=Pooling.PER_WALLET))

    (fee,) = result.disposals
    assert (fee.quantity, fee.proceeds, fee.cost, fee.gain) == (D("0.02"), D("0"), D("2"), D("-2"))
    assert flags(result) == [(2, "missing_value", D("0.02"))]
    assert open_lots(result) == [(1, B, D("0.98"), D("98"))]


def test_receiving_more_than_was_sent_takes_the_excess_from_elsewhere():
    ledger = [
        entry(1, "2023-01-01", Kind.BUY, "1", "100", wallet=A),
        entry(2, "2023-02-01", Kind.TRANSFER_OUT, "1", "500", wallet=A, peer=3),
        entry(3, "2023-02-01", Kind.TRANSFER_IN, "1.2", "600", wallet=B, peer=2),
    ]

    result = compute(ledger, Settings(pooling=Pooling.PER_WALLET))

    assert result.disposals == ()
    assert open_lots(result) == [(1, B, D("1"), D("100")), (3, B, D("0.2"), D("100"))]
    assert result.lots[1].estimated
    assert flags(result) == [
        (3, "transfer_excess", D("0.2")),
        (3, "estimated_acquisition", D("0.2")),
    ]


def test_a_sent_leg_waits_in_transit_for_its_receiving_leg():
    result = compute(TRANSFER[:3], Settings(pooling=Pooling.PER_WALLET))

    assert result.pending_transfers == (3,)
    assert open_lots(result) == [(2, B, D("1.01"), D("303")), (1, "in-transit:3", D("1"), D("100"))]


def test_sending_more_than_the_wallet_holds_moves_what_there_is():
    ledger = [
        entry(1, "2023-01-01", Kind.BUY, "1", "100", wallet=A),
        entry(2, "2023-02-01", Kind.TRANSFER_OUT, "1.5", "600", wallet=A, peer=3),
        entry(3, "2023-02-01", Kind.TRANSFER_IN, "1.5", "600", wallet=B, peer=2),
    ]

    result = compute(ledger, Settings(pooling=Pooling.PER_WALLET))

    assert open_lots(result) == [(1, B, D("1"), D("100"))]
    assert flags(result) == [(2, "transfer_shortfall", D("0.5"))]


# -- conversions (Coinbase's ETH2 -> ETH migration) --------------------------------------------

CB = "import:1"
ETH2_MIGRATION = [
    entry(1, "2021-01-06", Kind.BUY, "2", "2400", asset="ETH", wallet=CB, fee="20"),  # unit 1210
    entry(2, "2021-01-10", Kind.TRADE_OUT, "1.5", "1875", asset="ETH", wallet=CB),
    entry(3, "2021-01-10", Kind.TRADE_IN, "1.5", "1875", asset="ETH2", wallet=CB),
    entry(4, "2022-01-01", Kind.INCOME, "0.008", "29.60", asset="ETH2", wallet=CB),
    # unstaking 0.2 ETH2 -> ETH, then the deprecation of the rest
    entry(5, "2023-06-01", Kind.TRANSFER_OUT, "0.2", "372", asset="ETH2", wallet=CB, peer=6),
    entry(6, "2023-06-01", Kind.TRANSFER_IN, "0.2", "372", asset="ETH", wallet=CB, peer=5),
    entry(7, "2025-01-21", Kind.TRANSFER_OUT, "1.308", "4165.06", asset="ETH2", wallet=CB, peer=8),
    entry(8, "2025-01-21", Kind.TRANSFER_IN, "1.308", "4165.06", asset="ETH", wallet=CB, peer=7),
    entry(9, "2025-02-01", Kind.BUY, "0.5", "1550", asset="ETH", wallet=CB, fee="15"),
]


@pytest.mark.parametrize("pooling", [Pooling.UNIVERSAL, Pooling.PER_WALLET])
@pytest.mark.parametrize("method", [FIFO, LIFO, HIFO, AVERAGE])
def test_a_conversion_carries_the_lots_across_assets_with_no_gain(method, pooling):
    result = compute(ETH2_MIGRATION, Settings(method=method, pooling=pooling))

    # Only the 2021 convert is a disposal: 1.5 of the 2 ETH bought at 1210 each
    (convert,) = result.disposals
    assert (convert.entry_id, convert.proceeds, convert.cost) == (2, D("1875"), D("1815"))
    # No ETH2 anywhere, nothing estimated, nothing elsewhere, no flag
    assert {lot.asset for lot in result.lots} == {"ETH"}
    assert result.elsewhere == {} and result.flags == ()
    assert [a.entry_id for a in result.acquisitions] == [1, 3, 4, 9]
    # ETH = the 1.308 + 0.2 ETH2 converted + the 0.5 ETH left of the first buy + 0.5 bought;
    # cost 605 + 1875 + 29.60 + 1565
    assert holdings(result.lots) == {"ETH": Holding(D("2.508"), D("4074.60"))}


def test_converted_lots_keep_their_acquisition_dates_and_cost():
    result = compute(ETH2_MIGRATION)

    assert [
        (lot.source_entry_id, lot.acquired_at, lot.remaining_quantity, lot.remaining_cost)
        for lot in result.lots
    ] == [
        (1, when("2021-01-06"), D("0.5"), D("605")),
        (3, when("2021-01-10"), D("1.5"), D("1875")),  # 0.2 + 1.3 of the ETH2 lot
        (4, when("2022-01-01"), D("0.008"), D("29.60")),
        (9, when("2025-02-01"), D("0.5"), D("1565")),
    ]
    # so a sale in 2025 of 2 ETH is long-term on every lot it takes (FIFO: 1, 3)
    sale = entry(10, "2025-03-01", Kind.SELL, "2", "4000", asset="ETH", wallet=CB)
    (_, sold) = compute([*ETH2_MIGRATION, sale]).disposals
    assert portions(sold) == [
        (1, D("0.5"), D("605"), D("1000"), True),
        (3, D("1.5"), D("1875"), D("3000"), True),
    ]


def test_a_conversion_received_before_it_is_sent_or_split_by_a_saved_state_is_the_same():
    whole = compute(ETH2_MIGRATION)
    # the ETH leg first (a lower id in the same second)
    swapped = [
        *ETH2_MIGRATION[:6],
        entry(7, "2025-01-21", Kind.TRANSFER_IN, "1.308", None, asset="ETH", wallet=CB, peer=8),
        entry(8, "2025-01-21", Kind.TRANSFER_OUT, "1.308", None, asset="ETH2", wallet=CB, peer=7),
        ETH2_MIGRATION[8],
    ]
    assert holdings(compute(swapped).lots) == holdings(whole.lots)
    # a build that stopped between the two legs, continued later
    first = compute(ETH2_MIGRATION[:7])
    assert first.pending_transfers == (7,)
    rest = compute(ETH2_MIGRATION[7:], state=json.loads(json.dumps(first.state)))
    assert rest.lots == whole.lots and rest.state == whole.state


# -- oversell ----------------------------------------------------------------------------------


@pytest.mark.parametrize("pooling", list(Pooling))
@pytest.mark.parametrize("method", list(Method))
def test_an_oversell_records_a_zero_cost_missing_acquisition(method, pooling):
    ledger = [
        entry(1, "2023-01-01", Kind.BUY, "1", "100"),
        entry(2, "2023-02-01", Kind.SELL, "1.5", "300"),
    ]

    result = compute(ledger, Settings(method=method, pooling=pooling))

    (disposal,) = result.disposals
    assert portions(disposal) == [
        (1, D("1"), D("100"), D("200"), False),
        (None, D("0.5"), D("0"), D("100"), False),
    ]
    assert (disposal.cost, disposal.gain, disposal.missing_quantity) == (
        D("100"),
        D("200"),
        D("0.5"),
    )
    assert flags(result) == [(2, "missing_acquisition", D("0.5"))]
    assert result.lots == ()


# -- coins that go to, and come back from, the user's untracked wallets ------------------------

OUT_AND_BACK = [
    entry(1, "2023-01-01", Kind.BUY, "1", "100", wallet=A),
    entry(2, "2023-01-02", Kind.BUY, "1", "300", wallet=A),
    entry(3, "2023-02-01", Kind.UNCLASSIFIED_OUT, "1.5", "600", wallet=A),
    entry(4, "2023-03-01", Kind.UNCLASSIFIED_IN, "2", "1000", wallet=A),  # 1.5 back + 0.5 new
]


def test_universal_unclassified_out_is_held_elsewhere_and_comes_back_without_tax():
    gone = compute(OUT_AND_BACK[:3])

    assert gone.disposals == ()
    assert gone.elsewhere == {"BTC": D("1.5")}
    assert open_lots(gone) == [(1, None, D("1"), D("100")), (2, None, D("1"), D("300"))]
    # the coins elsewhere are no particular lots: their cost is their share, 400 * 1.5 / 2
    assert holdings(gone.lots, gone.elsewhere) == {
        "BTC": Holding(D("2"), D("400"), D("1.5"), D("300"))
    }
    assert flags(gone) == [(3, "to_elsewhere", D("1.5"))]

    back = compute(OUT_AND_BACK)

    assert back.disposals == ()
    assert back.elsewhere == {}
    assert open_lots(back) == [
        (1, None, D("1"), D("100")),
        (2, None, D("1"), D("300")),
        (4, None, D("0.5"), D("250")),
    ]
    assert [lot.estimated for lot in back.lots] == [False, False, True]
    assert flags(back)[1:] == [(4, "estimated_acquisition", D("0.5"))]


@pytest.mark.parametrize("method", [FIFO, HIFO])
def test_per_wallet_unclassified_out_moves_lots_elsewhere_and_they_come_back(method):
    gone = compute(OUT_AND_BACK[:3], Settings(method=method, pooling=Pooling.PER_WALLET))

    assert gone.disposals == ()
    assert gone.elsewhere == {"BTC": D("1.5")}
    if method is FIFO:
        assert open_lots(gone) == [
            (2, A, D("0.5"), D("150")),
            (1, ELSEWHERE, D("1"), D("100")),
            (2, ELSEWHERE, D("0.5"), D("150")),
        ]
        # per wallet the lots elsewhere are known: 100 + 150
        assert holdings(gone.lots, gone.elsewhere) == {
            "BTC": Holding(D("2"), D("400"), D("1.5"), D("250"))
        }
    else:  # HIFO sends the 300 lot first
        assert open_lots(gone) == [
            (1, A, D("0.5"), D("50")),
            (1, ELSEWHERE, D("0.5"), D("50")),
            (2, ELSEWHERE, D("1"), D("300")),
        ]

    back = compute(OUT_AND_BACK, Settings(method=method, pooling=Pooling.PER_WALLET))

    # The lots are whole again in A, with their dates; only the excess 0.5 is new
    assert open_lots(back) == [
        (1, A, D("1"), D("100")),
        (2, A, D("1"), D("300")),
        (4, A, D("0.5"), D("250")),
    ]
    assert back.elsewhere == {}
    assert back.disposals == ()


def test_an_unlinked_transfer_out_also_goes_elsewhere():
    ledger = [
        entry(1, "2023-01-01", Kind.BUY, "1", "100"),
        entry(2, "2023-02-01", Kind.TRANSFER_OUT, "0.4", "200"),
        entry(3, "2023-03-01", Kind.TRANSFER_IN, "0.4", "300"),
    ]

    result = compute(ledger)

    assert result.disposals == ()
    assert flags(result) == [(2, "to_elsewhere", D("0.4"))]
    assert open_lots(result) == [(1, None, D("1"), D("100"))]


def test_unclassified_out_can_be_set_to_count_as_a_disposal():
    result = compute(OUT_AND_BACK[:3], Settings(unclassified_out_to_elsewhere=False))

    (disposal,) = result.disposals
    assert (disposal.kind, disposal.proceeds, disposal.cost) == (
        Kind.UNCLASSIFIED_OUT,
        D("600"),
        D("250"),
    )


def test_selling_what_is_held_elsewhere_in_universal_pooling_caps_the_elsewhere_quantity():
    ledger = [
        entry(1, "2023-01-01", Kind.BUY, "2", "200"),
        entry(2, "2023-02-01", Kind.UNCLASSIFIED_OUT, "1.5", None),
        entry(3, "2023-03-01", Kind.SELL, "1", "300"),
    ]

    result = compute(ledger)

    assert result.elsewhere == {"BTC": D("1")}
    assert open_lots(result) == [(1, None, D("1"), D("100"))]
    assert flags(result) == [(2, "to_elsewhere", D("1.5")), (3, "elsewhere_reduced", D("0.5"))]


# -- specific identification -------------------------------------------------------------------

PINNED = [
    entry(1, "2023-01-01", Kind.BUY, "1", "100"),
    entry(2, "2023-01-02", Kind.BUY, "1", "200"),
    entry(3, "2023-01-03", Kind.BUY, "1", "300"),
]


@pytest.mark.parametrize(
    ("method", "used"),
    [
        (FIFO, [(2, "1", "200", "400"), (1, "0.5", "50", "200")]),
        (LIFO, [(2, "1", "200", "400"), (3, "0.5", "150", "200")]),
        (HIFO, [(2, "1", "200", "400"), (3, "0.5", "150", "200")]),
        (
            AVERAGE,
            [(2, "1", "200", "400"), (1, "0.5", "100", "200")],
        ),  # pins choose dates; cost stays 200 a unit
    ],
)
def test_pinned_lots_go_first_and_the_rest_follows_the_method(method, used):
    ledger = [*PINNED, entry(4, "2023-02-01", Kind.SELL, "1.5", "600", pins=((2, "1"),))]

    result = compute(ledger, Settings(method=method))

    assert portions(result.disposals[0]) == [(s, D(q), D(c), D(p), False) for s, q, c, p in used]
    assert result.flags == ()


def test_a_pin_on_a_lot_that_is_not_open_is_flagged_and_the_method_takes_over():
    ledger = [
        *PINNED,
        entry(4, "2023-02-01", Kind.SELL, "1", "600", pins=((99, "0.5"), (3, "0.25"))),
    ]

    result = compute(ledger)

    assert [(p.source_entry_id, p.quantity) for p in result.disposals[0].portions] == [
        (3, D("0.25")),
        (1, D("0.75")),
    ]
    assert flags(result) == [(4, "pin_unavailable", D("0.5"))]


def test_pins_beyond_the_disposal_are_flagged():
    ledger = [*PINNED, entry(4, "2023-02-01", Kind.SELL, "1.5", "600", pins=((3, "1"), (2, "1")))]

    result = compute(ledger)

    assert [(p.source_entry_id, p.quantity) for p in result.disposals[0].portions] == [
        (3, D("1")),
        (2, D("0.5")),
    ]
    assert flags(result) == [(4, "pin_excess", D("0.5"))]


# -- long-term boundary ------------------------------------------------------------------------


def test_long_term_means_sold_after_the_first_anniversary():
    ledger = [
        entry(1, "2023-03-01T09:00:00", Kind.BUY, "3", "600"),
        entry(2, "2024-03-01T23:59:59", Kind.SELL, "1", "150"),  # exactly one year: short
        entry(3, "2024-03-02T00:00:00", Kind.SELL, "1", "150"),  # one year and a day: long
    ]

    short, long_ = compute(ledger).disposals

    assert [p.long_term for p in short.portions] == [False]
    assert [p.long_term for p in long_.portions] == [True]


def test_an_acquisition_on_february_29_has_its_anniversary_on_february_28():
    ledger = [
        entry(1, "2024-02-29", Kind.BUY, "2", "200"),
        entry(2, "2025-02-28", Kind.SELL, "1", "150"),
        entry(3, "2025-03-01", Kind.SELL, "1", "150"),
    ]

    short, long_ = compute(ledger).disposals

    assert (short.portions[0].long_term, long_.portions[0].long_term) == (False, True)


# The holding period counts calendar dates in the user's tax zone. Times are UTC; the zone's
# date is worked out by hand: New York is UTC-5 in winter, Tokyo UTC+9.
@pytest.mark.parametrize(
    ("zone", "acquired", "sold", "long_term"),
    [
        ("UTC", "2021-01-01T12:00:00", "2022-01-01T12:00:00", False),  # exactly a year
        ("UTC", "2021-01-01T12:00:00", "2022-01-02T12:00:00", True),  # a year and a day
        ("UTC", "2020-02-29T12:00:00", "2021-02-28T12:00:00", False),  # anniversary: 28 Feb
        ("UTC", "2020-02-29T12:00:00", "2021-03-01T12:00:00", True),
        # sold 2022-01-02T03:00Z is 2022-01-01 22:00 in New York: exactly a year there
        ("UTC", "2021-01-01T12:00:00", "2022-01-02T03:00:00", True),
        ("America/New_York", "2021-01-01T12:00:00", "2022-01-02T03:00:00", False),
        ("America/New_York", "2021-01-01T12:00:00", "2022-01-02T05:00:00", True),  # 00:00 NY
        # acquired 2021-01-02T03:00Z is 2021-01-01 in New York: sold 2022-01-02 is a year and
        # a day there, exactly a year in UTC
        ("America/New_York", "2021-01-02T03:00:00", "2022-01-02T12:00:00", True),
        ("UTC", "2021-01-02T03:00:00", "2022-01-02T12:00:00", False),
        # acquired 2020-12-31T20:00Z is 2021-01-01 05:00 in Tokyo; sold 2022-01-01T14:00Z is
        # 2022-01-01 23:00 there: exactly a year in Tokyo, a year and a day in UTC
        ("Asia/Tokyo", "2020-12-31T20:00:00", "2022-01-01T14:00:00", False),
        ("UTC", "2020-12-31T20:00:00", "2022-01-01T14:00:00", True),
        ("Asia/Tokyo", "2020-12-31T20:00:00", "2022-01-01T15:00:00", True),  # 00:00 on the 2nd
    ],
)
def test_long_term_is_judged_on_the_dates_of_the_tax_zone(zone, acquired, sold, long_term):
    ledger = [
        entry(1, acquired, Kind.BUY, "1", "100"),
        entry(2, sold, Kind.SELL, "1", "150"),
    ]

    (disposal,) = compute(ledger, Settings(time_zone=zone)).disposals

    assert disposal.portions[0].long_term is long_term


def test_a_lot_moved_or_saved_keeps_its_date_in_the_tax_zone():
    # Acquired 2021-01-02T03:00Z (2021-01-01 in New York), moved to another wallet, and the
    # computation continued from a saved state before the sale of 2022-01-02 (New York)
    config = Settings(pooling=Pooling.PER_WALLET, time_zone="America/New_York")
    first = compute(
        [
            entry(1, "2021-01-02T03:00:00", Kind.BUY, "1", "100", wallet=A),
            entry(2, "2021-06-01", Kind.TRANSFER_OUT, "1", "120", wallet=A, peer=3),
            entry(3, "2021-06-01", Kind.TRANSFER_IN, "1", "120", wallet=B, peer=2),
        ],
        config,
    )
    saved = json.loads(json.dumps(first.state))

    rest = compute(
        [entry(4, "2022-01-02T12:00:00", Kind.SELL, "1", "150", wallet=B)], config, saved
    )

    assert [p.long_term for p in rest.disposals[0].portions] == [True]  # False in UTC


def test_years_are_those_of_the_tax_zone():
    # 2023-01-01T03:00Z is still 2022 in New York: the sale's gain and the income are of 2022,
    # and the sale uses the method of 2022
    ledger = [
        entry(1, "2022-03-01", Kind.BUY, "1", "100"),
        entry(2, "2022-06-01", Kind.BUY, "1", "300"),
        entry(3, "2023-01-01T03:00:00", Kind.SELL, "1", "500"),
        entry(4, "2023-01-01T03:30:00", Kind.INCOME, "0.1", "50"),
    ]
    config = Settings(method_changes=((2023, HIFO),), time_zone="America/New_York")

    result = compute(ledger, config)

    (sale,) = result.disposals
    assert (sale.method, sale.cost) == (FIFO, D("100"))  # HIFO (2023) would take 300
    assert realized_gains_by_year(result.disposals) == {
        2022: YearGains(proceeds=D("500"), cost=D("100"), short_term=D("400"), long_term=D(0))
    }
    assert income_by_year(result.incomes) == {2022: D("50")}
    in_utc = compute(ledger, Settings(method_changes=((2023, HIFO),)))
    assert in_utc.disposals[0].method == HIFO and income_by_year(in_utc.incomes) == {2023: D("50")}


def test_a_state_of_another_tax_zone_is_refused():
    first = compute([entry(1, "2021-01-01", Kind.BUY, "1", "100")], Settings())

    with pytest.raises(ValueError, match="other settings"):
        compute([], Settings(time_zone="America/New_York"), first.state)


def test_an_unknown_tax_zone_is_refused():
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        Settings(time_zone="Mars/Olympus")


@pytest.mark.parametrize(
    ("method", "short", "long_"),
    [(FIFO, "50", "200"), (AVERAGE, "75", "150")],  # average 150 a unit; dates FIFO
)
def test_a_disposal_can_be_part_long_part_short_term(method, short, long_):
    ledger = [
        entry(1, "2022-01-01", Kind.BUY, "1", "100"),
        entry(2, "2023-06-01", Kind.BUY, "1", "200"),
        entry(3, "2023-12-01", Kind.SELL, "1.5", "450"),
    ]

    result = compute(ledger, Settings(method=method))

    assert [p.long_term for p in result.disposals[0].portions] == [True, False]
    gains = realized_gains_by_year(result.disposals)
    assert gains == {
        2023: YearGains(
            proceeds=D("450"),
            cost=D("450") - D(short) - D(long_),
            short_term=D(short),
            long_term=D(long_),
        )
    }


# -- summaries ---------------------------------------------------------------------------------


def test_summaries_per_year_per_asset_and_per_pool():
    ledger = [
        entry(1, "2022-03-01", Kind.BUY, "2", "200", wallet=A),
        entry(2, "2022-04-01", Kind.INCOME, "1", "50", wallet=B),
        entry(3, "2022-05-01", Kind.SELL, "0.5", "80", wallet=A),  # short: 80 - 50
        entry(4, "2023-06-01", Kind.SELL, "1", "300", wallet=A),  # long: 300 - 100
        entry(5, "2023-07-01", Kind.INCOME, "10", "20", asset="ETH", wallet=A),
    ]

    result = compute(ledger, Settings(pooling=Pooling.PER_WALLET))

    assert realized_gains_by_year(result.disposals) == {
        2022: YearGains(D("80"), D("50"), D("30"), D("0")),
        2023: YearGains(D("300"), D("100"), D("0"), D("200")),
    }
    assert realized_gains_by_year(result.disposals)[2023].total == D("200")
    assert income_by_year(result.incomes) == {2022: D("50"), 2023: D("20")}
    assert holdings(result.lots) == {
        "BTC": Holding(D("1.5"), D("100")),
        "ETH": Holding(D("10"), D("20")),
    }
    assert holdings_by_pool(result.lots) == {
        ("BTC", A): Holding(D("0.5"), D("50")),
        ("BTC", B): Holding(D("1"), D("50")),
        ("ETH", A): Holding(D("10"), D("20")),
    }


# -- continuing from a saved state -------------------------------------------------------------


def test_continuing_from_a_state_equals_computing_at_once():
    settings = Settings(pooling=Pooling.PER_WALLET)
    whole = compute(TRANSFER, settings)

    first = compute(TRANSFER[:3], settings)
    saved = json.loads(json.dumps(first.state))
    rest = compute(TRANSFER[3:], settings, state=saved)

    assert first.disposals + rest.disposals == whole.disposals
    assert rest.lots == whole.lots
    assert rest.state == whole.state


def test_an_entry_not_after_the_state_is_rejected():
    first = compute(THREE_BUYS[:2])

    with pytest.raises(ValueError, match="recompute from scratch"):
        compute([THREE_BUYS[1]], state=first.state)  # the last processed entry itself
    with pytest.raises(ValueError, match="recompute from scratch"):
        compute([entry(9, "2023-01-01", Kind.BUY, "1", "1")], state=first.state)


def test_a_state_is_only_continued_with_compatible_settings():
    first = compute(THREE_BUYS[:2], Settings(method=FIFO))
    later = [THREE_BUYS[3]]

    with pytest.raises(ValueError, match="other settings"):
        compute(later, Settings(method=LIFO), state=first.state)
    with pytest.raises(ValueError, match="other settings"):
        compute(later, Settings(pooling=Pooling.PER_WALLET), state=first.state)
    # A change that only takes effect after the processed years needs no rebuild
    result = compute(
        later, Settings(method=FIFO, method_changes=((2024, LIFO),)), state=first.state
    )
    assert result.disposals[0].cost == D("482.5")


# -- invalid input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ledger",
    [
        [entry(1, "2023-01-01", Kind.BUY, "0", "1")],
        [entry(1, "2023-01-01", Kind.BUY, "1", "1"), entry(1, "2023-01-02", Kind.SELL, "1", "1")],
        [entry(1, "2023-01-01", Kind.BUY, "1", "1", pins=((1, "1"),))],
        [entry(1, "2023-01-01", Kind.SELL, "1", "1", peer=2)],
        [
            entry(1, "2023-01-01", Kind.TRANSFER_OUT, "1", "1", peer=2),
            entry(2, "2023-01-01", Kind.TRANSFER_OUT, "1", "1", peer=1),
        ],
    ],
    ids=["zero quantity", "duplicate id", "pinned inflow", "peer on a sale", "two sent legs"],
)
def test_invalid_input_raises_value_error(ledger):
    with pytest.raises(ValueError):
        compute(ledger)


def test_a_naive_time_is_rejected():
    naive = entry(1, "2023-01-01", Kind.BUY, "1", "1")
    object.__setattr__(naive, "at", naive.at.replace(tzinfo=None))

    with pytest.raises(ValueError, match="aware"):
        compute([naive])


def test_flag_codes_are_stable_strings():
    assert {code.value for code in FlagCode} >= {
        "missing_value",
        "to_elsewhere",
        "estimated_acquisition",
        "missing_acquisition",
    }
