"""The other leg of a Convert or a crypto-quoted trade, read from the Notes column.

- Convert: `Converted 0.00087766 ETH to 1.629352 USDC` (EU exports: `Converted 0,123 ETH to
  0,456 BTC`).
- Trades: `Bought 0.33694052 ETH for 0.012835268969159 BTC on ETH-BTC at 0.03781 BTC/ETH`,
  `Sold 10.7000 MATIC for £5.01 GBP on MATIC-GBP`, `Bought 0.1000 BTC for $810.40 USD`.
  The quote amount is what was debited including the fee (buy) or credited net of it (sell).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from .values import note_number_readings

_NUM = r"(\d[\d.,]*(?:[eE][+-]?\d+)?)"
_CODE = r"([A-Za-z0-9]+(?:[._][A-Za-z0-9]+)*)"

_CONVERT = re.compile(rf"\s*Converted\s+{_NUM}\s+{_CODE}\s+to\s+{_NUM}\s+{_CODE}\b", re.IGNORECASE)
_TRADE = re.compile(
    rf"\s*(Bought|Sold)\s+{_NUM}\s+{_CODE}\s+for\s+(?:[^\d\s]{{1,3}})?{_NUM}\s+{_CODE}\b",
    re.IGNORECASE,
)
_MARKET = re.compile(rf"\bon\s+{_CODE}-{_CODE}\b")


@dataclass(frozen=True, slots=True)
class Exchange:
    """What a note says was exchanged: ``given`` of ``given_asset`` for ``got`` of ``got_asset``.
    Codes are lowercased as everywhere in the parser."""

    given: Decimal
    given_asset: str
    got: Decimal
    got_asset: str


def _pick(text: str, style: str | None) -> tuple[Decimal, str | None]:
    """One reading of a note number: the one in ``style`` when it has it, otherwise the smaller
    (what CoinTaxman and GhostfolioSidekick do with an ambiguous decimal comma)."""
    readings = note_number_readings(text)
    if not readings:
        raise ValueError(text)
    if style in readings:
        return readings[style], style
    smaller = min(readings.items(), key=lambda item: item[1])
    return smaller[1], (smaller[0] if len(set(readings.values())) > 1 else None)


def _read_pair(
    first: str, second: str, first_asset: str, row_asset: str, row_quantity: Decimal
) -> tuple[Decimal, Decimal]:
    """Both numbers of a note in one convention. When the first number is the row's own asset,
    the reading equal to the row's quantity settles the convention for both numbers."""
    style: str | None = None
    if first_asset == row_asset:
        for key, value in note_number_readings(first).items():
            if value == row_quantity:
                style = key
                break
    first_value, style = _pick(first, style)
    second_value, _ = _pick(second, style)
    return first_value, second_value


def parse_convert(notes: str, row_asset: str, row_quantity: Decimal) -> Exchange | None:
    """``Converted X A to Y B`` → Exchange(X, a, Y, b); ``None`` when the note is not one."""
    match = _CONVERT.match(notes)
    if match is None:
        return None
    source, target = match[2].lower(), match[4].lower()
    try:
        given, got = _read_pair(match[1], match[3], source, row_asset, row_quantity)
    except ValueError:
        return None
    return Exchange(given, source, got, target)


def parse_trade(notes: str, row_asset: str, row_quantity: Decimal) -> Exchange | None:
    """``Bought X BASE for Y QUOTE`` → Exchange(Y, quote, X, base); ``Sold X BASE for Y QUOTE``
    → Exchange(X, base, Y, quote); ``None`` when the note is not one."""
    match = _TRADE.match(notes)
    if match is None:
        return None
    base, quote = match[3].lower(), match[5].lower()
    try:
        base_qty, quote_qty = _read_pair(match[2], match[4], base, row_asset, row_quantity)
    except ValueError:
        return None
    if match[1].lower() == "bought":
        return Exchange(quote_qty, quote, base_qty, base)
    return Exchange(base_qty, base, quote_qty, quote)


def trade_assets(notes: str) -> tuple[str, str] | None:
    """(base, quote) of a `Bought/Sold X BASE for Y QUOTE` note, lowercased, without reading
    the numbers (cheap: most trades are fiat-quoted and need nothing more); ``None`` if the
    note is not one."""
    match = _TRADE.match(notes)
    return (match[3].lower(), match[5].lower()) if match else None


def market_quote(notes: str) -> str | None:
    """The quote currency of an Advanced Trade note (`… on ETH-BTC …` → ``"btc"``), lowercased;
    ``None`` when the note names no market."""
    match = _MARKET.search(notes)
    return match[2].lower() if match else None
