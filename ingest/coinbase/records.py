"""Reading a statement file into checked records: decoding, finding the header, checking each
row's cells. Knows nothing of pairs or ledger kinds beyond the type rule of each row."""

from __future__ import annotations

import _csv
import codecs
import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import NoReturn, Protocol

from ledger.kinds import INFLOWS

from .formats import HEADER_SCAN_LINES, Layout, match_header
from .notes import Exchange
from .rows import StatementRejected
from .txtypes import Handling, TypeRule, type_rule
from .values import parse_money, parse_quantity, parse_timestamp

_CHUNK = 1 << 16


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """A byte that is not UTF-8 is read as Windows-1252 (some files carry `€` as 0x80)."""
    assert isinstance(error, UnicodeDecodeError)
    bad = error.object[error.start : error.end]
    return bytes(bad).decode("cp1252", errors="replace"), error.end


codecs.register_error("coinbase-cp1252", _cp1252_fallback)


class ReadableStream(Protocol):
    """What a statement is read from: a text or binary file, or ``ingest.progress``'s metered
    reader (which counts and hashes the bytes on their way)."""

    def read(self, size: int = -1, /) -> str | bytes: ...


def text_lines(stream: ReadableStream) -> Iterator[str]:
    """The stream's lines as text, read in 64 KiB chunks (never the whole file). Bytes are
    UTF-8 with or without a BOM, falling back to cp1252 byte by byte."""
    if isinstance(stream.read(0), str):
        yield from stream  # type: ignore[misc]
        return
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="coinbase-cp1252")
    tail = ""
    while chunk := stream.read(_CHUNK):
        lines = (tail + decoder.decode(chunk)).split("\n")  # type: ignore[arg-type]
        tail = lines.pop()
        for line in lines:
            yield line + "\n"
    tail += decoder.decode(b"", final=True)
    if tail:
        yield tail


@dataclass(slots=True)
class Record:
    """One file row, read and checked, before it becomes movements."""

    line: int
    ref: str  # the ID, or the fingerprint when the variant has no ID column
    occurred_at: datetime
    tx_type: str  # as written, trimmed
    type_key: str  # lowercased, spaces collapsed
    rule: TypeRule
    asset: str
    quantity: Decimal  # signed as written
    fiat: str | None
    price: Decimal | None
    value: Decimal | None
    fee: Decimal | None
    notes: str
    sender: str | None
    recipient: str | None
    exchange: Exchange | None = None  # the other leg, read from Notes by the parser


@dataclass
class WarningLog:
    """Warnings counted by message, with the first few line numbers: bounded memory."""

    seen: dict[str, tuple[int, list[int]]] = field(default_factory=dict)

    def add(self, message: str, line: int) -> None:
        count, lines = self.seen.get(message, (0, []))
        if len(lines) < 5:
            lines.append(line)
        self.seen[message] = (count + 1, lines)

    def render(self) -> list[str]:
        out = []
        for message, (count, lines) in self.seen.items():
            where = ", ".join(map(str, lines)) + (", …" if count > len(lines) else "")
            out.append(f"{message}: {count} row{'s' if count > 1 else ''} (line {where})")
        return out


