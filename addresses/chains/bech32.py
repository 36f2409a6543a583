"""Bech32 (BIP-173) and Bech32m (BIP-350) strings, and segwit addresses built on them.

Edge cases (each raises ``Bech32Error`` whose ``reason`` is a short phrase):

* Characters outside printable US-ASCII 33..126 (spaces included) -> ``"invalid characters"``;
  so is a data character outside the 32-character bech32 alphabet (``1``, ``b``, ``i``, ``o``).
* Upper case is allowed, but all of the string or nothing: mixed case -> ``"mixed case"``.
  The checksum is computed over the lowercase form, so callers should store ``addr.lower()``.
* The separator is the *last* ``1``; the human-readable part (HRP) may itself contain ``1``.
  An empty HRP, fewer than 6 checksum characters or more than 90 characters -> various reasons.
* The same data can carry either checksum constant; ``bech32_decode`` says which one matched.
  Segwit version 0 must use bech32, versions 1..16 must use bech32m (BIP-350).
* Witness programs are 2..40 bytes; version 0 only 20 (P2WPKH) or 32 (P2WSH). Converting the
  5-bit groups back to bytes may leave at most 4 zero padding bits.
"""

from __future__ import annotations

from enum import Enum

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_CHARSET_INDEX = {char: value for value, char in enumerate(CHARSET)}
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
MAX_LENGTH = 90
CHECKSUM_LENGTH = 6


class Encoding(Enum):
    """Which checksum variant; the value is the constant the polymod must equal."""

    BECH32 = 1
    BECH32M = 0x2BC830A3


class Bech32Error(ValueError):
    """A string is not a valid bech32/bech32m string or segwit address."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def _polymod(values: list[int]) -> int:
    """BCH checksum over GF(32), exactly as specified in BIP-173."""
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for bit, generator in enumerate(_GENERATOR):
            if (top >> bit) & 1:
                checksum ^= generator
    return checksum


def _hrp_expand(hrp: str) -> list[int]:
    # The HRP enters the checksum as its high bits, a zero, then its low bits.
    return [ord(char) >> 5 for char in hrp] + [0] + [ord(char) & 31 for char in hrp]


def _create_checksum(hrp: str, data: list[int], encoding: Encoding) -> list[int]:
    polymod = _polymod(_hrp_expand(hrp) + data + [0] * CHECKSUM_LENGTH) ^ encoding.value
    return [(polymod >> 5 * (5 - i)) & 31 for i in range(CHECKSUM_LENGTH)]


def bech32_encode(hrp: str, data: list[int], encoding: Encoding) -> str:
    """Encode an HRP and 5-bit values; the result is lowercase."""
    combined = data + _create_checksum(hrp, data, encoding)
    return hrp + "1" + "".join(CHARSET[value] for value in combined)


def bech32_decode(text: str) -> tuple[str, list[int], Encoding]:
    """Split and verify a bech32/bech32m string: ``(hrp in lowercase, 5-bit data, encoding)``."""
    if any(ord(char) < 33 or ord(char) > 126 for char in text):
        raise Bech32Error("invalid characters")
    if text.lower() != text and text.upper() != text:
        raise Bech32Error("mixed case")
    if len(text) > MAX_LENGTH:
        raise Bech32Error("wrong length")
    text = text.lower()
    separator = text.rfind("1")
    if separator == -1:
        raise Bech32Error("missing separator")
    if separator == 0:
        raise Bech32Error("empty prefix")
    hrp, rest = text[:separator], text[separator + 1 :]
    if len(rest) < CHECKSUM_LENGTH:
        raise Bech32Error("wrong length")
    if any(char not in _CHARSET_INDEX for char in rest):
        raise Bech32Error("invalid characters")
    data = [_CHARSET_INDEX[char] for char in rest]
    constant = _polymod(_hrp_expand(hrp) + data)
    for encoding in Encoding:
        if constant == encoding.value:
            return hrp, data[:-CHECKSUM_LENGTH], encoding
    raise Bech32Error("bad checksum")


def convertbits(data: list[int], from_bits: int, to_bits: int, *, pad: bool) -> list[int] | None:
    """Regroup bits (8->5 with ``pad=True`` to encode, 5->8 with ``pad=False`` to decode).

    Returns None when decoding leaves more than ``from_bits - 1`` padding bits or non-zero
    padding: such strings have another, canonical spelling, so they are rejected.
    """
    accumulator, bits, result = 0, 0, []
    max_value = (1 << to_bits) - 1
    for value in data:
        if value < 0 or value >> from_bits:
            return None
        accumulator = (accumulator << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            result.append((accumulator >> bits) & max_value)
    if pad:
        if bits:
            result.append((accumulator << (to_bits - bits)) & max_value)
    elif bits >= from_bits or ((accumulator << (to_bits - bits)) & max_value):
        return None
    return result


def decode_segwit(hrp: str, address: str) -> tuple[int, bytes]:
    """Decode a segwit address for ``hrp`` (lowercase): ``(witness version, program)``."""
    got_hrp, data, encoding = bech32_decode(address)
    if got_hrp != hrp:
        raise Bech32Error(f"wrong prefix {got_hrp!r}, expected {hrp!r}")
    if not data:
        raise Bech32Error("wrong length")
    version = data[0]
    if version > 16:
        raise Bech32Error("unknown witness version")
    program = convertbits(data[1:], 5, 8, pad=False)
    if program is None:
        raise Bech32Error("invalid padding")
    if not 2 <= len(program) <= 40 or (version == 0 and len(program) not in (20, 32)):
        raise Bech32Error("wrong length")
    required = Encoding.BECH32 if version == 0 else Encoding.BECH32M
    if encoding is not required:
        raise Bech32Error(
            f"witness version {version} requires a {required.name.lower()} checksum, "
            f"not {encoding.name.lower()}"
        )
    return version, bytes(program)


def encode_segwit(hrp: str, version: int, program: bytes) -> str:
    """Encode a segwit address; raises ``Bech32Error`` if the result would not decode."""
    if not 0 <= version <= 16:
        raise Bech32Error("unknown witness version")
    encoding = Encoding.BECH32 if version == 0 else Encoding.BECH32M
    five_bit = convertbits(list(program), 8, 5, pad=True) or []
    address = bech32_encode(hrp, [version, *five_bit], encoding)
    decode_segwit(hrp, address)  # refuses bad versions and lengths with the usual reasons
    return address
