"""Reads of the ledger, always scoped to a portfolio the caller already owns."""

from __future__ import annotations

from collections.abc import Iterator

from ledger.models import Wallet, WalletHolding
from portfolios.models import Portfolio
from portfolios.totals import SourceBalance

# Wallets whose holdings come only from the ledger. Address wallets are left out: an address's
# balance comes from its explorer, and its ledger rows mirror that history.
LEDGER_FED = (Wallet.IMPORT, Wallet.ACCOUNT)


def portfolio_wallet_holdings(portfolio: Portfolio) -> Iterator[SourceBalance]:
    """Holdings of the portfolio's import and exchange-account wallets, one query. ``source``
    names the wallet (e.g. "Coinbase")."""
    rows = WalletHolding.objects.filter(wallet__portfolio=portfolio, wallet__kind__in=LEDGER_FED).values_list(
        "asset__code", "quantity", "updated_at", "wallet__name"
    )
    for code, quantity, at, name in rows:
        if quantity != 0:
            yield SourceBalance(code, quantity, at, name)


def assets_in_use() -> set[str]:
    """Every asset some ledger-fed wallet holds (for the price refresh)."""
    return set(
        WalletHolding.objects.filter(wallet__kind__in=LEDGER_FED)
        .exclude(quantity=0)
        .values_list("asset__code", flat=True)
        .distinct()
    )
