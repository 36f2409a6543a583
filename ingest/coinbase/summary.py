"""What a statement would do to the ledger, for a dry run. Pure: it only reads parsed rows."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, localcontext

from ledger.kinds import Kind, sign

from .rows import StatementRow

_CASH = frozenset({Kind.FIAT_DEPOSIT, Kind.FIAT_WITHDRAWAL})
# Sums stay exact: 18 decimal places on amounts up to 10^40 fit with room to spare.
_PRECISION = 80


@dataclass(frozen=True)
class StatementSummary:
    """``rows_by_type``: movements per (Transaction Type as written, asset). ``holdings``: the
    exact net change per asset (inflows minus outflows, fiat cash included). ``warnings``: the
    parser's (skipped rows, unpaired legs) then one per asset whose running balance goes below
    zero inside the file ("missing acquisition"), which is a hint, not an error."""

    variant: str | None
    movements: int
    first_at: datetime | None
    last_at: datetime | None
    rows_by_type: dict[tuple[str, str], int]
    holdings: dict[str, Decimal]
    warnings: list[str]


def _plain(amount: Decimal) -> str:
    text = format(amount, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def summarize(rows: Iterable[StatementRow]) -> StatementSummary:
    """Consume ``rows`` (typically a ``CoinbaseCsvParser``) and summarise them.

    Holdings are order-independent sums. The missing-acquisition check needs time order and a
    file may be newest-first, so each crypto movement is kept as a (time, outflow?, delta)
    tuple and each asset's list is sorted (inflows first within the same second, as FORMATS
    allows): memory is O(assets) plus about 200 bytes per crypto movement for that sort. Fiat
    cash is left out of the check: the file never shows the cash a Buy took or a Sell paid.
    When ``rows`` has ``warnings`` and ``variant`` (the parser does), they are read after the
    rows are consumed and included."""
    counts: Counter[tuple[str, str]] = Counter()
    holdings: dict[str, Decimal] = defaultdict(Decimal)
    events: dict[str, list[tuple[datetime, bool, Decimal]]] = defaultdict(list)
    first_at: datetime | None = None
    last_at: datetime | None = None
    movements = 0
    with localcontext(prec=_PRECISION):
        for row in rows:
            movements += 1
            counts[(row.tx_type, row.asset)] += 1
            outflow = sign(row.kind) < 0
            delta = row.quantity.copy_negate() if outflow else row.quantity
            holdings[row.asset] += delta
            if row.kind not in _CASH:
                events[row.asset].append((row.occurred_at, outflow, delta))
            if first_at is None or row.occurred_at < first_at:
                first_at = row.occurred_at
            if last_at is None or row.occurred_at > last_at:
                last_at = row.occurred_at
        warnings = list(getattr(rows, "warnings", []))
        for asset in sorted(events):
            asset_events = events.pop(asset)
            asset_events.sort(key=lambda event: (event[0], event[1]))
            balance = lowest = Decimal(0)
            for _, _, delta in asset_events:
                balance += delta
                lowest = min(lowest, balance)
            if lowest < 0:
                warnings.append(
                    f"missing acquisition: sold {_plain(-lowest)} {asset.upper()} more than "
                    f"this file shows acquired"
                )
    return StatementSummary(
        variant=getattr(rows, "variant", None),
        movements=movements,
        first_at=first_at,
        last_at=last_at,
        rows_by_type=dict(counts),
        holdings=dict(holdings),
        warnings=warnings,
    )
