"""Signals of the ledger, for the apps built on it (they import ledger; ledger imports none of
them)."""

from django.dispatch import Signal

# A portfolio's ledger rows or transfers changed and the change is committed. kwargs: portfolio.
# The costbasis app rebuilds the portfolio's cost basis on it (costbasis.apps).
ledger_changed = Signal()
