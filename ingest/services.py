"""Importing Coinbase statements into the ledger, and undoing an import.

An import is atomic (a refused file stores nothing: not its rows, not its prices, not its new
currencies, not the import record), idempotent (rows whose external id the wallet already
has are duplicates and are left untouched) and streamed (the file is read in chunks and stored
in batches of ``storing.BATCH_SIZE`` rows). A dry run does the whole import in a transaction
and rolls it back, so it answers exactly what the import would do, duplicates and missing
acquisitions against the wallet's existing history included.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from core.db import atomic_with_retry
from core.exceptions import ValidationFailed
from core.limits import row_id, storable
from core.models import char_max_length
from core.money import format_amount
from core.tasks import enqueue
from ingest.coinbase import CoinbaseCsvParser
from ingest.progress import MeteredReader
from ingest.readahead import batches_ahead
from ingest.selectors import MissingAcquisition, missing_acquisitions
from ingest.storing import BATCH_SIZE, EntryWriter, Tally, skipped_rows
from ledger.holdings import wallet_holdings_recompute
from ledger.kinds import Kind
from ledger.models import Import, LedgerEntry, Transfer, Wallet
from ledger.services import after_ledger_change
from ledger.transfers import transfers_match
from portfolios.history_fetch import portfolio_price_history_ensure
from portfolios.models import Portfolio, PortfolioCurrency
from users.models import User

logger = logging.getLogger(__name__)

DEFAULT_WALLET = "Coinbase"
IMPORT_SOURCE = "coinbase-csv"
WALLET_NAME_MAX = char_max_length(Wallet, "name")

ProgressCallback = Callable[[int, int], None]  # (bytes read, rows read)


@dataclass
class ImportOutcome:
    """An import done (``dry_run`` False, ``imp`` stored) or only tried (``imp`` unsaved)."""

    imp: Import
    dry_run: bool
    missing: list[MissingAcquisition] = field(default_factory=list)


@dataclass
class UndoOutcome:
    imp: Import  # as it was; no longer stored
    rows_removed: int
    user_modified_removed: int


class _RolledBack(Exception):
    def __init__(self, outcome: ImportOutcome):
        self.outcome = outcome


def import_wallet_get(*, portfolio: Portfolio, wallet: str | int | None) -> Wallet:
    """The wallet an import goes to: by id (an import or exchange-account wallet of the
    portfolio), by name (created as an import wallet when new), or the "Coinbase" import wallet
    by default. Locked until the transaction ends, so two imports into one wallet take turns."""
    if wallet is None or (isinstance(wallet, str) and not wallet.strip()):
        wallet = DEFAULT_WALLET
    own = Wallet.objects.filter(portfolio=portfolio, kind__in=(Wallet.IMPORT, Wallet.ACCOUNT))
    if isinstance(wallet, int) or str(wallet).strip().isdigit():
        # An id: "²" is a digit to isdigit but no id, and one past 64 bits names no wallet.
        wallet_id = wallet if isinstance(wallet, int) else row_id(str(wallet))
        found = own.select_for_update().filter(pk=wallet_id).first() if wallet_id else None
        if found is None:
            raise ValidationFailed(f"unknown wallet '{wallet}'")
        return found
    name = str(wallet).strip()
    if len(name) > WALLET_NAME_MAX:
        raise ValidationFailed(f"wallet must be at most {WALLET_NAME_MAX} characters")
    found = own.select_for_update().filter(name=name).order_by("kind").first()
    if found is None:
        # Two imports at once may both create it: the second waits for the first's insert and
        # then finds its row, which it must lock too (else both would write the wallet at once).
        created, _ = Wallet.objects.get_or_create(
            portfolio=portfolio, kind=Wallet.IMPORT, name=name
        )
        found = Wallet.objects.select_for_update().get(pk=created.pk)
    return found


def _fallback_fiat(portfolio: Portfolio) -> str:
    """The fiat used to value a row that names none: the portfolio's first fiat reporting
    currency, else usd."""
    code = (
        PortfolioCurrency.objects.filter(portfolio=portfolio, currency__is_fiat=True)
        .values_list("currency__code", flat=True)
        .first()
    )
    return code or "usd"


def statement_import(
    *,
    portfolio: Portfolio,
    user: User,
    stream: IO[bytes],
    file_name: str,
    wallet: str | int | None = None,
    dry_run: bool = False,
    on_progress: ProgressCallback | None = None,
) -> ImportOutcome:
    """Import a Coinbase "Transaction history" CSV (a binary stream, read once, in chunks)
    into ``wallet`` of ``portfolio``. Raises ``StatementRejected`` (a ``ValidationFailed``
    naming the line) for a file it refuses, having stored nothing. ``on_progress(bytes, rows)``
    is called after each batch. After a real import commits, the wallet's holdings are
    current and ``after_import`` is enqueued.

    Two imports at once (new currency codes, observed prices, holdings) can deadlock on
    PostgreSQL; the loser is done again from the start of its file, a bounded number of times
    (``core.db.atomic_with_retry``), when the stream can be rewound."""
    seekable = getattr(stream, "seekable", None)
    start = stream.tell() if seekable is not None and seekable() else None

    def attempt() -> ImportOutcome:
        outcome = _import(
            portfolio=portfolio,
            user=user,
            reader=MeteredReader(stream),
            file_name=file_name,
            wallet=wallet,
            dry_run=dry_run,
            on_progress=on_progress,
        )
        if dry_run:
            raise _RolledBack(outcome)
        return outcome

    def rewind() -> None:
        assert start is not None
        stream.seek(start)

    try:
        if start is None:
            with transaction.atomic():
                return attempt()
        return atomic_with_retry(attempt, before_retry=rewind)
    except _RolledBack as rolled_back:
        return rolled_back.outcome


def _import(
    *,
    portfolio: Portfolio,
    user: User,
    reader: MeteredReader,
    file_name: str,
    wallet: str | int | None,
    dry_run: bool,
    on_progress: ProgressCallback | None,
) -> ImportOutcome:
    target = import_wallet_get(portfolio=portfolio, wallet=wallet)
    imp = Import.objects.create(
        portfolio=portfolio,
        wallet=target,
        user=user,
        source=IMPORT_SOURCE,
        file_name=(storable(file_name or "") or "statement.csv")[:255],
        file_sha256="",
    )
    tally = Tally()
    writer = EntryWriter(
        wallet=target,
        imp=imp,
        owner=portfolio.user,
        fallback_fiat=_fallback_fiat(portfolio),
        tally=tally,
    )
    parser = CoinbaseCsvParser(reader, max_cell_length=settings.MAX_FIELD_LENGTH)
    with closing(batches_ahead(parser, BATCH_SIZE)) as batches:  # stops the parser on errors
        for batch in batches:
            writer.write(batch)
            if on_progress is not None:
                on_progress(reader.bytes_read, tally.rows_read)
    writer.finish()
    reader.drain()
    if on_progress is not None:
        on_progress(reader.bytes_read, tally.rows_read)
    if tally.rows_added and not dry_run:  # a dry run is rolled back: no holdings to keep
        wallet_holdings_recompute(wallet=target)
    missing = list(missing_acquisitions(portfolio, wallet=target))
    parser_warnings = parser.warnings
    imp.file_sha256 = reader.sha256
    imp.variant = parser.variant or ""
    imp.rows_read = tally.rows_read
    imp.rows_added = tally.rows_added
    imp.rows_duplicate = tally.rows_duplicate
    imp.rows_skipped = skipped_rows(parser_warnings)
    imp.summary = _summary(imp, tally, parser_warnings, missing, file_rows=parser.file_rows)
    imp.save()
    if not dry_run:
        transaction.on_commit(lambda: _after_import_enqueue(portfolio.pk))
        _price_history_after_commit(portfolio.pk)
    return ImportOutcome(imp=imp, dry_run=dry_run, missing=missing)


def _summary(
    imp: Import,
    tally: Tally,
    parser_warnings: list[str],
    missing: list[MissingAcquisition],
    *,
    file_rows: int,
) -> dict[str, Any]:
    warnings = list(parser_warnings)
    earlier = (
        Import.objects.filter(wallet=imp.wallet, file_sha256=imp.file_sha256)
        .exclude(pk=imp.pk)
        .order_by("created_at")
        .first()
    )
    if earlier is not None:
        warnings.append(
            f"this file was imported before into {imp.wallet.name} (import {earlier.pk} of "
            f"{earlier.created_at:%Y-%m-%d %H:%M} UTC): its rows are already there"
        )
    if tally.duplicates_modified:
        warnings.append(
            f"{tally.duplicates_modified} row{'s' if tally.duplicates_modified > 1 else ''} "
            "of this file that you modified in the ledger were kept as you changed them"
        )
    if tally.values["missing"]:
        warnings.append(
            f"no value known for {tally.values['missing']} row"
            f"{'s' if tally.values['missing'] > 1 else ''}: neither the file nor the price "
            "store has a price for them"
        )
    if tally.prices_rounded:
        warnings.append(
            f"{tally.prices_rounded} unit price{'s' if tally.prices_rounded > 1 else ''} "
            "of the file were rounded to fit the price store"
        )
    return {
        "file_rows": file_rows,
        "first_at": tally.first_at.isoformat() if tally.first_at else None,
        "last_at": tally.last_at.isoformat() if tally.last_at else None,
        "rows_by_type": [
            {"type": tx_type, "currency": asset, "rows": rows, "added": added}
            for (tx_type, asset), (rows, added) in sorted(tally.by_type.items())
        ],
        "holdings_change": _amounts(tally.holdings),
        "cash_change": _amounts(tally.cash),
        "values": {source: tally.values.get(source, 0) for source in _VALUE_SOURCES},
        "prices_observed": tally.prices_observed,
        "new_currencies": sorted(tally.new_currencies),
        "duplicates_user_modified": tally.duplicates_modified,
        "warnings": warnings,
        "missing_acquisitions": [missing_answer(m) for m in missing],
    }


_VALUE_SOURCES = (LedgerEntry.VALUE_FILE, LedgerEntry.VALUE_PRICE_STORE, LedgerEntry.VALUE_MISSING)


def _amounts(changes: dict) -> list[dict[str, str | None]]:
    return [{"currency": code, "change": format_amount(changes[code])} for code in sorted(changes)]


def missing_answer(missing: MissingAcquisition) -> dict[str, Any]:
    return {
        "wallet": missing.wallet,
        "currency": missing.asset,
        "shortfall": format_amount(missing.shortfall),
        "since": missing.since.isoformat(),
        "line": missing.line,
        "import_id": missing.import_id,
        "entry_id": missing.entry_id,
        "message": missing.sentence,
    }


@transaction.atomic
def import_undo(*, imp: Import) -> UndoOutcome:
    """Remove exactly the rows of ``imp`` (rows the user modified included: they belong to
    it; the answer counts them) and the import record, then recompute the wallet's holdings.
    Rows of other imports stay; a pair link into the removed rows is cleared. Prices the file
    brought stay in the price store: they are real observations."""
    wallet = Wallet.objects.select_for_update().get(pk=imp.wallet_id)
    entries = LedgerEntry.objects.filter(source_import=imp)
    modified = entries.filter(user_modified=True).count()
    _release_transfers(imp)
    LedgerEntry.objects.filter(pair__source_import=imp).exclude(source_import=imp).update(pair=None)
    entries.exclude(pair=None).update(pair=None)
    removed = 0
    while chunk := list(entries.order_by().values_list("pk", flat=True)[:BATCH_SIZE]):
        _, per_model = LedgerEntry.objects.filter(pk__in=chunk).delete()
        removed += per_model.get(LedgerEntry._meta.label, 0)
    portfolio_id = imp.portfolio_id
    Import.objects.filter(pk=imp.pk).delete()
    wallet_holdings_recompute(wallet=wallet)
    transaction.on_commit(lambda: _after_import_enqueue(portfolio_id))
    return UndoOutcome(imp=imp, rows_removed=removed, user_modified_removed=modified)


def _release_transfers(imp: Import) -> None:
    """An accepted transfer between a row of ``imp`` and a row elsewhere goes with the import's
    row (cascade); the other row gets back the kind the accept replaced, as a rejection would
    do (its wallet's holdings do not change: a transfer and an unclassified move have the same
    direction)."""
    accepted = Transfer.objects.filter(
        Q(out_entry__source_import=imp) | Q(in_entry__source_import=imp),
        status=Transfer.ACCEPTED,
    ).select_related("out_entry", "in_entry")
    for transfer in accepted:
        for leg, before, set_by_accept in (
            (transfer.out_entry, transfer.out_kind_before, Kind.TRANSFER_OUT),
            (transfer.in_entry, transfer.in_kind_before, Kind.TRANSFER_IN),
        ):
            if leg.source_import_id != imp.pk and before and leg.kind == set_by_accept.value:
                leg.kind = before
                leg.save(update_fields=["kind", "updated_at"])


def undo_warnings(outcome: UndoOutcome) -> list[str]:
    n = outcome.user_modified_removed
    if not n:
        return []
    return [
        f"{n} row{'s' if n > 1 else ''} you had modified {'were' if n > 1 else 'was'} "
        "removed with this import"
    ]


def _price_history_after_commit(portfolio_id: int) -> None:
    """The daily prices of the assets the statement brought, over their held period, fetched
    now rather than at the nightly run (the value history is built on them)."""
    transaction.on_commit(lambda: portfolio_price_history_ensure(portfolio_id=portfolio_id))


def _after_import_enqueue(portfolio_id: int) -> None:
    from ingest.tasks import after_import_run

    enqueue(after_import_run, portfolio_id)


def after_import(portfolio: Portfolio) -> None:
    """The ledger work that follows an import or an undo: transfer matching, then a rebuild of
    the cost basis. The import changed the ledger whether or not matching works, so the
    rebuild is enqueued even when matching fails; the failure is then raised (the task fails
    where it can be seen: the worker's log, a test)."""
    try:
        transfers_match(portfolio=portfolio)
    finally:
        after_ledger_change(portfolio)
