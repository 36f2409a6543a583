"""Parsed statement rows → ledger rows, one batch at a time.

``EntryWriter.write(rows)`` stores a batch of ``StatementRow`` in a fixed number of queries,
whatever the batch holds: one for the external ids already in the wallet (those rows are
duplicates and are left exactly as they are, including rows the user modified), at most one
for currency codes not seen before in this import, one insert of observed prices, one query per
(asset, fiat) pair whose value must come from the price store, and the bulk insert. Memory is
bounded by the batch, the assets and the transaction types, never by the file.

Values (``LedgerEntry.value``), in the order tried:
1. the file: the row's subtotal in its fiat, or for variants without a subtotal (L2) its
   quantity times its unit price -> ``value_source = "file"``;
2. the price store (``prices.Price``: daily history and observed prices, any source): the
   price of the asset in the row's fiat (else the portfolio's first fiat reporting currency)
   nearest in time within ``PRICE_WINDOW`` -> ``"price-store"``;
3. nothing: ``value = None``, ``value_source = "missing"`` (never zero).
Figures the file states (quantity, subtotal, fee) are stored exactly or the file is refused
with their line. Figures computed here (quantity x price) and observed unit prices are rounded
to 18 decimal places and 15 significant digits, which both databases keep exactly.
"""

from __future__ import annotations

import copy
import re
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, localcontext

from django.db import IntegrityError, connection, transaction
from psycopg.errors import UniqueViolation

from core.exceptions import ValidationFailed
from core.models import char_max_length
from core.money import (
    MAX_DECIMAL_PLACES,
    MAX_INTEGER_DIGITS,
    SQLITE_SIGNIFICANT_DIGITS,
    check_storable,
    significant_digits,
)
from currencies.models import Currency
from currencies.services import currency_get_or_create_crypto
from ingest.bulk import (
    ENTRY_COLUMNS,
    copy_supported,
    existing_external_ids,
    insert_entries,
    insert_prices,
    reserve_entry_ids,
)
from ingest.coinbase import StatementRejected, StatementRow
from ledger.kinds import INFLOWS, IncomeType, Kind
from ledger.models import Import, LedgerEntry, Wallet
from prices.models import Price

BATCH_SIZE = 2000
STATEMENT_SOURCE = "coinbase-statement"  # Currency.source and Price.source of what we add
PRICE_WINDOW = timedelta(days=1)
CASH = frozenset({Kind.FIAT_DEPOSIT, Kind.FIAT_WITHDRAWAL})
CODE_MAX_LENGTH = char_max_length(Currency, "code")
_Q18 = Decimal(1).scaleb(-MAX_DECIMAL_PLACES)
_SKIPPED = re.compile(r"^skipped .*: (\d+) rows? \(line")
_PRECISION = 80  # running sums stay exact
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


def _fits_exactly(amount: Decimal, sqlite: bool) -> bool:
    """Fast check that ``amount`` needs no rounding in numeric(38, 18) (and on SQLite, in a
    double). Conservative: trailing zeros count, so a False goes to the exact check."""
    _, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)
    if exponent < -MAX_DECIMAL_PLACES or len(digits) + exponent > MAX_INTEGER_DIGITS:
        return False
    return not sqlite or len(digits) <= SQLITE_SIGNIFICANT_DIGITS


def check_exact(row: StatementRow, sqlite: bool) -> None:
    """Refuse, naming the row's line, a figure of the file the database cannot keep exactly."""
    for name, amount in (("quantity", row.quantity), ("subtotal", row.value), ("fee", row.fee)):
        if amount is None or not amount or _fits_exactly(amount, sqlite):
            continue
        try:
            check_storable(amount, field=name)
        except ValidationFailed as exc:
            raise StatementRejected(row.line, exc.problems[0])
        if sqlite and significant_digits(amount) > SQLITE_SIGNIFICANT_DIGITS:
            raise StatementRejected(
                row.line,
                f"{name} '{format(amount, 'f')}' has more significant digits than the embedded "
                f"SQLite database stores exactly ({SQLITE_SIGNIFICANT_DIGITS}); import it on "
                "PostgreSQL (see README, 'Running on PostgreSQL')",
            )


def fit(amount: Decimal) -> Decimal:
    """A figure computed here (quantity x price) or a unit price, rounded (half-even) to what
    both databases keep exactly: 18 decimal places and 15 significant digits. The same on
    SQLite and PostgreSQL, so an import gives the same values on either."""
    if _fits_exactly(amount, True):
        return amount
    with localcontext(prec=_PRECISION):
        if amount.as_tuple().exponent < -MAX_DECIMAL_PLACES:  # type: ignore[operator]
            amount = amount.quantize(_Q18)
        if amount and significant_digits(amount) > SQLITE_SIGNIFICANT_DIGITS:
            amount = amount.quantize(
                Decimal(1).scaleb(amount.adjusted() - SQLITE_SIGNIFICANT_DIGITS + 1)
            )
    return amount


