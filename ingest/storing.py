"""Parsed statement rows → ledger rows, one batch at a time.

``EntryWriter.write(rows)`` stores a batch of ``StatementRow`` in a fixed number of queries,
whatever the batch holds: one for the external ids already in the wallet (those rows are
duplicates and are left exactly as they are, including rows the user modified), at most three
for currency codes not seen before in this import (plus an insert per code new to the table:
``currencies.services.currencies_for_statement``), one insert of observed prices, one query per
(asset, fiat) pair whose value must come from the price store, one that the import's currencies
still exist (ledger rows have no database constraint on them: PostgreSQL would check each row)
and the bulk insert. Memory is
bounded by the batch, the assets and the transaction types, never by the file.

Values and the exactness of figures: see ``ingest.figures``.
"""

from __future__ import annotations

import copy
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, localcontext

from django.db import IntegrityError, connection, transaction
from psycopg.errors import UniqueViolation

from core.exceptions import ValidationFailed
from core.models import char_max_length
from currencies.models import Currency
from currencies.services import currencies_for_statement
from ingest.bulk import (
    ENTRY_COLUMNS,
    copy_supported,
    existing_external_ids,
    insert_entries,
    missing_currencies,
    reserve_entry_ids,
)
from ingest.coinbase import StatementRejected, StatementRow
from ingest.figures import (
    CASH,
    PRECISION,
    STATEMENT_SOURCE,
    check_exact,
    observe_prices,
    row_values,
)
from ledger.kinds import INFLOWS, IncomeType, Kind
from ledger.models import Import, LedgerEntry, Wallet
from users.models import User

BATCH_SIZE = 2000
CODE_MAX_LENGTH = char_max_length(Currency, "code")
_SKIPPED = re.compile(r"^skipped .*: (\d+) rows? \(line")
_INFLOWS = frozenset(k.value for k in INFLOWS)
_UNIQUE_IN_WALLET = next(
    c.name
    for c in LedgerEntry._meta.constraints
    if set(getattr(c, "fields", ())) == {"wallet", "external_id"}
)
# Enum members as plain text (a StrEnum's .value is a slow property; psycopg would dump an
# Enum by name).
_TEXT = {member: member.value for enum in (Kind, IncomeType) for member in enum}
_ID = ENTRY_COLUMNS.index("id")
_PAIR = ENTRY_COLUMNS.index("pair_id")
_KIND = ENTRY_COLUMNS.index("kind")
_PAIR_KEY = ENTRY_COLUMNS.index("pair_key")
_LINE = ENTRY_COLUMNS.index("line")
_ASSET = ENTRY_COLUMNS.index("asset_id")
_VALUE_CURRENCY = ENTRY_COLUMNS.index("value_currency_id")


@dataclass
class Tally:
    """What an import read and did, in memory bounded by assets and types."""

    rows_read: int = 0
    rows_added: int = 0
    rows_duplicate: int = 0
    duplicates_modified: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None
    # (Transaction Type as written, asset) -> [rows, rows added]
    by_type: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    holdings: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    cash: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    values: Counter[str] = field(default_factory=Counter)
    prices_observed: int = 0
    prices_rounded: int = 0
    new_currencies: list[str] = field(default_factory=list)


def _repeated_external_id(exc: Exception) -> bool:
    """Whether a database error is the wallet's unique external id (wrapped by Django or not)."""
    for error in (exc, exc.__cause__):
        diag = getattr(error, "diag", None)
        if diag is not None and diag.constraint_name == _UNIQUE_IN_WALLET:
            return True
    return False


def skipped_rows(warnings: Iterable[str]) -> int:
    """How many file rows the parser skipped, read from its warnings."""
    return sum(int(m[1]) for w in warnings if (m := _SKIPPED.match(w)))


