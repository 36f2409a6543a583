"""A Coinbase account connected by key and a Coinbase statement of the same account report the
same movements. They are matched and counted once (README "What counts where"):

- a match is an account row and a statement row (a wallet of a ``coinbase-csv`` import in the
  same portfolio) of the same asset, the same direction and exactly the same quantity, at most
  ``SHARED_MATCH_SECONDS`` (120) apart, each used once, closest in time first;
- **the statement wins in the ledger**: its row stays (with whatever the user re-classified on
  it) and the account's copy is removed and remembered (``SharedMovement``), so a re-sync never
  stores it again; cost basis and inventory see the movement once;
- **the exchange wins for the balance**: the account's holding is the exchange's balance, and
  the statement's wallet keeps only what the account does not report (its shared rows are
  subtracted on the account's side), so the total counts each coin once.

Runs after each sync of a Coinbase account and after any ledger change of a portfolio that has
one (a statement imported after the account was connected)."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import transaction

from accounts.models import Account, SharedMovement
from ledger.holdings import INFLOW_KINDS, wallet_holdings_recompute
from ledger.models import LedgerEntry, Wallet

SHARING_EXCHANGES = {"coinbase": "coinbase-csv"}


def match_window() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "SHARED_MATCH_SECONDS", 120)))


def share_statement_movements(*, account: Account) -> int:
    """Match the account's rows with its exchange's statement rows in the portfolio; returns
    how many were matched now."""
    source = SHARING_EXCHANGES.get(account.exchange)
    if source is None or account.ledger_wallet_id is None:
        return 0
    statement_wallets = list(
        Wallet.objects.filter(
            portfolio_id=account.portfolio_id, kind=Wallet.IMPORT, imports__source=source
        )
        .distinct()
        .values_list("pk", flat=True)
    )
    if not statement_wallets:
        return 0
    window = match_window()
    taken = set(
        SharedMovement.objects.values_list("statement_entry_id", flat=True).filter(
            account__portfolio_id=account.portfolio_id
        )
    )
    candidates: dict[tuple[int, bool, object], list[tuple[object, int]]] = defaultdict(list)
    for pk, asset, kind, quantity, at in LedgerEntry.objects.filter(
        wallet_id__in=statement_wallets
    ).values_list("pk", "asset_id", "kind", "quantity", "occurred_at"):
        if pk not in taken:
            candidates[(asset, kind in INFLOW_KINDS, quantity)].append((at, pk))
    matched: list[tuple[LedgerEntry, int]] = []
    for entry in LedgerEntry.objects.filter(wallet_id=account.ledger_wallet_id).order_by(
        "occurred_at", "id"
    ):
        options = candidates.get((entry.asset_id, entry.kind in INFLOW_KINDS, entry.quantity))
        if not options:
            continue
        best = min(options, key=lambda o: abs(o[0] - entry.occurred_at))  # type: ignore[operator]
        if abs(best[0] - entry.occurred_at) <= window:  # type: ignore[operator]
            options.remove(best)
            matched.append((entry, best[1]))
    if not matched:
        return 0
    with transaction.atomic():
        SharedMovement.objects.bulk_create(
            [
                SharedMovement(account=account, statement_entry_id=pk, external_id=e.external_id)
                for e, pk in matched
            ]
        )
        LedgerEntry.objects.filter(pk__in=[e.pk for e, _ in matched]).delete()
        wallet = Wallet.objects.get(pk=account.ledger_wallet_id)
        wallet_holdings_recompute(wallet=wallet)
    return len(matched)


def shared_external_ids(account: Account) -> set[str]:
    return set(SharedMovement.objects.filter(account=account).values_list("external_id", flat=True))


def portfolio_share(portfolio_id: int) -> int:
    """After a ledger change: match every Coinbase account of the portfolio."""
    from ledger.services import after_ledger_change

    total = 0
    for account in Account.objects.filter(
        portfolio_id=portfolio_id, exchange__in=list(SHARING_EXCHANGES), valid=True
    ).select_related("portfolio"):
        found = share_statement_movements(account=account)
        if found:
            after_ledger_change(account.portfolio)
        total += found
    return total
