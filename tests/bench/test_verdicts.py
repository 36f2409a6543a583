"""A benchmark says "met" only when it ran at the size its target is stated for."""

from __future__ import annotations

from bench.costbasis_rebuild import TARGET_ROWS, verdict

FAST = {"total": 1.2, "compute": 0.3, "rss": 180.0}
SLOW = {"total": 7.9, "compute": 0.3, "rss": 180.0}


def test_fast_at_the_target_size_is_met():
    assert TARGET_ROWS == 100_000  # the docstring's target: 100,000 rows
    assert verdict(FAST, 100_000) == "met"
    assert verdict(SLOW, 100_000) == "NOT met"


def test_fast_on_a_smaller_ledger_is_not_called_met():
    assert verdict(FAST, 20_000) == "not measured at the target's size (20,000 of 100,000 rows)"


def test_a_target_missed_on_a_smaller_ledger_is_missed_at_the_target_too():
    assert verdict(SLOW, 20_000) == "NOT met (already at 20,000 rows)"
    assert verdict({**FAST, "rss": 301.0}, 20_000) == "NOT met (already at 20,000 rows)"
