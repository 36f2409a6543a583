"""The inventory: per currency, what the portfolio's purchases and sales add up to.

A movement counts when it is of a purchase or sale type (API.md "Inventory"):

- buys, sells and both legs of trades, from statements and exchange accounts;
- receives and sends not yet explained (``unclassified_in`` / ``unclassified_out``): an address's
  on-chain history is mirrored into the ledger as such, and a statement's sends and receives
  too; they count as a purchase or a sale until the user re-classifies them (a transfer between
  own wallets, a gift, income, a fee, ...);
- the network fee an address paid on a send, mirrored beside it (``<key>:fee``): it left the
  address on chain as part of the send, so the inventory of an address-only portfolio equals
  the explorer's balance.

Income, gifts, spending, fees recorded as such and transfers between own wallets do not count.
An on-chain movement still in the mempool does not count until it confirms: the explorer's
balance leaves it out too, and an unconfirmed transaction may yet be replaced.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from currencies.models import Currency
from ledger.address_sync import FEE_SUFFIX
from ledger.kinds import Kind
from ledger.models import LedgerEntry, Wallet
from portfolios.models import Portfolio, PortfolioCurrency
from portfolios.totals import CALCULATED

INVENTORY_ACQUIRED = frozenset(k.value for k in (Kind.BUY, Kind.TRADE_IN, Kind.UNCLASSIFIED_IN))
INVENTORY_DISPOSED = frozenset(
    k.value for k in (Kind.SELL, Kind.TRADE_OUT, Kind.UNCLASSIFIED_OUT, Kind.FEE)
)

# Which rows count (see the module docstring). A FEE row counts only as an address's mirrored
# network fee; a row the user re-classified as a fee does not.
COUNTED = (
    Q(kind__in=INVENTORY_ACQUIRED - {Kind.FEE.value})
    | Q(kind__in=INVENTORY_DISPOSED - {Kind.FEE.value})
    | Q(kind=Kind.FEE.value, wallet__kind=Wallet.ADDRESS, external_id__endswith=FEE_SUFFIX)
)


@dataclass
class InventoryValue:
    """What the counted rows of one asset were worth in one value currency."""

    code: str
    title: str
    acquired: Decimal = Decimal(0)
    disposed: Decimal = Decimal(0)


@dataclass
class InventoryRow:
    """One currency: the quantities its counted rows acquired and disposed (unclassified rows
    included, and also shown on their own), and the value of each side per value currency,
    sorted by code. Rows without a value count in the quantities and in ``missing_values``.
    ``balance_at`` is the age of the oldest source that went into it; ``source`` names the one
    source (an explorer, a statement's wallet) or is ``calculated``."""

    code: str
    title: str
    acquired: Decimal = Decimal(0)
    disposed: Decimal = Decimal(0)
    unclassified_in: Decimal = Decimal(0)
    unclassified_out: Decimal = Decimal(0)
    rows: int = 0
    missing_values: int = 0
    values: list[InventoryValue] = field(default_factory=list)
    balance_at: datetime | None = None
    source: str = CALCULATED

    @property
    def balance(self) -> Decimal:
        return self.acquired - self.disposed


@dataclass(frozen=True, slots=True)
class _Group:
    """Counted rows of one wallet, asset, kind and value currency (one row on SQLite)."""

    wallet_id: int
    asset_id: int
    kind: str
    value_currency_id: int | None
    quantity: Decimal
    value: Decimal | None
    rows: int
    missing: int
    changed_at: datetime
    chain_source: str | None


@dataclass
class _Asset:
    """What the groups of one asset add up to, before the currency titles are loaded."""

    row: InventoryRow
    values: dict[int, list[Decimal]] = field(default_factory=dict)  # id -> [acquired, disposed]
    wallets: set[int] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)

    def add(self, group: _Group, wallet_name: str) -> None:
        row = self.row
        acquired = group.kind in INVENTORY_ACQUIRED
        if acquired:
            row.acquired += group.quantity
        else:
            row.disposed += group.quantity
        if group.kind == Kind.UNCLASSIFIED_IN:
            row.unclassified_in += group.quantity
        elif group.kind == Kind.UNCLASSIFIED_OUT:
            row.unclassified_out += group.quantity
        row.rows += group.rows
        row.missing_values += group.missing
        if group.value is not None and group.value_currency_id is not None:
            sides = self.values.setdefault(group.value_currency_id, [Decimal(0), Decimal(0)])
            sides[0 if acquired else 1] += group.value
        self.wallets.add(group.wallet_id)
        # an address's rows name the explorer they came from, as its balance does
        self.sources.add(group.chain_source or wallet_name)


