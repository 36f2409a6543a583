"""Address validation per chain, with the real checksum rules (pure Python, no Django).

Public surface: ``SUPPORTED``, ``chain_for`` and ``validate_address``; ``to_checksum_address``
is re-exported for displaying Ethereum addresses. Everything else is an implementation detail.

Edge cases:

* Currency codes are matched case-insensitively (``"BTC"`` is ``"btc"``).
* Any Ethereum token (``is_ethereum_token=True``) uses Ethereum addresses, whatever its code.
* The currency is checked before the address, so an unsupported currency gets the "use an
  offset" advice even when the address is empty.
"""

from __future__ import annotations

from collections.abc import Callable

from core.exceptions import ValidationFailed

from .bitcoin import validate_bitcoin, validate_litecoin
from .ethereum import to_checksum_address, validate_ethereum

__all__ = ["SUPPORTED", "chain_for", "to_checksum_address", "validate_address"]

SUPPORTED = {"btc": "Bitcoin", "ltc": "Litecoin", "eth": "Ethereum"}

_VALIDATORS: dict[str, Callable[[str], str]] = {
    "btc": validate_bitcoin,
    "ltc": validate_litecoin,
    "eth": validate_ethereum,
}


def chain_for(currency_code: str, *, is_ethereum_token: bool = False) -> str | None:
    """Chain key (``"btc"``, ``"ltc"``, ``"eth"``) whose addresses hold this currency, or None."""
    if is_ethereum_token:
        return "eth"
    code = currency_code.strip().lower()
    return code if code in SUPPORTED else None


def validate_address(currency_code: str, address: str, *, is_ethereum_token: bool = False) -> str:
    """Return the normalised address, or raise ``ValidationFailed`` with one sentence.

    Surrounding whitespace is stripped first (pasted addresses often carry a newline).
    Normalised: bech32 lowercased, Base58 unchanged, Ethereum lowercased.
    """
    chain = chain_for(currency_code, is_ethereum_token=is_ethereum_token)
    if chain is None:
        raise ValidationFailed(
            f"addresses for currency {currency_code.strip().lower()!r} are not supported yet "
            "(supported: btc, ltc, eth and Ethereum tokens); use an offset to track it"
        )
    if not isinstance(address, str):
        raise ValidationFailed("address must be text")
    address = address.strip()
    if not address:
        raise ValidationFailed("address is empty")
    return _VALIDATORS[chain](address)
