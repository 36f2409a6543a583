"""Whether a stored history accounts for a chain balance: the pure part, by hand."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from addresses.reconcile import discrepancy_sentence, reconcile


@pytest.mark.parametrize(
    ("history", "chain", "complete", "stored"),
    [
        (D("5.5535165"), D("5.5535165"), True, (D("5.5535165"), None)),  # they agree
        (D("1.76499"), D("2.26499"), True, (D("1.76499"), D("0.5"))),  # 0.5 unexplained
        (D("0.3"), D("0.1"), True, (D("0.3"), D("-0.2"))),  # more history than balance
        (D("0"), D("0.000000000000000001"), True, (D("0"), D("0.000000000000000001"))),  # 1 wei
        (D("1.0"), D("2.0"), False, (None, None)),  # history not complete: nothing judged
        (D("1.0"), None, True, (None, None)),  # no balance from the chain
    ],
)
def test_reconcile(history, chain, complete, stored):
    assert reconcile(history=history, chain=chain, complete=complete) == stored


def test_the_sentence_names_all_three_figures_in_plain_notation():
    assert (
        discrepancy_sentence(history=D("1.76499"), unexplained=D("0.5"), code="eth")
        == "History accounts for 1.76499 ETH, the chain reports 2.26499 ETH; 0.5 ETH unexplained."
    )
    assert (
        discrepancy_sentence(history=D("0"), unexplained=D("1E-8"), code="btc")
        == "History accounts for 0.0 BTC, the chain reports 0.00000001 BTC; 0.00000001 BTC "
        "unexplained."
    )
