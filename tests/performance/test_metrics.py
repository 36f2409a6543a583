"""The performance figures against independent implementations: pyxirr for XIRR, empyrical
(empyrical-reloaded) for drawdown, volatility and Sharpe, and a hand-computed TWR with flows."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal as D

import empyrical
import numpy as np
import pandas as pd
import pytest
from pyxirr import xirr as reference_xirr

from performance.metrics import Day, daily_returns, drawdowns, performance, xirr

START = date(2025, 1, 1)


def series(values, flows=None, unpriced=None) -> list[Day]:
    flows = flows or {}
    unpriced = unpriced or {}
    return [
        Day(START + timedelta(days=i), D(str(v)), D(str(flows.get(i, 0))), unpriced.get(i, ()))
        for i, v in enumerate(values)
    ]


def test_twr_with_flows_by_hand():
    # 100 -> 110 (+10 %), then a deposit of 50 on day 2 and the value 165: r = (165-50)/110 - 1
    # then a withdrawal of 30 on day 3 and the value 140: r = (140+30)/165 - 1
    days = series([100, 110, 165, 140], flows={2: 50, 3: -30})
    result = performance(days)
    r1, r2, r3 = D("0.1"), D(115) / D(110) - 1, D(170) / D(165) - 1
    expected = (1 + r1) * (1 + r2) * (1 + r3) - 1
    assert abs(result.twr - expected) < D("1e-12")
    # The deposit and the withdrawal are not return: the change in value is, the TWR is not it
    assert result.absolute_change == D(40)
    assert result.start_value == D(100) and result.end_value == D(140)
    assert result.high_value == D(165) and result.low_value == D(100)
    assert result.percentage_change == D("40")
    assert result.data_points == 4


def test_twr_ignores_deposits_and_withdrawals_and_mwr_does_not():
    # The same prices (a 10 % fall then a 20 % rise), with and without money moved in the middle
    plain = performance(series([1000, 900, 1080]))
    # 1000 deposited at the bottom: the money-weighted return sees more money in the rise
    moved = performance(series([1000, 1900, 2280], flows={1: 1000}))
    assert plain.twr == moved.twr == D("0.08")
    assert moved.mwr > plain.mwr
    # and a withdrawal at the bottom weighs the rise less
    out = performance(series([1000, 400, 480], flows={1: -500}))
    assert out.twr == D("0.08")
    assert out.mwr < plain.mwr


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_mwr_agrees_with_pyxirr(seed):
    rng = random.Random(seed)
    values, flows, value = [], {}, 1000.0
    for i in range(120):
        value *= 1 + rng.uniform(-0.05, 0.055)
        if i and rng.random() < 0.08:
            flow = round(rng.uniform(-200, 400), 2)
            flows[i] = flow
            value += flow
        values.append(round(value, 2))
    days = series(values, flows)
    result = performance(days)
    dates = [days[0].day] + [d.day for d in days[1:] if d.flow] + [days[-1].day]
    amounts = [-float(days[0].value)] + [-float(d.flow) for d in days[1:] if d.flow]
    amounts.append(float(days[-1].value))
    assert float(result.mwr) == pytest.approx(reference_xirr(dates, amounts), rel=1e-9)


def test_xirr_of_a_simple_year_and_of_flows_that_never_change_sign():
    assert float(xirr([(date(2024, 1, 1), D(-100)), (date(2025, 1, 1), D(110))])) == (
        pytest.approx(reference_xirr([date(2024, 1, 1), date(2025, 1, 1)], [-100, 110]))
    )
    assert xirr([(date(2024, 1, 1), D(100)), (date(2025, 1, 1), D(110))]) is None


@pytest.mark.parametrize("seed", [4, 5])
def test_drawdown_volatility_and_sharpe_agree_with_empyrical(seed, settings):
    rng = np.random.default_rng(seed)
    values = [1000.0]
    for _ in range(200):
        values.append(round(values[-1] * (1 + rng.normal(0.001, 0.03)), 2))
    days = series(values)
    result = performance(days, risk_free=D("0.0365"))
    returns = pd.Series(
        [float(r.r) for r in daily_returns(days)],
        index=pd.date_range(START + timedelta(days=1), periods=len(days) - 1, freq="D"),
    )
    assert float(result.max_drawdown) == pytest.approx(-empyrical.max_drawdown(returns), rel=1e-9)
    # empyrical's annual volatility uses numpy's stdev with ddof=1 times sqrt(periods)
    assert float(result.volatility) == pytest.approx(
        empyrical.annual_volatility(returns, annualization=365), rel=1e-9
    )
    assert float(result.sharpe) == pytest.approx(
        empyrical.sharpe_ratio(returns, risk_free=0.0365 / 365, annualization=365), rel=1e-9
    )
    # the peak comes before the trough, and the drawdown between them is the one reported
    by_day = {d.day: d.value for d in days}
    assert result.max_drawdown_peak < result.max_drawdown_trough
    fall = 1 - by_day[result.max_drawdown_trough] / by_day[result.max_drawdown_peak]
    assert abs(fall - result.max_drawdown) < D("1e-9")
    best = max(daily_returns(days), key=lambda r: r.r)
    assert result.best_day == best


def test_missing_prices_are_gaps_not_guesses():
    # day 2 lacks a price: no return into or out of it, and it is not a data point
    days = series([100, 110, 0, 121, 133.1], unpriced={2: ("xyz",)})
    result = performance(days)
    assert result.data_points == 4
    assert [r.day for r in result.returns] == [START + timedelta(days=1), START + timedelta(days=4)]
    assert result.twr == D("0.21")  # 1.1 x 1.1, the day around the gap left out
    assert result.high_value == D("133.1") and result.low_value == D(100)


def test_an_empty_or_single_day_range_has_no_ratios():
    assert performance([]).data_points == 0
    one = performance(series([100]))
    assert one.start_value == one.end_value == D(100)
    assert one.twr is None and one.mwr is None and one.volatility is None


def test_the_drawdown_series_by_hand():
    # 100, 120, 90, 108 without flows: the index 1, 1.2, 0.9, 1.08 against its running peak
    days = series([100, 120, 90, 108])
    result = performance(days)
    assert [d.drawdown for d in result.drawdowns] == [D(0), D(0), D("-0.25"), D("-0.1")]
    assert [d.day for d in result.drawdowns] == [d.day for d in days]
    # the same path when the returns are left for drawdowns to compute
    assert [d.drawdown for d in drawdowns(days)] == [d.drawdown for d in result.drawdowns]
    # the max drawdown is the deepest day of that series, with its peak and trough
    assert result.max_drawdown == D("0.25")
    assert result.max_drawdown_peak == START + timedelta(days=1)
    assert result.max_drawdown_trough == START + timedelta(days=2)


def test_the_drawdown_series_ignores_flows_and_leaves_gaps():
    # a deposit of 100 on day 2 hides a 25 % fall in the value (120 -> 190); a gap on day 4
    days = series([100, 120, 190, 209, 0, 250], flows={2: 100}, unpriced={4: ("xyz",)})
    path = drawdowns(days)
    assert [d.drawdown for d in path][:4] == [D(0), D(0), D("-0.25"), D("-0.175")]
    assert path[4].drawdown is None  # no price: a gap, not a guess
    # the day after the gap has no return (its previous day is not valued): the index holds
    assert path[5].drawdown == path[3].drawdown and path[5].index == path[3].index


@pytest.mark.parametrize("seed", [3, 17])
def test_the_drawdown_series_agrees_with_the_cumulative_maximum(seed):
    rng = np.random.default_rng(seed)
    values = [1000.0]
    for _ in range(120):
        values.append(round(values[-1] * (1 + rng.normal(0, 0.04)), 2))
    days = series(values)
    result = performance(days)
    wealth = np.cumprod([1.0] + [1 + float(r.r) for r in result.returns])
    expected = wealth / np.maximum.accumulate(wealth) - 1
    assert [float(d.drawdown) for d in result.drawdowns] == pytest.approx(list(expected), abs=1e-9)
    assert float(result.max_drawdown) == pytest.approx(-expected.min(), rel=1e-9)
