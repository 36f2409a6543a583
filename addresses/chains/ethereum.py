"""Ethereum addresses (also used for ERC-20 tokens): ``0x`` + 40 hex digits, EIP-55 checksum.

Edge cases:

* The prefix must be exactly lowercase ``0x``; ``0X`` and a missing prefix are refused
  ("must start with 0x"), since pasting a bare hash is more often a mistake than an address.
* All-lowercase or all-uppercase hex carries no checksum (EIP-55 says so), so it is accepted
  as is; mixed case must match EIP-55 exactly or it is refused ("bad EIP-55 checksum").
* An address made only of digits is both all-lower and all-upper case: accepted.
* The normalised form is lowercase, the way the chain and most explorers' APIs store it;
  ``to_checksum_address`` gives the EIP-55 spelling for display.
* EIP-55 uses Keccak-256 as Ethereum does, not NIST SHA3-256 (``hashlib.sha3_256`` differs in
  its padding and gives another digest), hence pycryptodome's ``keccak``.
"""

from __future__ import annotations

import string
from typing import NoReturn

from Crypto.Hash import keccak

from core.exceptions import ValidationFailed

_HEX_DIGITS = frozenset(string.hexdigits)
_BODY_LENGTH = 40


def _fail(reason: str) -> NoReturn:
    raise ValidationFailed(f"address is not a valid Ethereum address ({reason})")


def _checksummed_body(lower_body: str) -> str:
    """EIP-55: upper-case a hex letter when the matching nibble of the hash is >= 8."""
    digest = keccak.new(digest_bits=256, data=lower_body.encode("ascii")).hexdigest()
    return "".join(
        char.upper() if int(nibble, 16) >= 8 else char
        for char, nibble in zip(lower_body, digest, strict=False)
    )


def validate_ethereum(address: str) -> str:
    """Return the lowercase address or raise ``ValidationFailed`` (``address`` already stripped)."""
    if not address.startswith("0x"):
        _fail("must start with 0x")
    body = address[2:]
    if len(body) != _BODY_LENGTH:
        _fail("wrong length")
    if not set(body) <= _HEX_DIGITS:
        _fail("invalid characters")
    lower = body.lower()
    if body not in (lower, body.upper()) and body != _checksummed_body(lower):
        _fail("bad EIP-55 checksum")
    return "0x" + lower


def to_checksum_address(address: str) -> str:
    """Return the EIP-55 spelling of a valid address; raises ``ValidationFailed`` otherwise."""
    lower = validate_ethereum(address.strip())
    return "0x" + _checksummed_body(lower[2:])