def portfolio_inventory(*, portfolio: Portfolio, now: datetime | None = None) -> list[InventoryRow]:
    """One row per currency that is a reporting currency or has counted movements, sorted by
    code; ``balance`` = acquired − disposed. Exact on both databases; four queries whatever
    the size of the ledger. The caller owns ``portfolio`` (isolation) and, for the API,
    checks first that its addresses were fetched (``portfolios.freshness``).

    ``balance_at`` is the age of the oldest wallet that went into the row: an address wallet
    is as old as the address's last fetch (its rows mirror that fetch), another wallet as its
    newest row (a statement is as recent as what it brought). A reporting currency nothing
    moved is as old as the oldest of them, or now."""
    now = now or timezone.now()
    wallets = _wallets(portfolio)
    assets: dict[int, _Asset] = {}
    newest: dict[int, datetime] = {}  # wallet id -> its newest counted row change
    for group in _groups(portfolio):
        asset = assets.setdefault(group.asset_id, _Asset(InventoryRow("", "")))
        asset.add(group, wallets[group.wallet_id][1])
        newest[group.wallet_id] = max(
            newest.get(group.wallet_id, group.changed_at), group.changed_at
        )
    age = {pk: wallets[pk][0] or changed for pk, changed in newest.items()}
    wanted = set(assets) | {pk for a in assets.values() for pk in a.values}
    names = {
        pk: (code, title)
        for pk, code, title in Currency.objects.filter(pk__in=wanted).values_list(
            "pk", "code", "title"
        )
    }
    rows: dict[str, InventoryRow] = {}
    for asset_id, asset in assets.items():
        row = asset.row
        row.code, row.title = names[asset_id]
        row.values = sorted(
            (InventoryValue(*names[pk], *sides) for pk, sides in asset.values.items()),
            key=lambda v: v.code,
        )
        row.balance_at = min(age[pk] for pk in asset.wallets)
        row.source = next(iter(asset.sources)) if len(asset.sources) == 1 else CALCULATED
        rows[row.code] = row
    reporting = PortfolioCurrency.objects.filter(portfolio=portfolio).values_list(
        "currency__code", "currency__title"
    )
    oldest = min(age.values(), default=now)
    for code, title in reporting:
        rows.setdefault(code, InventoryRow(code, title, balance_at=oldest))
    return [rows[code] for code in sorted(rows)]


def _groups(portfolio: Portfolio) -> Iterator[_Group]:
    """The counted rows, summed per group by PostgreSQL (exact ``numeric``), streamed and summed
    here as Decimal on SQLite (whose SUM is a float)."""
    entries = (
        LedgerEntry.objects.filter(portfolio=portfolio)
        .filter(COUNTED)
        # still in the mempool: not (yet) part of the address's balance
        .exclude(source_address_txn__confirmed=False)
        .order_by()
    )
    if connection.vendor == "postgresql":
        grouped = entries.values("wallet_id", "asset_id", "kind", "value_currency_id").annotate(
            # named apart from the fields: ``value`` in the filter below is the column
            total_quantity=Sum("quantity"),
            total_value=Sum("value"),
            n=Count("id"),
            missing=Count("id", filter=Q(value__isnull=True)),
            changed_at=Max("updated_at"),
            chain_source=Max("source_address_txn__source"),
        )
        for g in grouped:
            yield _Group(
                g["wallet_id"],
                g["asset_id"],
                g["kind"],
                g["value_currency_id"],
                g["total_quantity"],
                g["total_value"],
                g["n"],
                g["missing"],
                g["changed_at"],
                g["chain_source"],
            )
        return
    stream = entries.values_list(
        "wallet_id",
        "asset_id",
        "kind",
        "value_currency_id",
        "quantity",
        "value",
        "updated_at",
        "source_address_txn__source",
    )
    for (
        wallet_id,
        asset_id,
        kind,
        currency_id,
        quantity,
        value,
        changed_at,
        chain,
    ) in stream.iterator(chunk_size=5000):
        missing = 1 if value is None else 0
        yield _Group(
            wallet_id, asset_id, kind, currency_id, quantity, value, 1, missing, changed_at, chain
        )


def _wallets(portfolio: Portfolio) -> dict[int, tuple[datetime | None, str]]:
    """wallet id -> (the last fetch of its address, None for other wallets; its name as the
    balances name it, e.g. "Coinbase")."""
    rows = Wallet.objects.filter(portfolio=portfolio).values_list(
        "pk", "name", "address__fetch_state__balances_fetched_at"
    )
    return {pk: (fetched_at, name) for pk, name, fetched_at in rows}
