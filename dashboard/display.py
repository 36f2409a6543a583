"""How amounts, currencies and addresses look on the dashboard. Pure functions (no ORM, no
Django): the template filters and the SVG charts both call them.

Amounts are ``Decimal`` throughout; rounding happens here, for display only, through
``core.money.quantize_for_display``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from core.money import quantize_for_display

# Prefix symbols for the fiat currencies people most often report in; every other fiat
# currency is written with its upper-case code ("CHF 1,234.50").
FIAT_SYMBOLS = {
    "usd": "$",
    "eur": "€",
    "gbp": "£",
    "jpy": "¥",
    "cny": "CN¥",
    "inr": "₹",
    "krw": "₩",
    "aud": "A$",
    "cad": "CA$",
    "nzd": "NZ$",
    "hkd": "HK$",
    "brl": "R$",
    "mxn": "MX$",
    "ils": "₪",
    "uah": "₴",
    "ngn": "₦",
    "php": "₱",
    "vnd": "₫",
}

EXPLORERS = {
    "btc": "https://mempool.space/address/{address}",
    "ltc": "https://litecoinspace.org/address/{address}",
    "eth": "https://etherscan.io/address/{address}",
}

TX_EXPLORERS = {
    "btc": "https://mempool.space/tx/{txid}",
    "ltc": "https://litecoinspace.org/tx/{txid}",
    "eth": "https://etherscan.io/tx/{txid}",
}


@dataclass(frozen=True)
class Unit:
    """What an amount is counted in: a currency's code, its precision (decimal places) and
    whether it is fiat (written "$1,234.56") or not (written "1.5 BTC")."""

    code: str
    decimals: int
    is_fiat: bool

    @classmethod
    def of(cls, currency: Any) -> Unit:
        """From anything with ``code``, ``decimals`` and ``is_fiat`` (a Currency row)."""
        return cls(code=currency.code, decimals=currency.decimals, is_fiat=bool(currency.is_fiat))


def group_thousands(value: Decimal, places: int) -> str:
    """``Decimal("1234567.5"), 2 -> "1,234,567.50"``; the sign is kept, ``-0`` is written 0."""
    value = quantize_for_display(value, places) if places >= 0 else value
    if value == 0:
        value = abs(value)
    return f"{value:,.{places}f}"


def _trimmed(text: str) -> str:
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_quantity(value: Decimal, decimals: int, *, places: int | None = None) -> str:
    """A quantity of coins: rounded to the currency's precision, trailing zeros dropped,
    thousands grouped. ``places`` fixes the number of decimals instead (axis labels)."""
    if places is not None:
        return group_thousands(value, places)
    return _trimmed(group_thousands(value, decimals))


def format_money(value: Decimal, unit: Unit, *, places: int | None = None) -> str:
    """``$1,234.56``, ``-€0.50``, ``CHF 12.00`` for fiat; ``1.5 BTC`` for everything else.

    Fiat keeps its precision's decimals (2 for most); crypto drops trailing zeros. ``places``
    overrides the number of decimals (used for chart axes, where all labels share one)."""
    if unit.is_fiat:
        shown = places if places is not None else unit.decimals
        number = group_thousands(abs(value), shown)
        sign = "-" if quantize_for_display(value, shown) < 0 else ""
        symbol = FIAT_SYMBOLS.get(unit.code.lower())
        if symbol:
            return f"{sign}{symbol}{number}"
        return f"{sign}{unit.code.upper()} {number}"
    return f"{format_quantity(value, unit.decimals, places=places)} {unit.code.upper()}"


def format_percent(share: Decimal) -> str:
    """A share between 0 and 1 as a percentage with one decimal: ``0.4251 -> "42.5%"``."""
    return f"{quantize_for_display(share * 100, 1)}%"


def explorer_url(
    address: str, currency_code: str, *, is_ethereum_token: bool = False
) -> str | None:
    """A public block explorer's page for the address, or None when we know of none."""
    chain = "eth" if is_ethereum_token else currency_code.lower()
    template = EXPLORERS.get(chain)
    return template.format(address=address) if template else None


def explorer_tx_url(
    txid: str, currency_code: str, *, is_ethereum_token: bool = False
) -> str | None:
    """A public block explorer's page for the transaction, or None when we know of none."""
    chain = "eth" if is_ethereum_token else currency_code.lower()
    template = TX_EXPLORERS.get(chain)
    return template.format(txid=quote(txid, safe="")) if template and txid else None


def shorten_middle(text: str, head: int = 10, tail: int = 6) -> str:
    """``bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq -> "bc1qar0srr…wf5mdq"`` for narrow
    columns; text that is short already is returned unchanged."""
    if len(text) <= head + tail + 1:
        return text
    return f"{text[:head]}…{text[-tail:]}"
