"""Base58 and Base58Check, as used by legacy Bitcoin and Litecoin addresses.

Edge cases:

* Leading ``1`` characters stand for leading zero bytes (they carry no value in the big
  integer), so ``"11"`` decodes to ``b"\\x00\\x00"`` and the empty string to ``b""``.
* The alphabet leaves out ``0``, ``O``, ``I`` and ``l``; any character outside it, including
  whitespace, is rejected with the reason ``"invalid characters"``.
* Base58Check appends the first 4 bytes of SHA-256(SHA-256(payload)); a mismatch is
  ``"bad checksum"``, and anything shorter than the checksum (or than the expected payload
  length) is ``"wrong length"``.
"""

from __future__ import annotations

import hashlib

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: value for value, char in enumerate(ALPHABET)}
CHECKSUM_LENGTH = 4


class Base58Error(ValueError):
    """A string is not valid Base58(Check). ``reason`` is a short phrase for error messages."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def b58encode(data: bytes) -> str:
    """Encode bytes; each leading zero byte becomes a leading ``1``."""
    zeros = len(data) - len(data.lstrip(b"\x00"))
    number = int.from_bytes(data, "big")
    digits: list[str] = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(ALPHABET[remainder])
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str) -> bytes:
    """Decode Base58 text to bytes. Raises ``Base58Error("invalid characters")``."""
    number = 0
    for char in text:
        value = _INDEX.get(char)
        if value is None:
            raise Base58Error("invalid characters")
        number = number * 58 + value
    zeros = len(text) - len(text.lstrip("1"))
    # Minimal big-endian encoding of the number, then the zero bytes the leading 1s stood for.
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\x00" * zeros + body


def checksum(payload: bytes) -> bytes:
    """First 4 bytes of the double SHA-256 of ``payload``."""
    return hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:CHECKSUM_LENGTH]


def b58check_encode(payload: bytes) -> str:
    """Encode ``payload`` (version byte included) with its 4-byte checksum."""
    return b58encode(payload + checksum(payload))


def b58check_decode(text: str, *, payload_length: int | None = None) -> bytes:
    """Decode Base58Check text and return the payload (version byte included, checksum removed).

    ``payload_length`` (e.g. 21 for a version byte plus a 20-byte hash) is checked *before*
    the checksum, so a truncated or padded string reports ``"wrong length"`` rather than the
    less helpful ``"bad checksum"``.
    """
    raw = b58decode(text)
    if len(raw) <= CHECKSUM_LENGTH:
        raise Base58Error("wrong length")
    if payload_length is not None and len(raw) != payload_length + CHECKSUM_LENGTH:
        raise Base58Error("wrong length")
    payload, check = raw[:-CHECKSUM_LENGTH], raw[-CHECKSUM_LENGTH:]
    if checksum(payload) != check:
        raise Base58Error("bad checksum")
    return payload
