"""What portfolios reads from the ledger (registered in ``LedgerConfig.ready()``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db.models import Min

from ledger.holdings import CASH_KINDS, INFLOW_KINDS
from ledger.models import LedgerEntry, WalletHolding
from ledger.selectors import LEDGER_FED, portfolio_wallet_holdings
from portfolios.freshness import Holdings
from portfolios.history import Holding
from portfolios.models import Portfolio
from portfolios.sources import HoldingsSource, Watched


def ledger_holdings(portfolio: Portfolio, holdings: Holdings, now: datetime) -> None:
    """Each statement or exchange-account wallet's holdings, one query."""
    holdings.parts.extend(portfolio_wallet_holdings(portfolio))


def ledger_history(portfolio: Portfolio, since: datetime) -> list[Holding]:
    """Each ledger-fed wallet's current holding per asset and its signed movements since
    ``since`` (fiat cash left out, as in the holdings)."""
    moves: dict[tuple[int, str], list[tuple[datetime, Decimal]]] = defaultdict(list)
    entries = (
        LedgerEntry.objects.filter(
            portfolio=portfolio, wallet__kind__in=LEDGER_FED, occurred_at__gte=since
        )
        .exclude(kind__in=CASH_KINDS)
        .values_list("wallet_id", "asset__code", "occurred_at", "kind", "quantity")
    )
    for wallet_id, code, at, kind, quantity in entries.iterator(chunk_size=5000):
        moves[(wallet_id, code)].append((at, quantity if kind in INFLOW_KINDS else -quantity))
    rows = WalletHolding.objects.filter(
        wallet__portfolio=portfolio, wallet__kind__in=LEDGER_FED
    ).values_list("wallet_id", "asset__code", "quantity")
    return [
        Holding(code, quantity, tuple(moves.get((wallet_id, code), ())))
        for wallet_id, code, quantity in rows
    ]


def ledger_held_since(portfolio_id: int) -> Iterable[tuple[str, datetime | None]]:
    """Statements and address mirrors alike."""
    return (
        LedgerEntry.objects.filter(portfolio_id=portfolio_id)
        .values_list("asset__code")
        .annotate(first=Min("occurred_at"))
        .order_by()
    )


def ledger_first_moment(portfolio: Portfolio) -> datetime | None:
    return LedgerEntry.objects.filter(portfolio=portfolio).aggregate(m=Min("occurred_at"))["m"]


SOURCE = HoldingsSource(
    name="ledger",
    current=ledger_holdings,
    history=ledger_history,
    held_since=ledger_held_since,
    first_moment=ledger_first_moment,
    # The ledger's rows themselves are summed into WalletHolding in the same transaction;
    # a row changed without changing a holding is announced by ``ledger_changed``.
    watches=(Watched("ledger.Wallet"), Watched("ledger.WalletHolding", through="wallet")),
)
