"""Address histories mirrored into the ledger: one wallet per address, one row per movement
(received, sent, network fee), valued from the price store where the history has no value.

Rows that came from an address are never changed by it again once a user changed them
(``user_modified``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.db import IntegrityError, transaction

from addresses.models import Address, AddressTransaction
from currencies.models import Currency
from ledger.holdings import wallet_holdings_recompute
from ledger.kinds import Kind
from ledger.models import LedgerEntry, Wallet
from ledger.services import after_ledger_change
from ledger.transfers import transfers_match, transfers_refresh_fees
from portfolios.models import Portfolio, PortfolioCurrency
from prices.models import Price

FEE_SUFFIX = ":fee"
TX_RECEIVE, TX_SEND, TX_FEE = "receive", "send", "network fee"
# A value from the price store is an estimate (a daily close times a quantity): kept to 18
# places and 15 significant digits, which both databases store exactly.
VALUE_PLACES = Decimal(1).scaleb(-18)
VALUE_SIGNIFICANT = 15


@dataclass(frozen=True)
class AddressLedgerSync:
    wallet_id: int | None
    created: int = 0
    updated: int = 0
    deleted: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


@dataclass(frozen=True, slots=True)
class _Wanted:
    """One ledger row an address transaction stands for."""

    external_id: str
    kind: str
    quantity: Decimal
    occurred_at: datetime
    reference: str
    asset_id: int
    txn_id: int
    tx_type: str


def address_rows(*, key: str, delta: Decimal, fee: Decimal) -> list[tuple[str, Kind, Decimal]]:
    """The ledger rows of one address transaction, as (external_id, kind, quantity).

    ``delta`` is what the address gained, fee included; ``fee`` the network fee it paid.
    Incoming (delta > 0): one UNCLASSIFIED_IN of delta. Outgoing: an UNCLASSIFIED_OUT of what
    left for others (|delta| - fee), and a FEE row of the fee (external id ``key:fee``). A
    send to itself (delta = -fee, change only) or a failed Ethereum call is the fee alone."""
    if delta > 0:
        return [(key, Kind.UNCLASSIFIED_IN, delta)]
    if delta == 0:
        return []
    fee = min(max(fee, Decimal(0)), -delta)
    rows = []
    sent = -delta - fee
    if sent > 0:
        rows.append((key, Kind.UNCLASSIFIED_OUT, sent))
    if fee > 0:
        rows.append((key + FEE_SUFFIX, Kind.FEE, fee))
    return rows


def ledger_sync_address(*, address_id: int) -> AddressLedgerSync:
    """Mirror an address's confirmed transactions into its wallet's ledger rows: add the rows
    of new ones, update rows whose chain data changed unless the user changed them, remove rows
    the history no longer has. Then recompute the wallet's holdings and match transfers in the
    portfolio.

    Unconfirmed transactions stay out (README "What counts where"): the address's holding is
    the explorer's confirmed balance, so its ledger rows, and the lots and inventory built on
    them, are its confirmed history. A pending transaction joins the ledger, at its block time,
    with the sync that sees it confirmed (one that is dropped never leaves a row behind).

    Values come from the price store: the daily price of the transaction's UTC day in the
    portfolio's first fiat reporting currency (USD when it has none); else the value is
    missing. A missing value is filled in by a later sync once the price is stored."""
    address = Address.objects.select_related("portfolio", "currency").filter(pk=address_id).first()
    if address is None:
        return AddressLedgerSync(wallet_id=None)
    with transaction.atomic():
        wallet = _address_wallet(address)
        result = _mirror(address, wallet)
        if result.changed:
            wallet_holdings_recompute(wallet=wallet)
    transfers_match(portfolio=address.portfolio)
    if result.changed:
        after_ledger_change(address.portfolio)
    return result


def _address_wallet(address: Address) -> Wallet:
    """The address's wallet, created on first use and locked for this transaction."""
    wallet = Wallet.objects.select_for_update().filter(address=address).first()
    if wallet is None:
        try:
            with transaction.atomic():
                return Wallet.objects.create(
                    portfolio=address.portfolio,
                    kind=Wallet.ADDRESS,
                    address=address,
                    name=_wallet_name(address),
                )
        except IntegrityError:  # another worker created it just now
            return Wallet.objects.select_for_update().get(address=address)
    name = _wallet_name(address, wallet)
    if name != wallet.name:
        wallet.name = name
        wallet.save(update_fields=["name", "updated_at"])
    return wallet


