"""What the parser produces (one ``StatementRow`` per ledger movement) and how it refuses a file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from core.exceptions import ValidationFailed
from ledger.kinds import IncomeType, Kind


@dataclass(frozen=True, slots=True)
class StatementRow:
    """One ledger movement read from a statement.

    ``line`` is the physical line (1-based, preamble included) of the file row it comes from;
    both legs of a Convert read from one row share it. ``external_id`` is the row's ``ID``
    (V4+, with ``:out``/``:in`` when one ID yields two movements) or, without an ID column,
    ``sha256(normalised cells)-n`` where n counts identical rows at the same timestamp.
    ``quantity`` is exact and positive; the direction is ``kind``. Money is in
    ``fiat_currency`` (lowercase), always >= 0, ``None`` where the file leaves it empty:
    ``unit_price`` is the file's price of ``asset``, ``value`` the subtotal (quantity x price
    before fees; for the leg of a Convert or crypto trade read from the Notes, the row's
    subtotal, i.e. the fiat value of the exchange), ``fee`` the fee or spread, on one leg only.
    ``pair_key`` is shared by the two legs of a Convert, a crypto-quoted trade or a
    staking/migration pair; ``migration`` marks those last legs, whose lots carry over."""

    line: int
    external_id: str
    occurred_at: datetime
    tx_type: str
    kind: Kind
    income_type: IncomeType | None
    asset: str
    quantity: Decimal
    fiat_currency: str | None
    unit_price: Decimal | None
    value: Decimal | None
    fee: Decimal | None
    pair_key: str | None
    notes: str
    sender_address: str | None = None
    recipient_address: str | None = None
    migration: bool = False


class StatementRejected(ValidationFailed):
    """The whole statement is refused. ``line`` is the physical line of the problem (preamble
    included); ``message`` reads like ``"line 7: quantity '1O.5x' is not a number"``."""

    def __init__(self, line: int, reason: str):
        self.line = line
        self.reason = reason
        self.message = f"line {line}: {reason}"
        super().__init__(self.message)
