"""Reads of the ledger, always scoped to a portfolio the caller already owns."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum

from core.exceptions import NotFound
from currencies.models import Currency
from ledger.holdings import CASH_KINDS
from ledger.kinds import Kind
from ledger.models import LedgerEntry, Transfer, Wallet, WalletHolding
from portfolios.models import Portfolio
from portfolios.totals import FROM_WALLET, SourceBalance

# Wallets whose holdings come only from the ledger. Address wallets are left out: an address's
# balance comes from its explorer, and its ledger rows mirror that history.
LEDGER_FED = (Wallet.IMPORT, Wallet.ACCOUNT)


def portfolio_wallet_holdings(portfolio: Portfolio) -> Iterator[SourceBalance]:
    """Holdings of the portfolio's import and exchange-account wallets, one query. ``source``
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


# Inventory: what purchases and sales imply. Rows not yet classified count as a purchase or a
# sale (at their market value); moves between the user's own wallets and cash do not count.
INVENTORY_ACQUIRED = frozenset(
    k.value for k in (Kind.BUY, Kind.TRADE_IN, Kind.INCOME, Kind.GIFT_IN, Kind.UNCLASSIFIED_IN)
)
INVENTORY_DISPOSED = frozenset(
    k.value
    for k in (Kind.SELL, Kind.TRADE_OUT, Kind.SPEND, Kind.GIFT_OUT, Kind.FEE, Kind.UNCLASSIFIED_OUT)
)


@dataclass
class InventoryValue:
    currency: str
    acquired: Decimal = Decimal(0)
    disposed: Decimal = Decimal(0)


@dataclass
class InventoryRow:
    """One asset: quantities acquired and disposed (unclassified rows included, and shown on
    their own too), their difference, and the value of each side per value currency. Rows
    with no value count in the quantities and in ``missing_values``."""

    code: str
    title: str
    acquired: Decimal = Decimal(0)
    disposed: Decimal = Decimal(0)
    unclassified_in: Decimal = Decimal(0)
    unclassified_out: Decimal = Decimal(0)
    rows: int = 0
    missing_values: int = 0
    values: dict[str, InventoryValue] = field(default_factory=dict)

    @property
    def net(self) -> Decimal:
        return self.acquired - self.disposed

    def add(
        self,
        kind: str,
        quantity: Decimal,
        value: Decimal | None,
        currency: str | None,
        rows: int,
        missing: int,
    ) -> None:
        acquired = kind in INVENTORY_ACQUIRED
        if acquired:
            self.acquired += quantity
        else:
            self.disposed += quantity
        if kind == Kind.UNCLASSIFIED_IN:
            self.unclassified_in += quantity
        elif kind == Kind.UNCLASSIFIED_OUT:
            self.unclassified_out += quantity
        self.rows += rows
        self.missing_values += missing
        if value is not None and currency is not None:
            side = self.values.setdefault(currency, InventoryValue(currency))
            if acquired:
                side.acquired += value
            else:
                side.disposed += value


def portfolio_inventory(*, portfolio: Portfolio) -> list[InventoryRow]:
    """Per asset, sorted by code. Exact on both databases: PostgreSQL sums ``numeric``; on
    SQLite (whose SUM is a float) the rows are streamed and summed as Decimal here."""
    rows = LedgerEntry.objects.filter(
        portfolio=portfolio, kind__in=INVENTORY_ACQUIRED | INVENTORY_DISPOSED
    ).order_by()
    by_asset: dict[int, InventoryRow] = {}
    assets = {}

    def row_for(asset_id: int) -> InventoryRow:
        if asset_id not in by_asset:
            by_asset[asset_id] = InventoryRow("", "")
        return by_asset[asset_id]

    if connection.vendor == "postgresql":
        grouped = rows.values("asset_id", "kind", "value_currency__code").annotate(
            # named apart from the fields: ``value`` in the filter below is the column
            total_quantity=Sum("quantity"),
            total_value=Sum("value"),
            n=Count("id"),
            missing=Count("id", filter=Q(value__isnull=True)),
        )
        for g in grouped:
            row_for(g["asset_id"]).add(
                g["kind"],
                g["total_quantity"],
                g["total_value"],
                g["value_currency__code"],
                g["n"],
                g["missing"],
            )
    else:
        stream = rows.values_list("asset_id", "kind", "quantity", "value", "value_currency__code")
        for asset_id, kind, quantity, value, currency in stream.iterator(chunk_size=5000):
            row_for(asset_id).add(kind, quantity, value, currency, 1, 1 if value is None else 0)
    for pk, code, title in Currency.objects.filter(pk__in=list(by_asset)).values_list(
        "pk", "code", "title"
    ):
        assets[pk] = (code, title)
    for asset_id, row in by_asset.items():
        row.code, row.title = assets[asset_id]
    return sorted(by_asset.values(), key=lambda r: r.code)
