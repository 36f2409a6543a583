"""The figures of statement rows: what the database keeps exactly, the rows' values, and the
unit prices a statement shows.

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

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import (
    Context,
    Decimal,
    DecimalException,
    Inexact,
    Overflow,
    Rounded,
    Underflow,
    localcontext,
)

from core.exceptions import ValidationFailed
from core.money import (
    MAX_DECIMAL_PLACES,
    MAX_INTEGER_DIGITS,
    SQLITE_SIGNIFICANT_DIGITS,
    check_storable,
    significant_digits,
)
from ingest.bulk import insert_prices
from ingest.coinbase import StatementRejected, StatementRow
from ledger.kinds import Kind
from ledger.models import LedgerEntry
from prices.models import Price

STATEMENT_SOURCE = "coinbase-statement"  # Currency.source and Price.source of what we add
PRICE_WINDOW = timedelta(days=1)
CASH = frozenset({Kind.FIAT_DEPOSIT, Kind.FIAT_WITHDRAWAL})
PRECISION = 80  # running sums stay exact
_Q18 = Decimal(1).scaleb(-MAX_DECIMAL_PLACES)
_SCALING = Context(
    prec=MAX_INTEGER_DIGITS + MAX_DECIMAL_PLACES, traps=[Inexact, Rounded, Overflow, Underflow]
)


def _fits_exactly(amount: Decimal, sqlite: bool) -> bool:
    """Fast check that ``amount`` needs no rounding in numeric(38, 18) (and on SQLite, in a
    double). Conservative: trailing zeros count, so a False goes to the exact check."""
    _, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)
    if exponent < -MAX_DECIMAL_PLACES or len(digits) + exponent > MAX_INTEGER_DIGITS:
        return False
    return not sqlite or len(digits) <= SQLITE_SIGNIFICANT_DIGITS


def _kept_exactly(amount: Decimal | None) -> bool:
    """Whether numeric(38, 18) keeps ``amount`` as it is: at most 20 integer digits and no
    digit past the 18th decimal place. A few C calls, for the three figures of every row on
    PostgreSQL; False sends the figure to ``check_exact``'s full check (an amount of more
    than 38 digits cannot be scaled exactly: ``_SCALING`` raises instead of rounding)."""
    if amount is None:
        return True
    if amount.adjusted() >= MAX_INTEGER_DIGITS:
        return False
    try:
        scaled = amount.scaleb(MAX_DECIMAL_PLACES, _SCALING)
    except DecimalException:
        return False
    return scaled == scaled.to_integral_value()


def check_exact(row: StatementRow, sqlite: bool) -> None:
    """Refuse, naming the row's line, a figure of the file the database cannot keep exactly."""
    if not sqlite and (
        _kept_exactly(row.quantity) and _kept_exactly(row.value) and _kept_exactly(row.fee)
    ):
        return
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
    with localcontext(prec=PRECISION):
        if amount.as_tuple().exponent < -MAX_DECIMAL_PLACES:  # type: ignore[operator]
            amount = amount.quantize(_Q18)
        if amount and significant_digits(amount) > SQLITE_SIGNIFICANT_DIGITS:
            amount = amount.quantize(
                Decimal(1).scaleb(amount.adjusted() - SQLITE_SIGNIFICANT_DIGITS + 1)
            )
    return amount


def observe_prices(rows: list[StatementRow], *, ids: dict[str, int]) -> tuple[int, int]:
    """Unit prices of the file are real observed prices: keep them in the price store,
    once per (asset, fiat, time). Returns (prices stored, of which rounded)."""
    points: dict[tuple[int, int, datetime], Decimal] = {}
    rounded = 0
    for row in rows:
        price, fiat = row.unit_price, row.fiat_currency
        if not price or fiat is None or fiat == row.asset or row.kind in CASH:
            continue
        key = (ids[row.asset], ids[fiat], row.occurred_at)
        if key not in points:
            stored = fit(price)
            rounded += stored != price
            points[key] = stored
    if points:
        insert_prices(
            ((b, q, at, p) for (b, q, at), p in points.items()),
            kind=Price.OBSERVED,
            source=STATEMENT_SOURCE,
        )
    return len(points), rounded


def row_values(
    rows: list[StatementRow], *, ids: dict[str, int], fallback_id: Callable[[], int | None]
) -> list[tuple[Decimal | None, int | None, str]]:
    """(value, value currency id, value source) of each row. ``fallback_id`` gives the
    currency of rows without a fiat (asked only when such a row comes)."""
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
        quote = ids[fiat] if fiat is not None else fallback_id()
        asset = ids[row.asset]
        if quote is None:
            out.append((None, None, LedgerEntry.VALUE_MISSING))
        elif quote == asset:  # cash in its own currency is worth its quantity
            out.append((row.quantity, quote, LedgerEntry.VALUE_FILE))
        else:
            out.append((None, None, LedgerEntry.VALUE_MISSING))
            wanted[(asset, quote)].append(index)
    for (asset, quote), indexes in wanted.items():
        _from_price_store(asset, quote, [rows[i] for i in indexes], indexes, out)
    return out


def _from_price_store(asset, quote, rows, indexes, out) -> None:
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
