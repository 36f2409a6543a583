"""The streaming Coinbase "Transaction history" CSV parser: records → ledger movements,
pairing the legs of Converts, crypto trades and staking/migration transfers."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ledger.kinds import INFLOWS, IncomeType, Kind

from .notes import market_quote, parse_convert, parse_trade, trade_assets
from .records import DEFAULT_MAX_CELL_LENGTH, ReadableStream, Record, RecordReader, WarningLog
from .rows import StatementRejected, StatementRow
from .txtypes import FIAT_CODES, RECEIVE_INCOME, Handling

# A leg that may have a partner waits for it, in file time, before it is resolved alone.
# The two rows of a V5 Convert share one ID, hence one creation time: they are a few seconds
# apart at most. The legs of a staking transfer or migration have IDs of their own and were
# seen up to a second apart; they get more room. Rows after a waiting leg are held back (to
# keep file order), so memory is the rows inside these windows, and never more than MAX_HELD
# rows: past that the oldest waiting leg is resolved alone.
SAME_ID_WINDOW_SECONDS = 2
PAIR_WINDOW_SECONDS = 300
MAX_HELD = 10_000


@dataclass(slots=True)
class _Slot:
    """A place in the output: rows are emitted in file order, so a leg waiting for its partner
    holds back the rows after it (``rows is None`` while it waits)."""

    record: Record | None
    rows: list[StatementRow] | None = None
    window: int = 0  # seconds of file time the record waits for its partner


def _unsigned_direction(type_key: str, asset: str) -> int | None:
    """Direction of an unsigned staking/migration leg (V1-V3 write every quantity positive):
    the eth2 side is known for the ETH2 types, nothing else is."""
    if asset != "eth2":
        return None
    if type_key == "retail staking transfer":
        return 1
    if type_key in ("retail unstaking transfer", "retail eth2 deprecation"):
        return -1
    return None


class CoinbaseCsvParser:
    """Streams the ledger movements of one Coinbase "Transaction history" CSV.

    ``stream`` is a binary file (UTF-8, BOM or not, cp1252 bytes tolerated) or a text file.
    Iterating reads the stream once, chunk by chunk, and yields ``StatementRow`` in file order
    (the second leg of a pair right after the first; a leg waiting for its partner holds back
    the rows after it). The first bad line raises ``StatementRejected``; rows already yielded
    must then be discarded by the caller.
    After iteration starts, ``variant`` is the detected variant and ``header_line`` the line of
    the header; after it ends, ``warnings`` lists what was skipped or looked odd.
    ``max_cell_length``: characters one cell may hold; a longer one refuses the file."""

    def __init__(self, stream: ReadableStream, *, max_cell_length: int = DEFAULT_MAX_CELL_LENGTH):
        self._started = False
        self.variant: str | None = None
        self.header_line: int | None = None
        self._warnings = WarningLog()
        self._reader = RecordReader(stream, self._warnings, max_cell_length=max_cell_length)
        self._has_ids = False
        self._queue: deque[_Slot] = deque()
        self._waiting: deque[_Slot] = deque()  # slots with rows None, in arrival order
        self._by_ref: dict[str, _Slot] = {}  # waiting two-leg rows by ID
        self._legs: list[_Slot] = []  # waiting staking/migration legs

    @property
    def warnings(self) -> list[str]:
        return self._warnings.render()

    @property
    def file_rows(self) -> int:
        """The data rows of the file read so far (not the preamble, the header or blank lines)."""
        return self._reader.data_rows

    def __iter__(self) -> Iterator[StatementRow]:
        if self._started:
            raise RuntimeError("a CoinbaseCsvParser reads its stream once")
        self._started = True
        return self._rows()

    @property
    def _signed(self) -> bool:
        """Whether quantities carry their direction: V4/V5, or any file with a negative one."""
        return self._reader.negative_seen or bool(
            self._reader.layout and self._reader.layout.signed
        )

    def _rows(self) -> Iterator[StatementRow]:
        layout = self._reader.start()
        self.variant, self.header_line = layout.variant, self._reader.header_line
        self._has_ids = layout.id is not None
        for record in self._reader.records():
            if self._waiting:
                self._expire(record.occurred_at)
            rows = self._take(record)
            if rows is None or self._queue:
                if rows:
                    self._queue.append(_Slot(None, rows))
                if len(self._queue) > MAX_HELD:
                    self._resolve_alone(self._queue[0])
                yield from self._drain()
            else:
                yield from rows
        while self._waiting:
            self._resolve_alone(self._waiting.popleft())
        yield from self._drain()

    # -- turning records into movements ---------------------------------------------------

    def _is_fiat(self, asset: str, fiat: str | None) -> bool:
        return asset in FIAT_CODES or asset == fiat

    def _movement(
        self,
        record: Record,
        kind: Kind,
        *,
        asset: str | None = None,
        quantity: Decimal | None = None,
        external_id: str | None = None,
        income_type: IncomeType | None = None,
        own: bool = True,
        pair_key: str | None = None,
        migration: bool = False,
    ) -> StatementRow:
        """A movement of ``record``'s own asset (``own``), or of the other asset of its Notes,
        which gets the row's subtotal as its value but neither its price nor its fee."""
        return StatementRow(
            record.line,
            external_id or record.ref,
            record.occurred_at,
            record.tx_type,
            kind,
            income_type,
            asset or record.asset,
            quantity if quantity is not None else record.quantity.copy_abs(),
            record.fiat,
            record.price if own else None,
            record.value,
            record.fee if own else None,
            pair_key,
            record.notes,
            record.sender if own else None,
            record.recipient if own else None,
            migration,
        )

    def _take(self, record: Record) -> list[StatementRow] | None:
        """The movements to place at this record's position ([] when it completed an earlier
        row's pair), or None when it waits for a partner."""
        handling = record.rule.handling
        fiat = self._is_fiat(record.asset, record.fiat)
        if handling is Handling.PAIRED:
            return self._take_leg(record)
        if handling is Handling.CONVERT:
            record.exchange = parse_convert(record.notes, record.asset, record.quantity.copy_abs())
            return self._take_two_leg(record)
        if handling is Handling.TRADE:
            assets = trade_assets(record.notes)
            if self._by_ref and record.ref in self._by_ref:  # the second row of a two-row trade
                record.exchange = parse_trade(
                    record.notes, record.asset, record.quantity.copy_abs()
                )
                return self._take_two_leg(record)
            if assets is not None:
                base, quote = assets
                if base == quote and fiat:
                    self._warnings.add(
                        f"skipped '{record.tx_type}' of {record.asset.upper()} for itself",
                        record.line,
                    )
                    return []
                if not self._is_fiat(quote if base == record.asset else base, record.fiat):
                    record.exchange = parse_trade(
                        record.notes, record.asset, record.quantity.copy_abs()
                    )
                    return self._take_two_leg(record)
            elif (
                not fiat
                and (market := market_quote(record.notes))
                and not self._is_fiat(market, record.fiat)
            ):
                raise StatementRejected(
                    record.line,
                    f"{record.tx_type} on a crypto market: cannot read the {market.upper()} leg "
                    f"from Notes '{record.notes}'",
                )
        kind = record.rule.kind
        income_type = record.rule.income_type
        assert kind is not None
        if handling is Handling.RECEIVE:
            lowered = record.notes.lower()
            for phrase, income in RECEIVE_INCOME:
                if phrase in lowered:
                    kind, income_type = Kind.INCOME, income
                    break
        if fiat:
            kind = Kind.FIAT_DEPOSIT if kind in INFLOWS else Kind.FIAT_WITHDRAWAL
            income_type = None
        return [self._movement(record, kind, income_type=income_type)]

    # Convert / crypto-quoted trade: one row plus its Notes, or (V5) two rows sharing an ID.

    def _take_two_leg(self, record: Record) -> list[StatementRow] | None:
        if not self._has_ids:
            return self._split(record)
        partner = self._by_ref.get(record.ref)
        if partner is not None:
            assert partner.record is not None
            if partner.record.asset != record.asset:
                del self._by_ref[record.ref]
                partner.rows = self._join(partner.record, record)
                return []
            self._resolve_alone(partner)
        slot = _Slot(record, window=SAME_ID_WINDOW_SECONDS)
        self._by_ref[record.ref] = slot
        self._wait(slot)
        return None

    def _two_leg_kinds(self, given: str, got: str, fiat: str | None) -> tuple[Kind, Kind]:
        given_fiat, got_fiat = self._is_fiat(given, fiat), self._is_fiat(got, fiat)
        out = Kind.FIAT_WITHDRAWAL if given_fiat else Kind.SELL if got_fiat else Kind.TRADE_OUT
        into = Kind.FIAT_DEPOSIT if got_fiat else Kind.BUY if given_fiat else Kind.TRADE_IN
        return out, into

    def _split(self, record: Record) -> list[StatementRow]:
        """One row whose other leg is in its Notes → the out leg and the in leg."""
        exchange = record.exchange
        if exchange is None:
            expected = (
                "'Converted X A to Y B'"
                if record.rule.handling is Handling.CONVERT
                else "'Bought/Sold X A for Y B'"
            )
            raise StatementRejected(
                record.line,
                f"cannot read the other leg of this {record.tx_type} from Notes "
                f"'{record.notes}' (expected {expected})",
            )
        if record.asset not in (exchange.given_asset, exchange.got_asset):
            raise StatementRejected(
                record.line,
                f"Notes '{record.notes}' of this {record.tx_type} do not mention {record.asset.upper()}",
            )
        out_kind, in_kind = self._two_leg_kinds(
            exchange.given_asset, exchange.got_asset, record.fiat
        )
        row_gives = record.asset == exchange.given_asset
        other_asset, other_qty = (
            (exchange.got_asset, exchange.got)
            if row_gives
            else (exchange.given_asset, exchange.given)
        )
        if not other_qty:
            raise StatementRejected(record.line, f"Notes '{record.notes}' give a zero quantity")
        ref = record.ref
        own = self._movement(
            record,
            out_kind if row_gives else in_kind,
            external_id=f"{ref}:{'out' if row_gives else 'in'}",
            pair_key=ref,
        )
        other = self._movement(
            record,
            in_kind if row_gives else out_kind,
            asset=other_asset,
            quantity=other_qty,
            external_id=f"{ref}:{'in' if row_gives else 'out'}",
            own=False,
            pair_key=ref,
        )
        return [own, other] if row_gives else [other, own]

    def _join(self, first: Record, second: Record) -> list[StatementRow]:
        """Two rows sharing one ID (V5 Convert): the negative one is the source; with no sign,
        the one whose asset the Notes name as given."""
        if first.quantity < 0 < second.quantity:
            out, into = first, second
        elif second.quantity < 0 < first.quantity:
            out, into = second, first
        else:
            exchange = first.exchange or second.exchange
            if exchange is not None and exchange.given_asset in (first.asset, second.asset):
                out, into = (
                    (first, second) if first.asset == exchange.given_asset else (second, first)
                )
            else:
                raise StatementRejected(
                    second.line,
                    f"cannot tell which of the two {second.tx_type} rows with ID {second.ref} "
                    f"(lines {first.line} and {second.line}) is the source",
                )
        out_kind, in_kind = self._two_leg_kinds(out.asset, into.asset, out.fiat)
        ref = out.ref
        legs = [
            self._movement(out, out_kind, external_id=f"{ref}:out", pair_key=ref),
            self._movement(into, in_kind, external_id=f"{ref}:in", pair_key=ref),
        ]
        return legs if out.line < into.line else legs[::-1]

    # Staking transfers and migrations: two signed rows with their own IDs.

    def _take_leg(self, record: Record) -> list[StatementRow] | None:
        negative = record.quantity < 0
        size = record.quantity.copy_abs()
        partner: _Slot | None = None
        for slot in self._legs:
            other = slot.record
            assert other is not None
            if other.type_key != record.type_key:
                continue
            if (other.quantity < 0) == negative and (negative or self._signed):
                continue
            if partner is None or other.quantity.copy_abs() == size:
                partner = slot
                if other.quantity.copy_abs() == size:
                    break
        if partner is None:
            slot = _Slot(record, window=PAIR_WINDOW_SECONDS)
            self._legs.append(slot)
            self._wait(slot)
            return None
        self._legs.remove(partner)
        assert partner.record is not None
        partner.rows = self._pair_legs(partner.record, record)
        return []

    def _pair_legs(self, first: Record, second: Record) -> list[StatementRow]:
        if (first.quantity < 0) != (second.quantity < 0):
            out, into = (first, second) if first.quantity < 0 else (second, first)
        elif first.asset == second.asset and first.quantity == second.quantity:
            out, into = first, second  # unsigned, same asset and size: nets out either way
        else:
            a = _unsigned_direction(first.type_key, first.asset)
            b = _unsigned_direction(second.type_key, second.asset)
            if a == -1 or b == 1:
                out, into = first, second
            elif a == 1 or b == -1:
                out, into = second, first
            else:
                for record in (first, second):
                    self._warnings.add(
                        f"skipped unsigned '{record.tx_type}' (direction unknown)", record.line
                    )
                return []
        legs = [
            self._movement(out, Kind.TRANSFER_OUT, pair_key=out.ref, migration=True),
            self._movement(into, Kind.TRANSFER_IN, pair_key=out.ref, migration=True),
        ]
        return legs if out.line < into.line else legs[::-1]

    def _leg_alone(self, record: Record) -> list[StatementRow]:
        if record.quantity < 0:
            direction: int | None = -1
        elif self._signed:
            direction = 1
        else:
            direction = _unsigned_direction(record.type_key, record.asset)
            if direction is None and record.type_key == "retail eth2 deprecation":
                direction = 1  # the eth side of an eth2 deprecation
        if direction is None:
            self._warnings.add(
                f"skipped unsigned '{record.tx_type}' (direction unknown)", record.line
            )
            return []
        self._warnings.add(f"'{record.tx_type}' leg without its partner", record.line)
        kind = Kind.TRANSFER_OUT if direction < 0 else Kind.TRANSFER_IN
        return [self._movement(record, kind, migration=True)]

    # -- the waiting room -------------------------------------------------------------------

    def _wait(self, slot: _Slot) -> None:
        self._queue.append(slot)
        self._waiting.append(slot)

    def _expire(self, now: datetime) -> None:
        waiting = self._waiting
        while waiting:
            slot = waiting[0]
            record = slot.record
            assert record is not None
            if slot.rows is None and abs((now - record.occurred_at).total_seconds()) <= slot.window:
                return
            waiting.popleft()
            if slot.rows is None:
                self._resolve_alone(slot)

    def _resolve_alone(self, slot: _Slot) -> None:
        if slot.rows is not None:
            return
        record = slot.record
        assert record is not None
        if record.rule.handling is Handling.PAIRED:
            self._legs.remove(slot)
            slot.rows = self._leg_alone(record)
        else:
            if self._by_ref.get(record.ref) is slot:
                del self._by_ref[record.ref]
            slot.rows = self._split(record)

    def _drain(self) -> Iterator[StatementRow]:
        queue = self._queue
        while queue and queue[0].rows is not None:
            yield from queue.popleft().rows  # type: ignore[misc]
