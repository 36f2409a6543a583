"""Writes to the ledger: the change hook, and rows re-classified by hand. Address histories
are mirrored into it by ``ledger.address_sync``.

Rows that came from a source are never changed by that source again once a user changed them
(``user_modified``, set by any PATCH through the API).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q

from core.exceptions import ValidationFailed
from core.money import format_amount
from currencies.models import Currency
from ledger.holdings import wallet_holdings_recompute
from ledger.kinds import INFLOWS, OUTFLOWS, IncomeType, Kind
from ledger.models import LedgerEntry, Transfer
from ledger.signals import ledger_changed
from ledger.transfers import CANDIDATE_KINDS, transfers_match
from portfolios.models import Portfolio
from portfolios.services_totals import portfolio_totals_invalidate

# --- hooks -------------------------------------------------------------------------------------


def after_ledger_change(portfolio: Portfolio) -> None:
    """Announce the change (``ledger_changed``, which the costbasis app answers with a rebuild)
    once the current transaction commits: a change that rolls back must not leave an enqueued
    flag behind, and the build must see the committed rows. The stored totals are invalidated
    at once, in the change's transaction: a holdings row has its own trigger, but a ledger row
    can change what the totals read through it (an exchange account's shared statement rows)
    without changing a holding."""
    portfolio_id = portfolio.pk
    portfolio_totals_invalidate(portfolio_id=portfolio_id)

    def run() -> None:
        current = Portfolio.objects.filter(pk=portfolio_id).first()
        if current is not None:  # not deleted meanwhile
            ledger_changed.send(sender=Portfolio, portfolio=current)

    transaction.on_commit(run)


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
        # Listed ones only: a value is in a fiat currency, and the codes statements bring
        # (unlisted until an operator lists them) are never one; answering "unknown" for them
        # tells nobody what other users imported.
        currency = Currency.objects.filter(code=str(code).strip().lower(), listed=True).first()
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