def _wallet_name(address: Address, wallet: Wallet | None = None) -> str:
    """The address's title (or the address itself), made unique among the portfolio's
    address wallets: two addresses may share a title."""
    base = (address.title or address.address)[:100]
    taken = Wallet.objects.filter(portfolio_id=address.portfolio_id, kind=Wallet.ADDRESS)
    if wallet is not None:
        taken = taken.exclude(pk=wallet.pk)
    for name in (base, f"{base} ({address.address})"[:100], f"{base[:90]} #{address.pk}"):
        if not taken.filter(name=name).exists():
            return name
    return f"address #{address.pk}"


def _mirror(address: Address, wallet: Wallet) -> AddressLedgerSync:
    wanted: dict[str, _Wanted] = {}
    txns = AddressTransaction.objects.filter(address=address, confirmed=True).values_list(
        "id", "key", "reference", "delta", "fee", "txn_at", "currency_id"
    )
    for txn_id, key, reference, delta, fee, txn_at, currency_id in txns.order_by().iterator(
        chunk_size=5000
    ):
        for external_id, kind, quantity in address_rows(key=key, delta=delta, fee=fee):
            tx_type = {Kind.UNCLASSIFIED_IN: TX_RECEIVE, Kind.UNCLASSIFIED_OUT: TX_SEND}.get(
                kind, TX_FEE
            )
            wanted[external_id] = _Wanted(
                external_id, kind.value, quantity, txn_at, reference, currency_id, txn_id, tx_type
            )
    existing = {e.external_id: e for e in LedgerEntry.objects.filter(wallet=wallet)}

    value_currency = _value_currency(address.portfolio)
    needs_price = [w for w in wanted.values() if _wants_price(existing.get(w.external_id), w)]
    prices = _daily_prices(needs_price, value_currency)

    created: list[LedgerEntry] = []
    updated: list[LedgerEntry] = []
    for external_id, want in wanted.items():
        entry = existing.get(external_id)
        price = prices.get((want.asset_id, want.occurred_at.astimezone(UTC).date()))
        if entry is None:
            created.append(
                LedgerEntry(
                    portfolio_id=address.portfolio_id,
                    wallet=wallet,
                    occurred_at=want.occurred_at,
                    kind=want.kind,
                    asset_id=want.asset_id,
                    quantity=want.quantity,
                    external_id=external_id,
                    reference=want.reference,
                    source_address_txn_id=want.txn_id,
                    tx_type=want.tx_type,
                    **_value_fields(want.quantity, price, value_currency),
                )
            )
        elif not entry.user_modified and _refresh(entry, want, price, value_currency):
            updated.append(entry)
    stale = [
        e.pk
        for external_id, e in existing.items()
        if external_id not in wanted and not e.user_modified
    ]

    LedgerEntry.objects.bulk_create(created, batch_size=1000)
    if updated:
        fields = [
            "occurred_at",
            "quantity",
            "reference",
            "source_address_txn",
            "value",
            "value_currency",
            "value_source",
            "updated_at",
        ]
        # One save per row: updates are rare (confirmations, late prices), and bulk_update's
        # CASE expressions do not pass AmountField's SQLite exactness check.
        for entry in updated:
            entry.save(update_fields=fields)
        transfers_refresh_fees(entry_ids=[e.pk for e in updated])
    if stale:
        LedgerEntry.objects.filter(pk__in=stale).delete()
    return AddressLedgerSync(
        wallet_id=wallet.pk, created=len(created), updated=len(updated), deleted=len(stale)
    )


