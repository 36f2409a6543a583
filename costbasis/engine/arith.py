"""Decimal arithmetic for the engine: exact everywhere except division.

Additions, subtractions and multiplications run in an unbounded context, so they are exact and a
sum of parts never drifts from its whole. Only a division can be inexact (a third of a cost); it
is rounded to DIVISION_DIGITS significant digits, and every split that divides gives its last part
the exact residual, so the parts of a split always add up to the whole, to the last digit.
"""

from __future__ import annotations

from datetime import date
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal
from functools import lru_cache

DIVISION_DIGITS = 50

# The docs' recipe for exact arithmetic; a non-terminating division in it would raise
# MemoryError, so the engine never divides in it (see div()).
EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)
_DIVISION = Context(prec=DIVISION_DIGITS, Emax=MAX_EMAX, Emin=MIN_EMIN)

ZERO = Decimal(0)


def div(numerator: Decimal, denominator: Decimal) -> Decimal:
    """numerator / denominator rounded to DIVISION_DIGITS significant digits (half even)."""
    return _DIVISION.divide(numerator, denominator)


def share(total: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """The part/whole share of total; exactly total when part == whole."""
    if part == whole:
        return total
    return _DIVISION.divide(EXACT.multiply(total, part), whole)


@lru_cache(maxsize=8192)
def anniversary(acquired: date) -> date:
    """The first anniversary of an acquisition date (in the tax time zone); a 29 February gives
    28 February.

    A disposal is long-term when its date (in the same zone) is strictly after this day ("more
    than one year").
    """
    try:
        return acquired.replace(year=acquired.year + 1)
    except ValueError:
        if acquired.year == date.max.year:
            return date.max
        return acquired.replace(year=acquired.year + 1, day=28)
