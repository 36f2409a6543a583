"""Decimal amounts: the one place they are parsed from input and formatted for the API.

Storage is ``DecimalField(max_digits=38, decimal_places=18)``: up to 20 integer digits and
exactly 18 decimal places (wei). Nothing is rounded on the way in or out; an amount that does not
fit is refused with a sentence that says why.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from core.exceptions import ValidationFailed

MAX_DECIMAL_PLACES = 18
MAX_INTEGER_DIGITS = 20
# The embedded SQLite database keeps numbers as 8-byte floats: 15 significant digits survive.
SQLITE_SIGNIFICANT_DIGITS = 15


def format_amount(value: Decimal | int | None) -> str | None:
    """Plain decimal notation, trailing zeros dropped, at least one digit after the point:
    ``Decimal("10") -> "10.0"``, ``Decimal("0.001685740") -> "0.00168574"``, never ``1E-8``."""
    if value is None:
        return None
    value = Decimal(value)
    if value == 0:
        return "0.0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0")
        return text + "0" if text.endswith(".") else text
    return text + ".0"


def parse_amount(raw: object, *, field: str = "amount") -> Decimal:
    """Parse an amount from a request: a JSON string, a JSON number (parsed as Decimal, never a
    float) or a form value. Raises ValidationFailed with one sentence when it is not a finite
    number or does not fit the storage exactly."""
    if isinstance(raw, bool) or raw is None or isinstance(raw, (list, dict)):
        raise ValidationFailed(f'{field} must be a number, for example "1.5"')
    if isinstance(raw, float):
        # Only reachable from code paths that bypass our JSON parser; repr is the shortest exact text.
        raw = repr(raw)
    text = str(raw).strip().replace("_", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationFailed(f"{field} '{raw}' is not a number")
    if not value.is_finite():
        raise ValidationFailed(f"{field} '{raw}' is not a finite number")
    check_storable(value, field=field, shown=text)
    return value + 0 if value == 0 else value  # -0 becomes 0


def check_storable(value: Decimal, *, field: str = "amount", shown: str | None = None) -> None:
    """Refuse what numeric(38, 18) cannot hold exactly. Trailing zeros after the point do not
    count against the 18 places ("1.5000000000000000000000" is fine)."""
    if value == 0:
        return
    shown = shown if shown is not None else format(value, "f")
    # From the digits themselves, not normalize(): that rounds to the context's precision (a
    # 70-digit amount would pass) and overflows or underflows on exponents such as 1e-999999999.
    digits, exponent = _significant(value)
    if -exponent > MAX_DECIMAL_PLACES:
        raise ValidationFailed(
            f"{field} '{shown}' has more than {MAX_DECIMAL_PLACES} decimal places and cannot be stored exactly"
        )
    if value.adjusted() + 1 > MAX_INTEGER_DIGITS:
        raise ValidationFailed(
            f"{field} '{shown}' is too large (at most {MAX_INTEGER_DIGITS} digits before the point)"
        )


def _significant(value: Decimal) -> tuple[str, int]:
    """The digits of a finite, non-zero ``value`` without trailing zeros, and the exponent of
    the last one, exactly (no context involved)."""
    _, digit_tuple, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple))
    stripped = digits.rstrip("0")
    return stripped, exponent + len(digits) - len(stripped)


def significant_digits(value: Decimal) -> int:
    if value == 0:
        return 1
    return len(_significant(value)[0])


def quantize_for_display(value: Decimal, decimals: int) -> Decimal:
    """Round for display only (a currency's precision); never for storage or the API."""
    return value.quantize(Decimal(1).scaleb(-decimals))
