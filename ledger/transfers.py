"""Transfer matching: a send from one of the user's wallets and a receive into another one,
proposed as the same money moving between them.

Rules (settings are read when matching runs, with ``getattr`` defaults):

- Candidates: sends are UNCLASSIFIED_OUT and TRANSFER_OUT rows, receives UNCLASSIFIED_IN and
  TRANSFER_IN rows, of the same portfolio, not in a proposed or accepted transfer, and not the
  internal legs of a statement's migration (``migration=True``, already linked by the source).
- Same chain transaction id (``reference``, non-empty) and asset on both sides, in different
  wallets: matched whatever the times, and accepted at once (unless a leg was changed by the
  user: then it waits for the user like any other match). When one send has several receives
  with its id (one transaction paying two of the user's addresses), the largest received not
  above the sent amount wins.
- Otherwise by window: same asset, different wallets, the receive at or after the send and at
  most ``TRANSFER_MATCH_WINDOW_HOURS`` (default 12) later, received <= sent and
  ``sent - received <= max(sent * TRANSFER_MATCH_TOLERANCE, TRANSFER_MATCH_MIN_FEE[asset])``
  (defaults: 0.01, i.e. 1 % of the sent amount, and no absolute minimum; the minimum is a dict
  of asset code -> quantity for chains whose fees are large next to small sends, e.g.
  ``{"btc": "0.0005"}``). Two on-chain rows (both in address wallets) with different
  transaction ids are never the same money. These wait for the user to accept or reject.
- Competition: pairs are taken closest in time first (then smallest difference, then ids), so
  of two receives for one send the closer one wins and the other stays unmatched; the same
  holds for two sends competing for one receive.
- A rejected pair is never proposed again.
- ``sent - received`` is the transfer's fee (``Transfer.fee_quantity``, never negative).

Accepting sets the legs' kinds to TRANSFER_OUT / TRANSFER_IN (an accept is the user's decision,
so it applies whatever the rows' ``user_modified``) and remembers what it changed, so that
rejecting an accepted transfer restores the kinds it replaced. Matching sorts candidates per
asset by time and finds each send's receives by bisection: O(n log n + pairs in the window).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.exceptions import ValidationFailed
from ledger.holdings import wallet_holdings_recompute
from ledger.kinds import Kind
from ledger.models import LedgerEntry, Transfer, Wallet
from portfolios.models import Portfolio

SEND_KINDS = (Kind.UNCLASSIFIED_OUT.value, Kind.TRANSFER_OUT.value)
RECEIVE_KINDS = (Kind.UNCLASSIFIED_IN.value, Kind.TRANSFER_IN.value)
CANDIDATE_KINDS = frozenset(SEND_KINDS + RECEIVE_KINDS)
ACTIVE = (Transfer.PROPOSED, Transfer.ACCEPTED)

DEFAULT_WINDOW_HOURS = 12
DEFAULT_TOLERANCE = Decimal("0.01")


def match_window() -> timedelta:
    return timedelta(
        hours=float(getattr(settings, "TRANSFER_MATCH_WINDOW_HOURS", DEFAULT_WINDOW_HOURS))
    )


def match_tolerance() -> Decimal:
    return Decimal(str(getattr(settings, "TRANSFER_MATCH_TOLERANCE", DEFAULT_TOLERANCE)))


def match_min_fees() -> dict[str, Decimal]:
    raw = getattr(settings, "TRANSFER_MATCH_MIN_FEE", None) or {}
    return {code.lower(): Decimal(str(quantity)) for code, quantity in raw.items()}


# --- the pure part -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Leg:
    """One candidate row, as the matcher sees it."""

    id: int
    wallet_id: int
    on_chain: bool  # the row mirrors an address's history (its reference is a real txid)
    asset: str
    at: datetime
    quantity: Decimal
    reference: str = ""
    user_modified: bool = False


@dataclass(frozen=True, slots=True)
class Match:
    out: Leg
    into: Leg
    by: str  # Transfer.BY_TXID or Transfer.BY_WINDOW

    @property
    def fee(self) -> Decimal:
        return max(self.out.quantity - self.into.quantity, Decimal(0))

    @property
    def automatic(self) -> bool:
        """Accepted without asking: same txid, and no leg the user changed by hand."""
        return self.by == Transfer.BY_TXID and not (
            self.out.user_modified or self.into.user_modified
        )


def find_matches(
    sends: Iterable[Leg],
    receives: Iterable[Leg],
    *,
    rejected: set[tuple[int, int]] | frozenset[tuple[int, int]] = frozenset(),
    window: timedelta,
    tolerance: Decimal,
    min_fees: dict[str, Decimal] | None = None,
) -> list[Match]:
    """The transfers the rules of this module propose among ``sends`` and ``receives`` (none of
    them in a transfer yet). Each leg is used at most once. Deterministic: the same input in
    any order gives the same matches."""
    min_fees = min_fees or {}
    sends = sorted(sends, key=lambda leg: (leg.at, leg.id))
    receives = sorted(receives, key=lambda leg: (leg.at, leg.id))
    used_out: set[int] = set()
    used_in: set[int] = set()
    matches: list[Match] = []

    def compatible(out: Leg, into: Leg) -> bool:
        return (
            out.wallet_id != into.wallet_id
            and out.asset == into.asset
            and (out.id, into.id) not in rejected
        )

    # 1. The same chain transaction on both sides.
    by_txid: dict[tuple[str, str], list[Leg]] = defaultdict(list)
    for leg in receives:
        if leg.reference:
            by_txid[(leg.asset, leg.reference)].append(leg)
    for out in sends:
        if not out.reference:
            continue
        options = [
            r
            for r in by_txid.get((out.asset, out.reference), ())
            if r.id not in used_in and compatible(out, r)
        ]
        if not options:
            continue
        best = min(options, key=lambda r: _txid_preference(out, r))
        used_out.add(out.id)
        used_in.add(best.id)
        matches.append(Match(out, best, Transfer.BY_TXID))

    # 2. Within the window, closest in time first.
    receives_by_asset: dict[str, list[Leg]] = defaultdict(list)
    for leg in receives:
        if leg.id not in used_in:
            receives_by_asset[leg.asset].append(leg)
    times_by_asset = {asset: [leg.at for leg in legs] for asset, legs in receives_by_asset.items()}
    candidates: list[tuple[timedelta, Decimal, int, int, Leg, Leg]] = []
    for out in sends:
        if out.id in used_out or out.asset not in receives_by_asset:
            continue
        legs, times = receives_by_asset[out.asset], times_by_asset[out.asset]
        allowed = max(out.quantity * tolerance, min_fees.get(out.asset, Decimal(0)))
        lo = bisect.bisect_left(times, out.at)
        hi = bisect.bisect_right(times, out.at + window)
        for into in legs[lo:hi]:
            difference = out.quantity - into.quantity
            if difference < 0 or difference > allowed or not compatible(out, into):
                continue
            if (
                out.on_chain
                and into.on_chain
                and out.reference
                and into.reference
                and out.reference != into.reference
            ):
                continue
            candidates.append((into.at - out.at, difference, out.id, into.id, out, into))
    candidates.sort(key=lambda c: c[:4])
    for _, _, out_id, in_id, out, into in candidates:
        if out_id in used_out or in_id in used_in:
            continue
        used_out.add(out_id)
        used_in.add(in_id)
        matches.append(Match(out, into, Transfer.BY_WINDOW))
    return matches


def _txid_preference(out: Leg, into: Leg) -> tuple:
    over = into.quantity > out.quantity
    return (over, abs(out.quantity - into.quantity), abs(into.at - out.at), into.id)


# --- the database part -------------------------------------------------------------------------


@dataclass(frozen=True)
class MatchResult:
    proposed: int
    accepted: int


def transfers_match(portfolio: Portfolio) -> MatchResult:
    """Propose (or, by txid, accept) the transfers the portfolio's unmatched candidates form.
    Safe to run any number of times; runs serialised per portfolio."""
    with transaction.atomic():
        Portfolio.objects.select_for_update().filter(pk=portfolio.pk).first()
        rows = (
            LedgerEntry.objects.filter(
                portfolio=portfolio, kind__in=CANDIDATE_KINDS, migration=False
            )
            .exclude(transfers_out__status__in=ACTIVE)
            .exclude(transfers_in__status__in=ACTIVE)
            .values_list(
                "id",
                "wallet_id",
                "wallet__kind",
                "asset__code",
                "kind",
                "occurred_at",
                "quantity",
                "reference",
                "user_modified",
            )
            .order_by()
        )
        sends: list[Leg] = []
        receives: list[Leg] = []
        for (
            pk,
            wallet_id,
            wallet_kind,
            asset,
            kind,
            at,
            quantity,
            reference,
            modified,
        ) in rows.iterator(chunk_size=5000):
            leg = Leg(
                pk,
                wallet_id,
                wallet_kind == Wallet.ADDRESS,
                asset,
                at,
                quantity,
                reference,
                modified,
            )
            (sends if kind in SEND_KINDS else receives).append(leg)
        if not sends or not receives:
            return MatchResult(0, 0)
        rejected = set(
            Transfer.objects.filter(portfolio=portfolio, status=Transfer.REJECTED).values_list(
                "out_entry_id", "in_entry_id"
            )
        )
        matches = find_matches(
            sends,
            receives,
            rejected=rejected,
            window=match_window(),
            tolerance=match_tolerance(),
            min_fees=match_min_fees(),
        )
        if not matches:
            return MatchResult(0, 0)
        now = timezone.now()
        transfers = Transfer.objects.bulk_create(
            [
                Transfer(
                    portfolio=portfolio,
                    out_entry_id=m.out.id,
                    in_entry_id=m.into.id,
                    status=Transfer.PROPOSED,
                    matched_by=m.by,
                    fee_quantity=m.fee,
                )
                for m in matches
            ]
        )
        automatic = [
            t.pk if t.pk else Transfer.objects.get(out_entry_id=m.out.id, in_entry_id=m.into.id).pk
            for t, m in zip(transfers, matches, strict=True)
            if m.automatic
        ]
        wallets: set[int] = set()
        for transfer in Transfer.objects.filter(pk__in=automatic).select_related(
            "out_entry", "in_entry"
        ):
            _accept(transfer, now)
            wallets |= {transfer.out_entry.wallet_id, transfer.in_entry.wallet_id}
        _recompute(wallets)
    if automatic:
        _ledger_changed(portfolio)
    return MatchResult(proposed=len(matches) - len(automatic), accepted=len(automatic))


def transfer_accept(*, transfer: Transfer) -> Transfer:
    """The user says both legs are the same money: they become TRANSFER_OUT / TRANSFER_IN.
    Accepting an accepted transfer changes nothing; a rejected one can be accepted later
    while its legs are still free and still sends and receives."""
    with transaction.atomic():
        transfer = (
            Transfer.objects.select_for_update()
            .select_related("out_entry", "in_entry")
            .get(pk=transfer.pk)
        )
        if transfer.status == Transfer.ACCEPTED:
            return transfer
        problems = []
        for leg, kinds in ((transfer.out_entry, SEND_KINDS), (transfer.in_entry, RECEIVE_KINDS)):
            other = (
                Transfer.objects.filter(Q(out_entry=leg) | Q(in_entry=leg), status__in=ACTIVE)
                .exclude(pk=transfer.pk)
                .first()
            )
            if other is not None:
                problems.append(f"entry {leg.pk} is already part of transfer {other.pk}")
            elif leg.kind not in kinds:
                problems.append(
                    f"entry {leg.pk} is now a {leg.kind} row and cannot be a leg of a transfer"
                )
        if problems:
            raise ValidationFailed(problems)
        _accept(transfer, timezone.now())
        _recompute({transfer.out_entry.wallet_id, transfer.in_entry.wallet_id})
    _ledger_changed(transfer.portfolio)
    return transfer


def transfer_reject(*, transfer: Transfer) -> Transfer:
    """The user says the legs are not the same money. The pair is never proposed again; if it
    was accepted, the kinds the accept replaced come back. The freed legs may then match
    others."""
    with transaction.atomic():
        transfer = (
            Transfer.objects.select_for_update()
            .select_related("out_entry", "in_entry")
            .get(pk=transfer.pk)
        )
        if transfer.status == Transfer.REJECTED:
            return transfer
        was_accepted = transfer.status == Transfer.ACCEPTED
        if was_accepted:
            _restore(transfer.out_entry, transfer.out_kind_before, Kind.TRANSFER_OUT)
            _restore(transfer.in_entry, transfer.in_kind_before, Kind.TRANSFER_IN)
        transfer.status = Transfer.REJECTED
        transfer.decided_at = timezone.now()
        transfer.out_kind_before = transfer.in_kind_before = ""
        transfer.save(
            update_fields=[
                "status",
                "decided_at",
                "out_kind_before",
                "in_kind_before",
                "updated_at",
            ]
        )
        if was_accepted:
            _recompute({transfer.out_entry.wallet_id, transfer.in_entry.wallet_id})
    if was_accepted:
        _ledger_changed(transfer.portfolio)
    transfers_match(portfolio=transfer.portfolio)
    return transfer


def transfers_refresh_fees(*, entry_ids: Iterable[int]) -> int:
    """After a source changed the quantities of some rows: keep ``fee_quantity`` of their
    proposed and accepted transfers equal to sent minus received. Returns transfers changed."""
    ids = list(entry_ids)
    if not ids:
        return 0
    changed = 0
    transfers = Transfer.objects.filter(
        Q(out_entry_id__in=ids) | Q(in_entry_id__in=ids), status__in=ACTIVE
    ).select_related("out_entry", "in_entry")
    for transfer in transfers:
        fee = max(transfer.out_entry.quantity - transfer.in_entry.quantity, Decimal(0))
        if fee != transfer.fee_quantity:
            transfer.fee_quantity = fee
            transfer.save(update_fields=["fee_quantity", "updated_at"])
            changed += 1
    return changed


def _accept(transfer: Transfer, now: datetime) -> None:
    out, into = transfer.out_entry, transfer.in_entry
    transfer.out_kind_before = _set_kind(out, Kind.TRANSFER_OUT)
    transfer.in_kind_before = _set_kind(into, Kind.TRANSFER_IN)
    transfer.status = Transfer.ACCEPTED
    transfer.decided_at = now
    transfer.save(
        update_fields=["status", "decided_at", "out_kind_before", "in_kind_before", "updated_at"]
    )


def _set_kind(entry: LedgerEntry, kind: Kind) -> str:
    """Give ``entry`` the kind; return the kind it had when that changed it, else ""."""
    if entry.kind == kind.value:
        return ""
    before = entry.kind
    entry.kind = kind.value
    entry.save(update_fields=["kind", "updated_at"])
    return before


def _restore(entry: LedgerEntry, before: str, set_by_accept: Kind) -> None:
    if before and entry.kind == set_by_accept.value:
        entry.kind = before
        entry.save(update_fields=["kind", "updated_at"])


def _recompute(wallet_ids: set[int]) -> None:
    for wallet in Wallet.objects.filter(pk__in=wallet_ids):
        wallet_holdings_recompute(wallet=wallet)


def _ledger_changed(portfolio: Portfolio) -> None:
    from ledger.services import after_ledger_change  # services imports this module

    after_ledger_change(portfolio)