def _wants_price(entry: LedgerEntry | None, want: _Wanted) -> bool:
    if entry is None:
        return True
    if entry.user_modified:
        return False
    return entry.value_source == LedgerEntry.VALUE_MISSING or (
        entry.value_source == LedgerEntry.VALUE_PRICE_STORE
        and (entry.quantity != want.quantity or entry.occurred_at != want.occurred_at)
    )


def _refresh(
    entry: LedgerEntry, want: _Wanted, price: Decimal | None, value_currency: Currency | None
) -> bool:
    """Bring a source row in step with its transaction; True when something changed."""
    chain_changed = (
        entry.occurred_at,
        entry.quantity,
        entry.reference,
        entry.source_address_txn_id,
    ) != (
        want.occurred_at,
        want.quantity,
        want.reference,
        want.txn_id,
    )
    value_stale = entry.value_source == LedgerEntry.VALUE_MISSING or (
        chain_changed and entry.value_source == LedgerEntry.VALUE_PRICE_STORE
    )
    if not chain_changed and not (value_stale and price is not None):
        return False
    entry.occurred_at, entry.quantity = want.occurred_at, want.quantity
    entry.reference, entry.source_address_txn_id = want.reference, want.txn_id
    if value_stale:
        fields = _value_fields(want.quantity, price, value_currency)
        entry.value, entry.value_currency, entry.value_source = (
            fields["value"],
            fields["value_currency"],
            fields["value_source"],
        )
    return True


def _value_fields(
    quantity: Decimal, price: Decimal | None, currency: Currency | None
) -> dict[str, Any]:
    if price is None or currency is None:
        return {"value": None, "value_currency": None, "value_source": LedgerEntry.VALUE_MISSING}
    return {
        "value": estimate_value(quantity, price),
        "value_currency": currency,
        "value_source": LedgerEntry.VALUE_PRICE_STORE,
    }


def estimate_value(quantity: Decimal, price: Decimal) -> Decimal:
    """quantity x price, kept to 18 decimal places and 15 significant digits (an estimate
    from a daily price; exact enough, and stored the same on SQLite and PostgreSQL)."""
    value = quantity * price
    if value == 0:
        return Decimal(0)
    places = max(VALUE_SIGNIFICANT - value.adjusted() - 1, 0)
    quantum = max(Decimal(1).scaleb(-places), VALUE_PLACES)
    return value.quantize(quantum, rounding=ROUND_HALF_EVEN).normalize()


def _value_currency(portfolio: Portfolio) -> Currency | None:
    """The portfolio's first fiat reporting currency, else USD."""
    first = (
        PortfolioCurrency.objects.filter(portfolio=portfolio, currency__is_fiat=True)
        .select_related("currency")
        .order_by("position", "id")
        .first()
    )
    return first.currency if first else Currency.objects.filter(code="usd").first()


def _daily_prices(
    rows: list[_Wanted], currency: Currency | None
) -> dict[tuple[int, date], Decimal]:
    """Daily prices of the rows' assets on the rows' UTC days, in ``currency``: one query per
    asset over the span of days needed."""
    if not rows or currency is None:
        return {}
    days: dict[int, set[date]] = defaultdict(set)
    for row in rows:
        days[row.asset_id].add(row.occurred_at.astimezone(UTC).date())
    found: dict[tuple[int, date], Decimal] = {}
    for asset_id, wanted_days in days.items():
        if asset_id == currency.pk:
            found.update({(asset_id, d): Decimal(1) for d in wanted_days})
            continue
        start = datetime.combine(min(wanted_days), time.min, UTC)
        end = datetime.combine(max(wanted_days) + timedelta(days=1), time.min, UTC)
        points = (
            Price.objects.filter(
                base_id=asset_id, quote=currency, kind=Price.DAILY, at__gte=start, at__lt=end
            )
            .order_by("-at", "source")
            .values_list("at", "price")
        )
        for at, price in points:
            day = at.astimezone(UTC).date()
            if day in wanted_days:
                found.setdefault((asset_id, day), price)
    return found