def _checked_rows(reader: _csv.Reader) -> Iterator[list[str]]:
    """The reader's rows; a file the csv module cannot split into rows (binary data, a bare
    carriage return inside a field) is refused at the line it reached, never a server error."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise StatementRejected(reader.line_num + 1, f"not a CSV file: {exc}") from None


class RecordReader:
    """Reads the checked records of one statement: ``start()`` finds the header, ``records()``
    yields the rows after it. ``negative_seen`` turns true at the first negative quantity;
    ``data_rows`` counts the file's rows after the header read so far (blank lines aside),
    skipped ones included: one row can make two ledger rows, so this is the file's own count."""

    def __init__(self, stream: ReadableStream, warnings: WarningLog):
        self._stream = stream
        self._warnings = warnings
        self.layout: Layout | None = None
        self.header_line: int | None = None
        self.negative_seen = False
        self.data_rows = 0
        self._csv: _csv.Reader = csv.reader(())
        self._rules: dict[str, tuple[str, str, TypeRule]] = {}
        self._ts_text = ""
        self._ts_value: datetime | None = None
        self._fingerprints: dict[str, int] = {}
        self._fingerprint_ts = ""

    def start(self) -> Layout:
        """Find the header (reading at most HEADER_SCAN_LINES lines) and return its layout."""
        self._csv = csv.reader(text_lines(self._stream))
        self.layout = self._find_header(_checked_rows(self._csv))
        return self.layout

    def records(self) -> Iterator[Record]:
        """The checked records after the header; call ``start`` first."""
        reader, layout = self._csv, self.layout
        assert layout is not None
        columns = layout.columns
        last = reader.line_num
        for cells in _checked_rows(reader):
            line = last + 1
            last = reader.line_num
            if not any(cells):
                continue  # blank lines, e.g. trailing ones
            self.data_rows += 1
            if len(cells) != columns:
                raise StatementRejected(
                    line, f"expected {columns} columns, found {len(cells)} (truncated row?)"
                )
            record = self._read(cells, line, layout)
            if record is not None:
                yield record

    def _find_header(self, reader: Iterator[list[str]]) -> Layout:
        best: tuple[tuple[bool, int], int, list[str]] | None = None
        line = 0
        for line, cells in enumerate(reader, start=1):
            trimmed = [cell.replace("\ufeff", "").strip() for cell in cells]
            layout = match_header(trimmed)
            if layout is not None:
                self.header_line = line
                return layout
            # The row to quote in the refusal: the first that looks like a header, else the widest.
            score = (bool({"Timestamp", "Transaction Type", "Asset"} & set(trimmed)), len(trimmed))
            if best is None or score > best[0]:
                best = (score, line, trimmed)
            if line >= HEADER_SCAN_LINES:
                break
        if best is None:
            raise StatementRejected(1, "the file is empty, no Coinbase header found")
        found = ", ".join(repr(cell) for cell in best[2] if cell) or "none"
        raise StatementRejected(
            best[1],
            f"header not recognised as a Coinbase transaction history in the first "
            f"{min(line, HEADER_SCAN_LINES)} lines; columns found: {found}",
        )

    def _read(self, cells: list[str], line: int, layout: Layout) -> Record | None:
        raw_type = cells[layout.tx_type]
        known = self._rules.get(raw_type)
        if known is None:
            tx_type = raw_type.strip()
            rule = type_rule(tx_type)
            if rule is None:
                raise StatementRejected(line, f"unknown transaction type '{tx_type}'")
            known = self._rules[raw_type] = (tx_type, " ".join(tx_type.lower().split()), rule)
        tx_type, type_key, rule = known
        asset = layout.fixed_asset or cells[layout.asset].strip().lower()  # type: ignore[index]
        if not asset:
            raise StatementRejected(line, "the asset is empty")
        raw = cells[layout.quantity]
        try:
            quantity = parse_quantity(raw)
        except ValueError:
            raise StatementRejected(line, f"quantity '{raw}' is not a number")
        raw = cells[layout.timestamp]
        if raw != self._ts_text:  # consecutive rows often share a timestamp
            try:
                self._ts_value = parse_timestamp(raw)
            except ValueError:
                raise StatementRejected(line, f"timestamp '{raw}' is not a date")
            self._ts_text = raw
        occurred_at = self._ts_value
        assert occurred_at is not None
        value = fee = None
        try:
            price = parse_money(cells[layout.price])
            if layout.subtotal is not None:
                value = parse_money(cells[layout.subtotal])
            if layout.total is not None:
                parse_money(cells[layout.total])
            if layout.fee is not None:
                fee = parse_money(cells[layout.fee])
        except ValueError:
            _reject_money(cells, line, layout)
        if quantity < 0:
            self.negative_seen = True
        if rule.handling is Handling.INTERNAL:
            self._warnings.add(f"skipped internal '{tx_type}' (no holdings change)", line)
            return None
        if not quantity:
            self._warnings.add(f"skipped '{tx_type}' with quantity 0", line)
            return None
        if layout.id is not None:
            ref = cells[layout.id].strip()
            if not ref:
                raise StatementRejected(line, "the ID is empty")
        else:
            ref = self._fingerprint(cells, raw)
        notes = cells[layout.notes].strip() if layout.notes is not None else ""
        sender = recipient = None
        if layout.sender is not None:
            sender = cells[layout.sender].strip() or None
            recipient = cells[layout.recipient].strip() or None  # type: ignore[index]
        elif layout.address is not None and (address := cells[layout.address].strip()):
            if rule.kind in INFLOWS:
                sender = address
            else:
                recipient = address
        fiat = layout.fixed_currency or cells[layout.currency].strip().lower() or None  # type: ignore[index]
        return Record(
            line,
            ref,
            occurred_at,
            tx_type,
            type_key,
            rule,
            asset,
            quantity,
            fiat,
            price,
            value,
            fee,
            notes,
            sender,
            recipient,
        )

    def _fingerprint(self, cells: list[str], timestamp: str) -> str:
        """sha256 of the trimmed cells, plus how many identical rows came before it. Identical
        rows share a timestamp, so the count only remembers rows of the current timestamp."""
        digest = hashlib.sha256("\x1f".join(c.strip() for c in cells).encode()).hexdigest()
        if timestamp != self._fingerprint_ts:
            self._fingerprints.clear()
            self._fingerprint_ts = timestamp
        seen = self._fingerprints.get(digest, 0)
        self._fingerprints[digest] = seen + 1
        return f"{digest}-{seen}"


def _reject_money(cells: list[str], line: int, layout: Layout) -> NoReturn:
    """Name the money cell that is not a number."""
    for name, index in (
        ("price", layout.price),
        ("subtotal", layout.subtotal),
        ("total", layout.total),
        ("fee", layout.fee),
    ):
        if index is None:
            continue
        try:
            parse_money(cells[index])
        except ValueError:
            raise StatementRejected(line, f"{name} '{cells[index]}' is not a number")
    raise AssertionError("a money cell failed to parse once and then parsed")
