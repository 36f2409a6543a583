"""Bitcoin and Litecoin mainnet addresses: legacy Base58Check and segwit bech32/bech32m.

Accepted (mainnet only):

* Bitcoin: P2PKH (version 0x00, ``1...``), P2SH (0x05, ``3...``), and segwit with HRP ``bc``:
  P2WPKH/P2WSH (v0, bech32) and P2TR (v1, bech32m). Other witness versions that BIP-350
  allows (v1 with another length, v2..v16) are accepted too: they are valid addresses that
  wallets can pay to, and refusing them would only block a user for no safety gain.
* Litecoin: P2PKH (0x30, ``L...``), P2SH (0x32, ``M...``, and the legacy 0x05, ``3...``, that
  Litecoin used before ``M`` existed) and segwit with HRP ``ltc``.

Edge cases:

* Testnet/regtest addresses (HRPs ``tb``, ``bcrt``, ``tltc``, ``rltc``; versions 0x6F, 0xC4,
  0x3A) are refused with "looks like a testnet address" in the reason.
* An address of the other chain is refused with a hint ("this looks like a Litecoin address").
  A ``3...`` address is valid for both chains; it cannot be told apart, so both accept it.
* Normalised form: segwit addresses lowercased (their canonical spelling; BIP-173 allows all
  upper case), Base58 addresses unchanged (Base58 is case-sensitive).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

from core.exceptions import ValidationFailed

from .base58 import Base58Error, b58check_decode
from .bech32 import Bech32Error, decode_segwit

# A Base58 P2PKH/P2SH address holds 25 bytes, i.e. at most 35 characters. Checking a generous
# bound first keeps the quadratic big-integer decoding of pasted garbage cheap.
_MAX_BASE58_LENGTH = 60
_TESTNET_HINT = "this looks like a testnet address; only mainnet addresses are supported"
_TESTNET_HRPS = frozenset({"tb", "bcrt", "tltc", "rltc"})
_TESTNET_VERSIONS = frozenset({0x6F, 0xC4, 0x3A})


@dataclass(frozen=True)
class Network:
    """One chain's mainnet address parameters."""

    name: str
    hrp: str
    versions: frozenset[int]


BITCOIN = Network("Bitcoin", "bc", frozenset({0x00, 0x05}))
LITECOIN = Network("Litecoin", "ltc", frozenset({0x30, 0x32, 0x05}))
_NETWORKS = (BITCOIN, LITECOIN)
# Longest first so that a prefix like "bcrt1" is not mistaken for something shorter.
_KNOWN_HRPS = sorted({n.hrp for n in _NETWORKS} | _TESTNET_HRPS, key=len, reverse=True)


def validate_bitcoin(address: str) -> str:
    """Return the normalised Bitcoin mainnet address or raise ``ValidationFailed``."""
    return validate(BITCOIN, address)


def validate_litecoin(address: str) -> str:
    """Return the normalised Litecoin mainnet address or raise ``ValidationFailed``."""
    return validate(LITECOIN, address)


def validate(network: Network, address: str) -> str:
    """Validate ``address`` (already stripped) for ``network``; see the module docstring."""
    lower = address.lower()
    # Segwit strings are recognised by their HRP. Base58 can start with "bc1" too in theory,
    # but no mainnet version byte produces that, so the HRP test is unambiguous in practice.
    for hrp in _KNOWN_HRPS:
        if lower.startswith(hrp + "1"):
            return _validate_segwit(network, hrp, address)
    return _validate_base58(network, address)


def _fail(network: Network, reason: str) -> NoReturn:
    raise ValidationFailed(f"address is not a valid {network.name} address ({reason})")


def _validate_segwit(network: Network, hrp: str, address: str) -> str:
    # The prefix is judged before the checksum: "tb1..." for a mainnet tracker is wrong
    # whatever its checksum, and the hint is what the user needs to read.
    if hrp in _TESTNET_HRPS:
        _fail(network, _TESTNET_HINT)
    if hrp != network.hrp:
        other = next((n for n in _NETWORKS if n is not network and n.hrp == hrp), None)
        _fail(network, f"this looks like a {other.name} address" if other else "wrong prefix")
    try:
        decode_segwit(hrp, address)
    except Bech32Error as error:
        _fail(network, error.reason)
    return address.lower()


def _validate_base58(network: Network, address: str) -> str:
    if len(address) > _MAX_BASE58_LENGTH:
        _fail(network, "wrong length")
    try:
        payload = b58check_decode(address, payload_length=21)  # version byte + 20-byte hash
    except Base58Error as error:
        _fail(network, error.reason)
    version = payload[0]
    if version in network.versions:
        return address
    if version in _TESTNET_VERSIONS:
        _fail(network, _TESTNET_HINT)
    other = next((n for n in _NETWORKS if n is not network and version in n.versions), None)
    _fail(network, f"this looks like a {other.name} address" if other else "unknown version byte")
