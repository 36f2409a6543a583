"""``portfolios.targets``: the pure analytics, a table of hand-computed cases and properties
that hold for any portfolio (hypothesis)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portfolios.targets import Position, portfolio_analytics


def pos(code: str, quantity: str, price: str | None) -> Position:
    q = D(quantity)
    return Position(
        code, q, None if price is None else q * D(price), None if price is None else D(price)
    )


@pytest.mark.parametrize(
    ("positions", "targets", "expected_drift", "expected_trades", "hhi"),
    [
        # on target: no drift, no trade; two equal halves: HHI ½
        (
            [pos("a", "1", "50"), pos("b", "50", "1")],
            {"a": D("0.5"), "b": D("0.5")},
            "0",
            [],
            "0.5",
        ),
        # all in a, target all in b: drift 1, sell all a, buy b
        (
            [pos("a", "2", "10"), pos("b", "0", "4")],
            {"b": D(1)},
            "1",
            [("a", "sell", "2", "20"), ("b", "buy", "5", "20")],
            "1",
        ),
        # 75/25 against 50/50 of 200: drift ½(0.25+0.25) = 0.25; sell 50 of a, buy 50 of b
        (
            [pos("a", "3", "50"), pos("b", "5", "10")],
            {"a": D("0.5"), "b": D("0.5")},
            "0.25",
            [("a", "sell", "1", "50"), ("b", "buy", "5", "50")],
            "0.625",  # 0.75² + 0.25²
        ),
    ],
)
def test_hand_computed_cases(positions, targets, expected_drift, expected_trades, hhi):
    result = portfolio_analytics(positions, targets, min_trade=D(0))
    assert result.total_drift == D(expected_drift)
    assert [(t.currency, t.side, t.quantity, t.value) for t in result.trades] == [
        (c, s, D(q), D(v)) for c, s, q, v in expected_trades
    ]
    assert result.concentration.herfindahl == D(hhi)


fraction_parts = st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=6)
holding = st.tuples(
    st.decimals(min_value=0, max_value=10**6, places=4),
    st.decimals(min_value=D("0.01"), max_value=10**5, places=2),
)


@given(st.lists(holding, min_size=1, max_size=6), fraction_parts)
def test_trades_balance_and_total_drift_is_half_the_drifts(holdings, parts):
    # Given priced holdings and targets over the same and more assets, summing to 1
    positions = [pos(f"c{i}", str(q), str(p)) for i, (q, p) in enumerate(holdings)]
    if sum(parts) == 0:
        parts = [1]
    targets = {f"c{i}": D(n) / D(sum(parts)) for i, n in enumerate(parts)}
    # (fractions summing to exactly 1: give the rounding remainder to the first)
    first = next(iter(targets))
    targets[first] += 1 - sum(targets.values())

    result = portfolio_analytics(positions, targets, min_trade=D(0))

    if result.total == 0:
        assert result.trades == []
        return
    # Then what is bought equals what is sold, the total drift is the sum of the positive
    # drifts (= the negative ones), within the 18 places fractions are cut to, and between 0
    # and 1
    bought = sum((t.value for t in result.trades if t.side == "buy"), D(0))
    sold = sum((t.value for t in result.trades if t.side == "sell"), D(0))
    assert abs(bought - sold) <= result.total * D("1e-40")
    positive = sum((a.drift for a in result.allocations if a.drift and a.drift > 0), D(0))
    negative = -sum((a.drift for a in result.allocations if a.drift and a.drift < 0), D(0))
    assert abs(result.total_drift - positive) <= D("1e-15")
    assert abs(result.total_drift - negative) <= D("1e-15")
    assert 0 <= result.total_drift <= 1 + D("1e-15")
    assert D(0) < result.concentration.herfindahl <= 1
