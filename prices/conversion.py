"""Converting amounts between currencies. Pure: no ORM, exact Decimal arithmetic.

A rate table maps ``(base, quote)`` to the price of one ``base`` in ``quote``. Conversion uses,
in this order: the same currency; a direct rate; the inverse of the opposite rate; a bridge
through USD or BTC (each leg direct or inverse). Multiplication is exact (carried at as many
digits as the factors have together, whatever their size). Division (inverse rates) has no
finite decimal in general, so it is carried at 50 significant digits and the result is rounded
once, to the 18 decimal places amounts are stored with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

BRIDGES = ("usd", "btc")
PRECISION = 50
PLACES = Decimal(1).scaleb(-18)

Rates = Mapping[tuple[str, str], Decimal]


def _exact_product(a: Decimal, b: Decimal) -> Decimal:
    """``a * b`` without rounding: the product has at most the digits of both factors."""
    with localcontext(prec=len(a.as_tuple().digits) + len(b.as_tuple().digits)):
        return a * b


def exact_sum(values: Iterable[Decimal]) -> Decimal:
    """The sum without rounding: converted values carry up to 36 decimal places, more than the
    process-wide precision (``core``: 60 digits) holds next to a large integer part."""
    with localcontext(prec=PRECISION * 4):
        return sum(values, Decimal(0))


def _leg(rates: Rates, base: str, quote: str) -> tuple[Decimal, bool] | None:
    """(factor, exact) to turn an amount of ``base`` into ``quote``."""
    if base == quote:
        return Decimal(1), True
    direct = rates.get((base, quote))
    if direct is not None:
        return direct, True
    inverse = rates.get((quote, base))
    if inverse is not None and inverse != 0:
        with localcontext(prec=PRECISION):
            return Decimal(1) / inverse, False
    return None


def rate(rates: Rates, base: str, quote: str) -> tuple[Decimal, bool] | None:
    """The factor that turns one ``base`` into ``quote``, and whether it is exact; None when no
    path exists."""
    found = _leg(rates, base, quote)
    if found is not None:
        return found
    for bridge in BRIDGES:
        if bridge in (base, quote):
            continue
        first, second = _leg(rates, base, bridge), _leg(rates, bridge, quote)
        if first is not None and second is not None:
            if first[1] and second[1]:
                return _exact_product(first[0], second[0]), True
            with localcontext(prec=PRECISION):
                return first[0] * second[0], False
    return None


def convert(amount: Decimal, base: str, quote: str, rates: Rates) -> Decimal | None:
    """``amount`` of ``base`` in ``quote``, or None when there is no price path."""
    found = rate(rates, base, quote)
    if found is None:
        return None
    factor, exact = found
    value = _exact_product(amount, factor)
    if exact:
        return value
    with localcontext(prec=PRECISION * 2):
        return value.quantize(PLACES, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class ConvertedTotal:
    currency: str
    total: Decimal
    unpriced: tuple[str, ...]


def convert_holdings(holdings: Mapping[str, Decimal], target: str, rates: Rates) -> ConvertedTotal:
    """The sum of every holding valued in ``target``; holdings with no price path are left out
    and named in ``unpriced`` (sorted)."""
    values = []
    unpriced = []
    for code, amount in holdings.items():
        if amount == 0:
            continue
        value = convert(amount, code, target, rates)
        if value is None:
            unpriced.append(code)
        else:
            values.append(value)
    total = exact_sum(values)
    return ConvertedTotal(currency=target, total=total, unpriced=tuple(sorted(unpriced)))
