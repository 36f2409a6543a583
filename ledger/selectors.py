"""Reads of the ledger, always scoped to a portfolio the caller already owns. The inventory
has its own module, ``ledger.inventory_selectors``."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Q, QuerySet

from core.exceptions import NotFound
from currencies.models import Currency
from ledger.holdings import CASH_KINDS
from ledger.models import LedgerEntry, Transfer, Wallet, WalletHolding
from portfolios.models import Portfolio
from portfolios.totals import FROM_WALLET, SourceBalance

# Wallets whose holdings come only from the ledger. Address and exchange-account wallets are
# left out: an address's balance comes from its explorer and an account's from its exchange
# (the accounts app's holdings source), and their ledger rows mirror that history.
LEDGER_FED = (Wallet.IMPORT,)


def portfolio_wallet_holdings(portfolio: Portfolio) -> Iterator[SourceBalance]:
    """Holdings of the portfolio's import (statement) wallets, one query. ``source``
    names the wallet (e.g. "Coinbase")."""
    rows = WalletHolding.objects.filter(
        wallet__portfolio=portfolio, wallet__kind__in=LEDGER_FED
    ).values_list("asset__code", "quantity", "updated_at", "wallet__name")
    for code, quantity, at, name in rows:
        if quantity != 0:
            yield SourceBalance(code, quantity, at, name, FROM_WALLET)


def assets_in_use() -> set[str]:
    """Every asset some ledger-fed wallet holds (for the price refresh)."""
    return set(
        WalletHolding.objects.filter(wallet__kind__in=LEDGER_FED)
        .exclude(quantity=0)
        .values_list("asset__code", flat=True)
        .distinct()
    )


# --- the ledger's rows, transfers and inventory (API and dashboard) ----------------------------


def ledger_entry_list(*, portfolio: Portfolio) -> QuerySet[LedgerEntry]:
    """The portfolio's rows, newest first, with what the API shows of them in one query."""
    return (
        LedgerEntry.objects.filter(portfolio=portfolio)
        .select_related("wallet", "asset", "value_currency", "fee_asset")
        .order_by("-occurred_at", "-id")
    )


def ledger_entry_get(*, portfolio: Portfolio, entry_id: int | str) -> LedgerEntry:
    """One row of the portfolio, or NotFound (also for rows of other portfolios)."""
    try:
        pk = int(entry_id)
    except (TypeError, ValueError):
        raise NotFound("no such transaction")
    entry = ledger_entry_list(portfolio=portfolio).filter(pk=pk).first()
    if entry is None:
        raise NotFound("no such transaction")
    return entry


def ledger_missing_values(*, portfolio: Portfolio) -> QuerySet[LedgerEntry]:
    """Rows whose fiat value nothing knows, for the user to fill in. Cash movements and rows of
    fiat currencies are left out: their value is their amount."""
    return (
        ledger_entry_list(portfolio=portfolio)
        .filter(value__isnull=True)
        .exclude(kind__in=CASH_KINDS)
        .exclude(asset__is_fiat=True)
    )


def entry_transfers(entry_ids: list[int]) -> dict[int, tuple[int, str]]:
    """entry id -> (transfer id, status) of the transfer each row is a leg of: the proposed or
    accepted one, else the newest rejected one. One query."""
    if not entry_ids:
        return {}
    rank = {Transfer.ACCEPTED: 0, Transfer.PROPOSED: 0, Transfer.REJECTED: 1}
    best: dict[int, tuple[int, int, str]] = {}
    rows = Transfer.objects.filter(
        Q(out_entry_id__in=entry_ids) | Q(in_entry_id__in=entry_ids)
    ).values_list("pk", "status", "out_entry_id", "in_entry_id")
    wanted = set(entry_ids)
    for pk, status, out_id, in_id in rows:
        for entry_id in (out_id, in_id):
            if entry_id not in wanted:
                continue
            key = (rank[status], -pk)
            if entry_id not in best or key < best[entry_id][:2]:
                best[entry_id] = (*key, status)
    return {entry_id: (-neg_pk, status) for entry_id, (_, neg_pk, status) in best.items()}


def transfer_list(*, portfolio: Portfolio, status: str | None = None) -> QuerySet[Transfer]:
    """The portfolio's transfers, newest first, with both legs loaded."""
    transfers = Transfer.objects.filter(portfolio=portfolio).select_related(
        "out_entry__wallet",
        "out_entry__asset",
        "out_entry__value_currency",
        "in_entry__wallet",
        "in_entry__asset",
        "in_entry__value_currency",
    )
    if status:
        transfers = transfers.filter(status=status)
    return transfers.order_by("-created_at", "-id")


def transfer_get(*, portfolio: Portfolio, transfer_id: int | str) -> Transfer:
    try:
        pk = int(transfer_id)
    except (TypeError, ValueError):
        raise NotFound("no such transfer")
    transfer = transfer_list(portfolio=portfolio).filter(pk=pk).first()
    if transfer is None:
        raise NotFound("no such transfer")
    return transfer


def wallet_list(*, portfolio: Portfolio) -> QuerySet[Wallet]:
    """Every wallet of the portfolio, by kind and name."""
    return Wallet.objects.filter(portfolio=portfolio).order_by("kind", "name")


def wallet_import_names(*, portfolio: Portfolio) -> list[str]:
    """Names of the portfolio's wallets a statement can be imported into, by name."""
    return list(
        Wallet.objects.filter(portfolio=portfolio, kind__in=(Wallet.IMPORT, Wallet.ACCOUNT))
        .order_by("name")
        .values_list("name", flat=True)
    )


def ledger_asset_titles(*, portfolio: Portfolio) -> list[tuple[str, str]]:
    """(code, title) of the currencies the portfolio's ledger has rows of, by code. One
    query."""
    ids = LedgerEntry.objects.filter(portfolio=portfolio).values("asset_id").distinct()
    return list(Currency.objects.filter(pk__in=ids).order_by("code").values_list("code", "title"))