class EntryWriter:
    """Stores the batches of one import into ``wallet``; see the module docstring."""

    def __init__(self, *, wallet: Wallet, imp: Import, fallback_fiat: str, tally: Tally):
        self.wallet = wallet
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
        ids.update(Currency.objects.filter(code__in=list(wanted)).values_list("code", "id"))
        for code in wanted:
            if code not in ids:
                ids[code] = currency_get_or_create_crypto(code=code, source=STATEMENT_SOURCE).pk
                self.tally.new_currencies.append(code)

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
        """Unit prices of the file are real observed prices: keep them in the price store,
        once per (asset, fiat, time)."""
        ids = self._ids
        points: dict[tuple[int, int, datetime], Decimal] = {}
        for row in rows:
            price, fiat = row.unit_price, row.fiat_currency
            if not price or fiat is None or fiat == row.asset or row.kind in CASH:
                continue
            key = (ids[row.asset], ids[fiat], row.occurred_at)
            if key not in points:
                stored = fit(price)
                self.tally.prices_rounded += stored != price
                points[key] = stored
        if points:
            insert_prices(
                ((b, q, at, p) for (b, q, at), p in points.items()),
                kind=Price.OBSERVED,
                source=STATEMENT_SOURCE,
            )
            self.tally.prices_observed += len(points)

    # -- values -------------------------------------------------------------------------------

    def _values(self, rows: list[StatementRow]) -> list[tuple[Decimal | None, int | None, str]]:
        """(value, value currency id, value source) of each row."""
        ids = self._ids
        out: list[tuple[Decimal | None, int | None, str]] = []
        wanted: dict[tuple[int, int], list[int]] = defaultdict(list)  # pair -> row indexes
        for index, row in enumerate(rows):
            fiat = row.fiat_currency
            if fiat is not None:
                if row.value is not None:
                    out.append((row.value, ids[fiat], LedgerEntry.VALUE_FILE))
                    continue
                if row.unit_price is not None:
                    value = fit(row.quantity * row.unit_price)
                    out.append((value, ids[fiat], LedgerEntry.VALUE_FILE))
                    continue
            quote = ids[fiat] if fiat is not None else self._fallback_id()
            asset = ids[row.asset]
            if quote is None:
                out.append((None, None, LedgerEntry.VALUE_MISSING))
            elif quote == asset:  # cash in its own currency is worth its quantity
                out.append((row.quantity, quote, LedgerEntry.VALUE_FILE))
            else:
                out.append((None, None, LedgerEntry.VALUE_MISSING))
                wanted[(asset, quote)].append(index)
        for (asset, quote), indexes in wanted.items():
            self._from_price_store(asset, quote, [rows[i] for i in indexes], indexes, out)
        return out

    def _from_price_store(self, asset, quote, rows, indexes, out) -> None:
        times = [row.occurred_at for row in rows]
        points = list(
            Price.objects.filter(
                base_id=asset,
                quote_id=quote,
                at__gte=min(times) - PRICE_WINDOW,
                at__lte=max(times) + PRICE_WINDOW,
            )
            .order_by("at")
            .values_list("at", "price")
        )
        if not points:
            return
        moments = [at for at, _ in points]
        for row, index in zip(rows, indexes, strict=True):
            at = row.occurred_at
            i = bisect_left(moments, at)
            near = [j for j in (i - 1, i) if 0 <= j < len(points)]
            best = min(near, key=lambda j: abs(moments[j] - at))
            if abs(moments[best] - at) <= PRICE_WINDOW:
                value = fit(row.quantity * points[best][1])
                out[index] = (value, quote, LedgerEntry.VALUE_PRICE_STORE)

    # -- ledger rows --------------------------------------------------------------------------

    def _entries(self, rows: list[StatementRow]) -> list[list]:
        """The rows to insert, in ``bulk.ENTRY_COLUMNS`` order, counted in the tally."""
        ids, tally = self._ids, self.tally
        wallet_id, portfolio_id, import_id = self.wallet.pk, self.wallet.portfolio_id, self.imp.pk
        values = self._values(rows)
        out = []
        first, last = tally.first_at, tally.last_at
        holdings, cash, sources = tally.holdings, tally.cash, tally.values
        with localcontext(prec=_PRECISION):
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
