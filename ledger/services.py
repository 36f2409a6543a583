"""Writes to the ledger: address histories mirrored into it, and rows re-classified by hand.

Rows that came from a source are never changed by that source again once a user changed them
(``user_modified``, set by any PATCH through the API).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from addresses.models import Address, AddressTransaction
from core.exceptions import ValidationFailed
from core.money import format_amount
from currencies.models import Currency
from ledger.holdings import wallet_holdings_recompute
from ledger.kinds import INFLOWS, OUTFLOWS, IncomeType, Kind
from ledger.models import LedgerEntry, Transfer, Wallet
from ledger.signals import ledger_changed
from ledger.transfers import CANDIDATE_KINDS, transfers_match, transfers_refresh_fees
from portfolios.models import Portfolio, PortfolioCurrency
from prices.models import Price

logger = logging.getLogger(__name__)

FEE_SUFFIX = ":fee"
TX_RECEIVE, TX_SEND, TX_FEE = "receive", "send", "network fee"
# A value from the price store is an estimate (a daily close times a quantity): kept to 18
# places and 15 significant digits, which both databases store exactly.
VALUE_PLACES = Decimal(1).scaleb(-18)
VALUE_SIGNIFICANT = 15


# --- hooks -------------------------------------------------------------------------------------


def after_ledger_change(portfolio: Portfolio) -> None:
    """Announce the change (``ledger_changed``, which the costbasis app answers with a rebuild)
    once the current transaction commits: a change that rolls back must not leave an enqueued
    flag behind, and the build must see the committed rows."""
    portfolio_id = portfolio.pk

    def run() -> None:
        current = Portfolio.objects.filter(pk=portfolio_id).first()
        if current is not None:  # not deleted meanwhile
            ledger_changed.send(sender=Portfolio, portfolio=current)

    transaction.on_commit(run)


# --- address histories -------------------------------------------------------------------------


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


# --- re-classifying by hand --------------------------------------------------------------------

UNSET: Any = object()
CASH_KINDS = frozenset({Kind.FIAT_DEPOSIT, Kind.FIAT_WITHDRAWAL})
ACQUISITION_KINDS = frozenset(INFLOWS - {Kind.FIAT_DEPOSIT})


def ledger_entry_update(
    *,
    entry: LedgerEntry,
    kind: str = UNSET,
    income_type: str | None = UNSET,
    value: Decimal | None = UNSET,
    value_currency: str | None = UNSET,
    notes: str = UNSET,
    pinned_lots: list[tuple[int, Decimal]] = UNSET,
) -> LedgerEntry:
    """Change a row by hand: re-classify it (``kind``, and ``income_type`` for income), set its
    fiat value (``value`` with ``value_currency``; ``value=None`` clears it), its notes, or
    pin a disposal to acquisitions (``pinned_lots``: [(entry id, quantity)], entries of the
    same portfolio and asset). Any change marks the row ``user_modified``: its source never
    changes it again. A kind keeps the row's direction (a receive stays an inflow).

    Raises ValidationFailed with one sentence per problem."""
    given = {
        name
        for name, v in (
            ("kind", kind),
            ("income_type", income_type),
            ("value", value),
            ("value_currency", value_currency),
            ("notes", notes),
            ("pinned_lots", pinned_lots),
        )
        if v is not UNSET
    }
    if not given:
        raise ValidationFailed(
            "nothing to change: send kind, income_type, value, value_currency, notes or pinned_lots"
        )
    with transaction.atomic():
        entry = (
            LedgerEntry.objects.select_for_update(of=("self",))
            .select_related("asset", "value_currency")
            .get(pk=entry.pk)
        )
        old_kind = entry.kind
        problems: list[str] = []
        new_kind = _check_kind(entry, kind, problems) if kind is not UNSET else Kind(entry.kind)
        new_income = _check_income_type(entry, new_kind, income_type, problems)
        value_changes = _check_value(entry, value, value_currency, problems)
        pins = (
            _check_pins(entry, new_kind, pinned_lots, problems)
            if pinned_lots is not UNSET
            else UNSET
        )
        if problems:
            raise ValidationFailed(problems)

        entry.kind, entry.income_type = new_kind.value, new_income
        if value_changes is not None:
            entry.value, entry.value_currency, entry.value_source = value_changes
        if notes is not UNSET:
            entry.notes = notes
        if pins is not UNSET:
            entry.pinned_lots = pins
        entry.user_modified = True
        entry.save()

        kind_changed = entry.kind != old_kind
        if kind_changed and entry.kind not in CANDIDATE_KINDS:
            # A proposal the user has answered by classifying a leg otherwise.
            Transfer.objects.filter(
                Q(out_entry=entry) | Q(in_entry=entry), status=Transfer.PROPOSED
            ).delete()
        if kind_changed or value_changes is not None:
            wallet_holdings_recompute(wallet=entry.wallet)
        if kind_changed or value_changes is not None or pins is not UNSET:
            after_ledger_change(entry.portfolio)
    if kind_changed and entry.kind in CANDIDATE_KINDS:
        transfers_match(portfolio=entry.portfolio)
    return entry


def _check_kind(entry: LedgerEntry, raw: str, problems: list[str]) -> Kind:
    current = Kind(entry.kind)
    try:
        kind = Kind(str(raw).strip().lower())
    except ValueError:
        problems.append(f"unknown kind '{raw}'; use one of {', '.join(k.value for k in Kind)}")
        return current
    if (kind in INFLOWS) != (current in INFLOWS):
        side, other = ("incoming", "outgoing") if current in INFLOWS else ("outgoing", "incoming")
        problems.append(f"kind '{kind.value}' is {other} but this row is {side}")
        return current
    if kind in CASH_KINDS and not entry.asset.is_fiat:
        problems.append(f"kind '{kind.value}' is only for fiat currencies, not {entry.asset.code}")
        return current
    if kind != current:
        accepted = (
            Transfer.objects.filter(
                Q(out_entry=entry) | Q(in_entry=entry), status=Transfer.ACCEPTED
            )
            .values_list("pk", flat=True)
            .first()
        )
        if accepted is not None:
            problems.append(
                f"this row is part of accepted transfer {accepted}; reject the transfer before re-classifying the row"
            )
            return current
    return kind


def _check_income_type(entry: LedgerEntry, kind: Kind, raw: str | None, problems: list[str]) -> str:
    if kind != Kind.INCOME:
        if raw not in (UNSET, None, ""):
            problems.append("income_type applies to income rows only")
        return ""
    if raw in (UNSET, None, ""):
        return entry.income_type or IncomeType.OTHER.value
    try:
        return IncomeType(str(raw).strip().lower()).value
    except ValueError:
        problems.append(
            f"unknown income_type '{raw}'; use one of {', '.join(t.value for t in IncomeType)}"
        )
        return entry.income_type


def _check_value(
    entry: LedgerEntry, value: Decimal | None, code: str | None, problems: list[str]
) -> tuple[Decimal | None, Currency | None, str] | None:
    """The new (value, value_currency, value_source), or None when the value stays."""
    if value is UNSET:
        if code is not UNSET:
            problems.append("value_currency can only be set together with value")
        return None
    if value is None:
        return None, None, LedgerEntry.VALUE_MISSING
    if value < 0:
        problems.append("value must not be negative")
    if code is UNSET or code is None or code == "":
        currency = entry.value_currency
        if currency is None:
            problems.append('value_currency is required with value (for example "usd")')
            return None
    else:
        currency = Currency.objects.filter(code=str(code).strip().lower()).first()
        if currency is None:
            problems.append(f"unknown currency '{code}'")
            return None
        if not currency.is_fiat:
            problems.append(f"value_currency must be a fiat currency, not '{currency.code}'")
            return None
    return value, currency, LedgerEntry.VALUE_MANUAL


def _check_pins(
    entry: LedgerEntry, kind: Kind, pins: list[tuple[int, Decimal]], problems: list[str]
) -> list[list]:
    """Pins as stored: [[entry id, "quantity"], ...]."""
    if not pins:
        return []
    if kind not in OUTFLOWS or kind in CASH_KINDS:
        problems.append("pinned_lots apply to outgoing rows only")
        return []
    ids = [pk for pk, _ in pins]
    lots = {
        e.pk: e
        for e in LedgerEntry.objects.filter(portfolio_id=entry.portfolio_id, pk__in=ids).only(
            "pk", "kind", "asset_id", "quantity", "occurred_at"
        )
    }
    seen: set[int] = set()
    total = Decimal(0)
    for i, (pk, quantity) in enumerate(pins):
        where = f"pinned_lots[{i}]"
        lot = lots.get(pk)
        if pk in seen:
            problems.append(f"{where}: entry {pk} is pinned twice")
        elif lot is None:
            problems.append(f"{where}: no entry {pk} in this portfolio")
        elif lot.kind not in ACQUISITION_KINDS:
            problems.append(f"{where}: entry {pk} is not an acquisition (it is {lot.kind})")
        elif lot.asset_id != entry.asset_id:
            problems.append(f"{where}: entry {pk} is not {entry.asset.code}")
        elif lot.occurred_at > entry.occurred_at:
            problems.append(f"{where}: entry {pk} was acquired after this row")
        elif quantity <= 0:
            problems.append(f"{where}: quantity must be more than 0")
        elif quantity > lot.quantity:
            problems.append(
                f"{where}: quantity {format_amount(quantity)} is more than entry {pk} acquired ({format_amount(lot.quantity)})"
            )
        seen.add(pk)
        total += max(quantity, Decimal(0))
    if total > entry.quantity:
        problems.append(
            f"pinned_lots add up to {format_amount(total)}, more than this row's quantity ({format_amount(entry.quantity)})"
        )
    return [[pk, format_amount(quantity)] for pk, quantity in pins]