class EntryWriter:
    """Stores the batches of one import into ``wallet``; see the module docstring."""

    def __init__(
        self, *, wallet: Wallet, imp: Import, owner: User, fallback_fiat: str, tally: Tally
    ):
        self.wallet = wallet
        self.owner = owner  # new codes become known to them (and to no one else)
        self.imp = imp
        self.fallback_fiat = fallback_fiat
        self.tally = tally
        self.sqlite = connection.vendor == "sqlite"
        self._ids: dict[str, int] = {}  # currency code -> id, for this import
        # Legs with a pair_key whose partner has not come yet: key -> (id, inflow, row values
        # while not inserted). The parser yields the two legs of a pair one after the other, so
        # this holds a leg or two across a batch boundary, plus legs whose partner was stored
        # before this import (linked by ``finish``).
        self._waiting: dict[str, tuple[int, bool, list | None]] = {}
        self._late: list[LedgerEntry] = []  # links to rows already inserted
        self.pairs_linked = 0
        # A wallet with no rows yet can only get a duplicate from the file itself (an id it
        # repeats): on PostgreSQL such batches skip the lookup of existing ids, and the unique
        # constraint catches a repeat, whose batch is then done again with the lookup.
        self._fresh = copy_supported() and not LedgerEntry.objects.filter(wallet=wallet).exists()

    def write(self, rows: list[StatementRow]) -> None:
        """Store one batch: new rows are inserted, rows whose external id the wallet has are
        counted as duplicates and left alone."""
        self._resolve_codes(rows)
        self._observe_prices(rows)
        if self._fresh:
            saved = self._snapshot()
            try:
                with transaction.atomic():  # a savepoint: a repeated id undoes only this batch
                    self._add(rows, {})
                return
            except (IntegrityError, UniqueViolation) as exc:
                if not _repeated_external_id(exc):
                    raise
                self._restore(saved)
                self._fresh = False
        self._add(rows, existing_external_ids(self.wallet.pk, [r.external_id for r in rows]))

    def _snapshot(self) -> tuple:
        tally = self.tally
        return (
            copy.deepcopy(tally),
            dict(self._waiting),
            list(self._late),
            self.pairs_linked,
        )

    def _restore(self, saved: tuple) -> None:
        tally, self._waiting, self._late, self.pairs_linked = saved
        self.tally.__dict__.update(tally.__dict__)

    def _add(self, rows: list[StatementRow], existing: dict[str, bool]) -> None:
        tally = self.tally
        new: list[StatementRow] = []
        seen: set[str] = set()
        by_type = tally.by_type
        for row in rows:
            key = (row.tx_type, row.asset)
            counts = by_type.get(key)
            if counts is None:
                counts = by_type[key] = [0, 0]
            counts[0] += 1
            ident = row.external_id
            if ident in existing or ident in seen:
                tally.rows_duplicate += 1
                tally.duplicates_modified += bool(existing.get(ident))
                continue
            seen.add(ident)
            counts[1] += 1
            check_exact(row, self.sqlite)
            new.append(row)
        tally.rows_read += len(rows)
        if new:
            self._store(self._entries(new))
            tally.rows_added += len(new)

    def _store(self, values: list[list]) -> None:
        """Insert the rows with their pair links: on PostgreSQL ids are taken from the sequence
        first, so links within the batch go in with the rows; elsewhere they are set after."""
        self._check_currencies(values)
        ids = reserve_entry_ids(len(values))
        if ids is not None:
            for row, pk in zip(values, ids, strict=True):
                row[_ID] = pk
            self._link(values, inline=True)
            insert_entries(values)
        else:
            created = insert_entries(values)
            assert created is not None
            for row, entry in zip(values, created, strict=True):
                row[_ID] = entry.pk
            self._link(values, inline=False)
        for key, (pk, inflow, _) in list(self._waiting.items()):
            self._waiting[key] = (pk, inflow, None)  # inserted now
        if self._late:
            LedgerEntry.objects.bulk_update(self._late, ["pair"], batch_size=BATCH_SIZE)
            self._late = []

    def _link(self, values: list[list], *, inline: bool) -> None:
        """Pair the legs (one inflow, one outflow) sharing a pair_key: in the values of rows
        not inserted yet when ``inline``, else (and for rows already in) as later updates."""
        waiting, late = self._waiting, self._late
        for row in values:
            key = row[_PAIR_KEY]
            if not key:
                continue
            pk, inflow = row[_ID], row[_KIND] in _INFLOWS
            other = waiting.pop(key, None)
            if other is None or other[1] == inflow:
                waiting[key] = (pk, inflow, row if inline else None)
                continue
            other_pk, _, other_row = other
            self.pairs_linked += 1
            if inline:
                row[_PAIR] = other_pk
            else:
                late.append(LedgerEntry(pk=pk, pair_id=other_pk))
            if other_row is not None:
                other_row[_PAIR] = pk
            else:
                late.append(LedgerEntry(pk=other_pk, pair_id=pk))

    def finish(self) -> None:
        """Link the legs still waiting to a partner stored before this import, if any."""
        waiting, self._waiting = self._waiting, {}
        keys = list(waiting)
        for start in range(0, len(keys), BATCH_SIZE):
            found: dict[str, list[tuple[int, bool]]] = defaultdict(list)
            partners = (
                LedgerEntry.objects.filter(
                    wallet=self.wallet,
                    pair__isnull=True,
                    pair_key__in=keys[start : start + BATCH_SIZE],
                )
                .exclude(source_import=self.imp)
                .exclude(pair_key="")  # the partial index ledger_wallet_pair_key
                .values_list("pair_key", "id", "kind")
            )
            for key, pk, kind in partners:
                found[key].append((pk, kind in _INFLOWS))
            for key, candidates in found.items():
                pk, inflow, _ = waiting[key]
                if len(candidates) == 1 and candidates[0][1] != inflow:
                    self.pairs_linked += 1
                    self._late.append(LedgerEntry(pk=pk, pair_id=candidates[0][0]))
                    self._late.append(LedgerEntry(pk=candidates[0][0], pair_id=pk))
        if self._late:
            LedgerEntry.objects.bulk_update(self._late, ["pair"], batch_size=BATCH_SIZE)
            self._late = []

    # -- currencies ---------------------------------------------------------------------------

    def _resolve_codes(self, rows: list[StatementRow]) -> None:
        ids = self._ids
        wanted: dict[str, int] = {}  # code -> first line using it
        for row in rows:
            if row.asset not in ids and row.asset not in wanted:
                wanted[row.asset] = row.line
            fiat = row.fiat_currency
            if fiat is not None and fiat not in ids and fiat not in wanted:
                wanted[fiat] = row.line
        if not wanted:
            return
        for code, line in wanted.items():
            if len(code) > CODE_MAX_LENGTH:
                raise StatementRejected(
                    line, f"asset '{code.upper()}' is longer than {CODE_MAX_LENGTH} characters"
                )
        found = currencies_for_statement(codes=wanted, user=self.owner, source=STATEMENT_SOURCE)
        ids.update(found.ids)
        self.tally.new_currencies.extend(found.new)

    def _check_currencies(self, values: list[list]) -> None:
        """Refuse the import if a currency it resolved is gone (one query per batch: ledger
        rows have no database constraint on their currencies, see ``LedgerEntry``)."""
        missing = missing_currencies(self._ids.values())
        if not missing:
            return
        codes = {pk: code for code, pk in self._ids.items()}
        gone = min(missing, key=lambda pk: codes[pk])
        line = next(
            (row[_LINE] for row in values if gone in (row[_ASSET], row[_VALUE_CURRENCY])), None
        )
        reason = (
            f"currency '{codes[gone].upper()}' no longer exists (it was removed while this file "
            "was being imported); nothing was imported"
        )
        raise StatementRejected(line, reason) if line is not None else ValidationFailed(reason)

    def _fallback_id(self) -> int | None:
        code = self.fallback_fiat
        if code not in self._ids:
            found = Currency.objects.filter(code=code).values_list("id", flat=True).first()
            if found is None:
                return None
            self._ids[code] = found
        return self._ids[code]

    # -- prices seen in the file --------------------------------------------------------------

    def _observe_prices(self, rows: list[StatementRow]) -> None:
        observed, rounded = observe_prices(rows, ids=self._ids)
        self.tally.prices_observed += observed
        self.tally.prices_rounded += rounded

    # -- ledger rows --------------------------------------------------------------------------

    def _entries(self, rows: list[StatementRow]) -> list[list]:
        """The rows to insert, in ``bulk.ENTRY_COLUMNS`` order, counted in the tally."""
        ids, tally = self._ids, self.tally
        wallet_id, portfolio_id, import_id = self.wallet.pk, self.wallet.portfolio_id, self.imp.pk
        values = row_values(rows, ids=self._ids, fallback_id=self._fallback_id)
        out = []
        first, last = tally.first_at, tally.last_at
        holdings, cash, sources = tally.holdings, tally.cash, tally.values
        with localcontext(prec=PRECISION):
            for row, (value, value_currency, value_source) in zip(rows, values, strict=True):
                kind = row.kind
                fiat_id = ids[row.fiat_currency] if row.fiat_currency is not None else None
                fee = row.fee if fiat_id is not None else None
                inflow = kind in INFLOWS
                counterparty = (row.sender_address if inflow else row.recipient_address) or ""
                out.append(
                    [
                        None,  # id
                        None,  # pair_id
                        portfolio_id,
                        wallet_id,
                        row.occurred_at,
                        _TEXT[kind],
                        _TEXT[row.income_type] if row.income_type else "",
                        ids[row.asset],
                        row.quantity,
                        value,
                        value_currency,
                        value_source,
                        fiat_id if fee is not None else None,
                        fee,
                        fee,
                        row.external_id,
                        row.pair_key or "",
                        import_id,
                        row.tx_type,
                        row.notes,
                        counterparty[:200],
                        row.line,
                        row.migration,
                    ]
                )
                (cash if kind in CASH else holdings)[row.asset] += (
                    row.quantity if inflow else -row.quantity
                )
                sources[value_source] += 1
                at = row.occurred_at
                if first is None or at < first:
                    first = at
                if last is None or at > last:
                    last = at
        tally.first_at, tally.last_at = first, last
        return out
