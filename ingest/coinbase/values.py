"""Reading the cells of a Coinbase statement: quantities, money, timestamps and the numbers
inside Notes. Every function returns exact ``Decimal`` values (never floats) and raises
``ValueError`` with a short reason when a cell is not what it should be; the parser turns that
into a rejection naming the line."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

# A plain or exponent-notation number, as V1-V3 write every cell and V4+ write quantities.
_PLAIN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

# V4+ money: an optional sign, a currency symbol of up to three characters (`$`, `€`, `£`,
# `Kč`, `kr`, `CA$`), the sign again (it goes before the symbol in practice, after it in some
# exports), digits with optional comma thousands groups, an optional exponent, an optional
# trailing symbol or code; all of it optionally in accounting parentheses.
_MONEY = re.compile(
    r"""\(?\s*
    ([+-]?)\s*
    (?:[^\d\s.,+\-()]{1,3}\s*)?
    ([+-]?)\s*
    (\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?|\.\d+)
    ([eE][+-]?\d+)?
    \s*(?:[^\d\s.,+\-()]{1,3})?\s*\)?""",
    re.VERBOSE,
)

_SYMBOLS = frozenset("$€£")
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_DIGITS = frozenset("0123456789")
_TIME_FORMATS = ("%m/%d/%Y", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%Y-%m-%d %H:%M:%S %Z")


def parse_quantity(text: str) -> Decimal:
    """A signed quantity of an asset: plain decimal or exponent notation, no symbols, no
    thousands separators (a comma could be a decimal comma; guessing would scale by 1000)."""
    text = text.strip()
    if not _PLAIN.fullmatch(text):
        raise ValueError("is not a number")
    return Decimal(text)


def parse_money(text: str) -> Decimal | None:
    """A fiat amount, always returned as its absolute value (the sign Coinbase writes on money
    is inconsistent; the direction comes from the type or the quantity). Empty → ``None``.

    ``-$4.41`` → 4.41, ``"€95,000.00"`` → 95000.00, ``(5.00)`` → 5.00,
    ``-Kč24741.93908`` → 24741.93908, ``-15.62`` → 15.62, ``8000.40`` → 8000.40."""
    text = text.strip()
    if not text:
        return None
    # Fast path for the common shapes (`8000.40`, `$5.00`, `-€597.49846`): Decimal itself
    # checks the digits; a body starting with a digit cannot be NaN or Infinity.
    body = text[1:] if text[0] == "-" else text
    if body and body[0] in _SYMBOLS:
        body = body[1:]
    if body and body[0] in _DIGITS and "_" not in body:
        if "," in body:
            body = body.replace(",", "") if _GROUPED.fullmatch(body) else ""
        try:
            return Decimal(body)
        except InvalidOperation:
            pass
    match = _MONEY.fullmatch(text)
    if match is None or (match[1] and match[2]):
        raise ValueError("is not a number")
    return Decimal(match[3].replace(",", "") + (match[4] or "")).copy_abs()


def parse_timestamp(text: str) -> datetime:
    """An aware UTC datetime from any timestamp form Coinbase used: `2021-02-08T18:22:22Z`,
    `2023-12-29 20:30:38 UTC`, `2023-12-29 20:30 UTC`, `2017-01-01 12:00:00 -0700` (L1) and
    `10/06/2015` (L2, US month first). A timestamp without a zone is UTC, as the files state."""
    text = text.strip()
    if len(text) == 23 and text.endswith(" UTC"):  # the V3-V5 form, most rows of most files
        try:
            return datetime.fromisoformat(text[:19] + "+00:00")
        except ValueError:
            pass
    candidate = text[:-4] if text.endswith(" UTC") else text
    try:
        # fromisoformat also takes forms like "20231229"; only accept what starts as a date.
        if len(candidate) < 10 or candidate[4] != "-":
            raise ValueError
        moment = datetime.fromisoformat(candidate)
    except ValueError:
        for form in _TIME_FORMATS:
            try:
                moment = datetime.strptime(text, form)
                break
            except ValueError:
                continue
        else:
            raise ValueError("is not a date") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


def note_number_readings(text: str) -> dict[str, Decimal]:
    """The readings of a number written in Notes, keyed by convention: ``"en"`` (comma =
    thousands, point = decimal) and ``"nl"`` (point = thousands, comma = decimal, as some EU
    exports write `Converted 0,123 ETH to 0,456 BTC`). Only readings that parse are returned;
    an unambiguous number has one reading under both keys."""
    text = text.strip()
    mantissa, _, exponent = text.partition("e") if "e" in text else text.partition("E")
    exponent = "e" + exponent if exponent else ""
    readings: dict[str, Decimal] = {}
    if "," not in mantissa:
        if mantissa.count(".") <= 1:
            value = Decimal(mantissa + exponent)
            return {"en": value, "nl": value}
        readings["nl"] = Decimal(mantissa.replace(".", "") + exponent)
        return readings
    if "." in mantissa and mantissa.rfind(".") > mantissa.rfind(","):
        en = mantissa.replace(",", "")
        if _PLAIN.fullmatch(en):
            readings["en"] = Decimal(en + exponent)
        return readings
    nl = mantissa.replace(".", "").replace(",", ".", 1)
    if _PLAIN.fullmatch(nl):
        readings["nl"] = Decimal(nl + exponent)
    if "." not in mantissa and re.fullmatch(r"\d{1,3}(?:,\d{3})+", mantissa):
        readings["en"] = Decimal(mantissa.replace(",", "") + exponent)
    return readings
