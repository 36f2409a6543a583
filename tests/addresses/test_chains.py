"""Address validation per chain: real addresses, BIP-173/BIP-350 and EIP-55 vectors.

Pure Python: runs with ``-p no:django``.
"""

from __future__ import annotations

import pytest

from addresses.chains import SUPPORTED, chain_for, to_checksum_address, validate_address
from addresses.chains.base58 import (
    ALPHABET,
    Base58Error,
    b58check_decode,
    b58check_encode,
    b58decode,
    b58encode,
)
from addresses.chains.bech32 import (
    CHARSET,
    Bech32Error,
    Encoding,
    bech32_decode,
    decode_segwit,
    encode_segwit,
)
from core.exceptions import ValidationFailed

# hash160 of the genesis-block public key (the payload of 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa).
GENESIS_HASH160 = bytes.fromhex("62e907b15cbf27d5425399ebf6f0fb50ebb88f18")
# A 32-byte program: the x coordinate of the secp256k1 generator (used by the BIP-350 vectors).
GENERATOR_X = bytes.fromhex("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")

BITCOIN_VALID = [
    "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",  # genesis block coinbase (P2PKH)
    "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",  # P2PKH
    "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",  # P2SH example from the Bitcoin wiki / BIP-13 era
    "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",  # P2WPKH
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",  # BIP-173 P2WPKH
    "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",  # BIP-173 P2WSH
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",  # BIP-350 P2TR
    "bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr",  # BIP-86 P2TR
]
LITECOIN_VALID = [
    "LM2WMpR1Rp6j3Sa59cMXMs1SPzj9eXpGc1",  # P2PKH
    "LVg2kJoFNg45Nbpy53h7Fe1wKyeXVRhMH9",  # P2PKH
    "MGxNPPB7eBoWPUaprtX9v9CXJZoD2465zN",  # P2SH (M...)
    "ltc1qg42tkwuuxefutzxezdkdel39gfstuap288mfea",  # P2WPKH
    # Built from known payloads with our encoders (and checked by the decoders below):
    b58check_encode(b"\x30" + GENESIS_HASH160),  # P2PKH
    b58check_encode(b"\x32" + GENESIS_HASH160),  # P2SH
    b58check_encode(b"\x05" + GENESIS_HASH160),  # legacy P2SH (3...)
    encode_segwit("ltc", 0, GENERATOR_X),  # P2WSH
    encode_segwit("ltc", 1, GENERATOR_X),  # P2TR
]
ETHEREUM_EIP55 = [
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]
# EIP-55's "all caps" and "all lower" vectors: their checksummed form really is uniform case.
ETHEREUM_UNIFORM = [
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
]

# --- BIP-173 / BIP-350 reference vectors (sipa/bech32 ref/python/tests.py) ---
VALID_BECH32 = [
    "A12UEL5L",
    "a12uel5l",
    "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
    "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
    "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
    "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
    "?1ezyfcl",
]
VALID_BECH32M = [
    "A1LQFN3A",
    "a1lqfn3a",
    "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
    "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
    "11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
    "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
    "?1v759aa",
]
INVALID_BECH32_STRINGS = [
    " 1nwldj5",
    "\x7f" + "1axkwrx",
    "\x80" + "1eym55h",
    "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
    "pzry9x0s0muk",
    "1pzry9x0s0muk",
    "x1b4n0q5v",
    "li1dgmt3",
    "de1lg7wt" + "\xff",
    "10a06t8",
    "1qzzfhee",
    " 1xj0phk",
    "\x7f" + "1g6xzxy",
    "\x80" + "1vctc34",
    "an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4",
    "qyrz8wqd2c9m",
    "1qyrz8wqd2c9m",
    "y1b0jsk6g",
    "lt1igcx5c0",
    "in1muywd",
    "mm1crxm3i",
    "au1s5cgom",
    "16plkw9",
    "1p2gdwpf",
]
# Checksum computed over the uppercase HRP: decodes, but as neither variant it claims to be.
UPPERCASE_HRP_CHECKSUM = ["A1G7SGD8", "M1VUXWEZ"]

VALID_SEGWIT = [
    ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "0014751e76e8199196d454941c45d1b3a323f1433bd6"),
    (
        "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
        "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262",
    ),
    (
        "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
        "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6",
    ),
    ("BC1SW50QGDZ25J", "6002751e"),
    ("bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "5210751e76e8199196d454941c45d1b3a323"),
    (
        "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
        "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433",
    ),
    (
        "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
        "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433",
    ),
    (
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
    ),
]
INVALID_SEGWIT = [
    "tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut",  # invalid HRP
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",  # bech32 for v1
    "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",  # bech32 for v2
    "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",  # bech32 for v16
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",  # bech32m for v0
    "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",  # bech32m for v0
    "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",  # bad char in checksum
    "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",  # witness version 17
    "bc1pw5dgrnzv",  # 1-byte program
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",  # 41 bytes
    "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",  # v0 with a 16-byte program
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",  # mixed case
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",  # > 4 padding bits
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",  # non-zero padding
    "bc1gmk9yu",  # empty data
]
# BIP-173's original v1+ vectors: valid bech32, but BIP-350 now requires bech32m for them.
BIP173_V1_PLUS = [
    "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx",
    "BC1SW50QA3JX3S",
    "bc1zw508d6qejxtdg4y5r3zarvaryvg6kdaj",
]


def _error(currency: str, address: str, **kwargs: bool) -> str:
    with pytest.raises(ValidationFailed) as info:
        validate_address(currency, address, **kwargs)
    assert len(info.value.problems) == 1
    return info.value.problems[0]


def _next_in(alphabet: str, char: str) -> str:
    """The following character of ``alphabet`` (same case), so the result stays in it."""
    lower = char.lower() if alphabet == CHARSET else char
    replacement = alphabet[(alphabet.index(lower) + 1) % len(alphabet)]
    return replacement.upper() if char.isupper() and alphabet == CHARSET else replacement


def _mutations(address: str) -> list[str]:
    """Every single-character substitution that keeps the address in its own alphabet."""
    if address.lower().startswith(("bc1", "ltc1")):
        start, alphabet = address.rfind("1") + 2, CHARSET  # data after the witness version
    else:
        start, alphabet = 1, ALPHABET  # the first character is the version byte
    return [
        address[:i] + _next_in(alphabet, address[i]) + address[i + 1 :]
        for i in range(start, len(address))
    ]


# --- Base58 ---


def test_base58_round_trip_keeps_leading_zero_bytes() -> None:
    data = b"\x00\x00\x01\x02\xff"
    assert b58encode(data).startswith("11")
    assert b58decode(b58encode(data)) == data
    assert b58decode("") == b""


def test_base58check_decodes_the_genesis_address() -> None:
    payload = b58check_decode("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", payload_length=21)
    assert payload == b"\x00" + GENESIS_HASH160
    assert b58check_encode(payload) == "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"


@pytest.mark.parametrize(
    ("text", "reason"),
    [("1A1zP1eP5QGefi2DMPTfTL5SLmv7Divf0a", "invalid characters"), ("1111", "wrong length")],
)
def test_base58check_errors(text: str, reason: str) -> None:
    with pytest.raises(Base58Error) as info:
        b58check_decode(text)
    assert info.value.reason == reason


# --- bech32 / bech32m strings and segwit decoding (reference vectors) ---


@pytest.mark.parametrize(
    ("text", "encoding"),
    [(t, Encoding.BECH32) for t in VALID_BECH32] + [(t, Encoding.BECH32M) for t in VALID_BECH32M],
)
def test_valid_bech32_strings(text: str, encoding: Encoding) -> None:
    assert bech32_decode(text)[2] is encoding
    # The reference test's mutation: flip the lowest bit of the first data character.
    pos = text.rfind("1")
    mutated = text[: pos + 1] + chr(ord(text[pos + 1]) ^ 1) + text[pos + 2 :]
    with pytest.raises(Bech32Error):
        bech32_decode(mutated)


@pytest.mark.parametrize("text", INVALID_BECH32_STRINGS)
def test_invalid_bech32_strings(text: str) -> None:
    with pytest.raises(Bech32Error):
        bech32_decode(text)


@pytest.mark.parametrize("text", UPPERCASE_HRP_CHECKSUM)
def test_checksum_over_uppercase_hrp_is_rejected(text: str) -> None:
    with pytest.raises(Bech32Error) as info:
        bech32_decode(text)
    assert info.value.reason == "bad checksum"


@pytest.mark.parametrize(("address", "script_hex"), VALID_SEGWIT)
def test_valid_segwit_vectors(address: str, script_hex: str) -> None:
    hrp = address[:2].lower()
    version, program = decode_segwit(hrp, address)
    script = bytes([version + 0x50 if version else 0, len(program)]) + program
    assert script.hex() == script_hex
    assert encode_segwit(hrp, version, program) == address.lower()


@pytest.mark.parametrize("address", INVALID_SEGWIT)
def test_invalid_segwit_vectors(address: str) -> None:
    for hrp in ("bc", "tb"):
        with pytest.raises(Bech32Error):
            decode_segwit(hrp, address)


@pytest.mark.parametrize(
    ("hrp", "version", "length"), [("bc", 0, 21), ("bc", 17, 32), ("bc", 1, 1), ("bc", 16, 41)]
)
def test_encode_segwit_refuses_invalid_programs(hrp: str, version: int, length: int) -> None:
    with pytest.raises(Bech32Error):
        encode_segwit(hrp, version, bytes(length))


@pytest.mark.parametrize("address", BIP173_V1_PLUS)
def test_bip173_v1_plus_addresses_now_need_bech32m(address: str) -> None:
    assert bech32_decode(address)[2] is Encoding.BECH32
    assert "requires a bech32m checksum, not bech32" in _error("btc", address)


# --- Bitcoin ---


@pytest.mark.parametrize("address", BITCOIN_VALID)
def test_valid_bitcoin_addresses(address: str) -> None:
    assert validate_address("btc", address) == address


@pytest.mark.parametrize("address", BITCOIN_VALID + LITECOIN_VALID)
def test_one_changed_character_is_a_bad_checksum(address: str) -> None:
    currency = "ltc" if address in LITECOIN_VALID and not address.startswith("3") else "btc"
    name = SUPPORTED[currency]
    for mutated in _mutations(address):
        assert _error(currency, mutated) == f"address is not a valid {name} address (bad checksum)"


def test_whitespace_is_stripped_and_bech32_is_lowercased() -> None:
    upper = "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"
    assert validate_address("BTC", f"  {upper}\n") == upper.lower()
    assert validate_address("btc", "\t1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa ") == (
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
    )


def test_base58_is_not_case_normalised() -> None:
    # Base58 is case-sensitive: changing the case of a letter breaks the address.
    assert "bad checksum" in _error("btc", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfnA")
    assert "invalid characters" in _error("btc", "1a1zp1ep5qgefi2dmptftl5slmv7divfna")  # l


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN0", "invalid characters"),  # 0 is not Base58
        # One character short is still a plausible length (26..34) and fails the checksum;
        # four short no longer decodes to 25 bytes.
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN", "bad checksum"),
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7Div", "wrong length"),
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNaa", "wrong length"),
        ("1A1zP1eP5QGefi2DMPTfTL5 SLmv7DivfNa", "invalid characters"),
        ("1" * 200, "wrong length"),
        (b58check_encode(b"\x99" + GENESIS_HASH160), "unknown version byte"),
        ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdb", "invalid characters"),  # b not bech32
        ("Bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "mixed case"),
        ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdr", "bad checksum"),
        (
            "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
            "unknown witness version",
        ),
        ("bc1pw5dgrnzv", "wrong length"),
        ("BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", "wrong length"),
        ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf", "invalid padding"),
        ("bc1gmk9yu", "wrong length"),
    ],
)
def test_bitcoin_error_reasons(address: str, reason: str) -> None:
    assert _error("btc", address) == f"address is not a valid Bitcoin address ({reason})"


def test_bech32_where_bech32m_is_required_and_vice_versa() -> None:
    v1_with_bech32 = "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd"
    v0_with_bech32m = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh"
    assert _error("btc", v1_with_bech32) == (
        "address is not a valid Bitcoin address "
        "(witness version 1 requires a bech32m checksum, not bech32)"
    )
    assert _error("btc", v0_with_bech32m) == (
        "address is not a valid Bitcoin address "
        "(witness version 0 requires a bech32 checksum, not bech32m)"
    )
    assert "witness version 16 requires a bech32m checksum" in _error(
        "btc", "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL"
    )


@pytest.mark.parametrize(
    ("currency", "address"),
    [
        ("btc", "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7"),
        ("btc", "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"),
        ("btc", "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c"),
        ("btc", encode_segwit("bcrt", 0, GENESIS_HASH160)),
        ("btc", "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn"),  # version 0x6F
        ("btc", b58check_encode(b"\xc4" + GENESIS_HASH160)),  # testnet P2SH, 2...
        ("ltc", encode_segwit("tltc", 0, GENESIS_HASH160)),
        ("ltc", b58check_encode(b"\x3a" + GENESIS_HASH160)),  # Litecoin testnet P2SH, Q...
        ("ltc", "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn"),
    ],
)
def test_testnet_addresses_are_rejected_with_a_hint(currency: str, address: str) -> None:
    assert _error(currency, address) == (
        f"address is not a valid {SUPPORTED[currency]} address "
        "(this looks like a testnet address; only mainnet addresses are supported)"
    )


@pytest.mark.parametrize(
    "address",
    ["LM2WMpR1Rp6j3Sa59cMXMs1SPzj9eXpGc1", "MGxNPPB7eBoWPUaprtX9v9CXJZoD2465zN",
     "ltc1qg42tkwuuxefutzxezdkdel39gfstuap288mfea"],
)  # fmt: skip
def test_litecoin_address_given_for_bitcoin(address: str) -> None:
    assert _error("btc", address) == (
        "address is not a valid Bitcoin address (this looks like a Litecoin address)"
    )


# --- Litecoin ---


@pytest.mark.parametrize("address", LITECOIN_VALID)
def test_valid_litecoin_addresses(address: str) -> None:
    assert validate_address("ltc", address) == address


def test_built_litecoin_addresses_have_the_expected_prefixes() -> None:
    assert [a[0] for a in LITECOIN_VALID[4:7]] == ["L", "M", "3"]
    assert LITECOIN_VALID[7].startswith("ltc1q") and LITECOIN_VALID[8].startswith("ltc1p")


def test_legacy_p2sh_is_valid_for_both_chains() -> None:
    assert validate_address("ltc", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy").startswith("3")


@pytest.mark.parametrize(
    "address", ["1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"]
)
def test_bitcoin_address_given_for_litecoin(address: str) -> None:
    assert _error("ltc", address) == (
        "address is not a valid Litecoin address (this looks like a Bitcoin address)"
    )


def test_litecoin_unknown_version_byte() -> None:
    assert _error("ltc", b58check_encode(b"\x99" + GENESIS_HASH160)) == (
        "address is not a valid Litecoin address (unknown version byte)"
    )


def test_litecoin_uppercase_bech32_is_lowercased() -> None:
    address = "ltc1qg42tkwuuxefutzxezdkdel39gfstuap288mfea"
    assert validate_address("LTC", address.upper()) == address


# --- Ethereum ---


@pytest.mark.parametrize("address", ETHEREUM_EIP55 + ETHEREUM_UNIFORM)
def test_eip55_vectors(address: str) -> None:
    assert validate_address("eth", address) == address.lower()
    assert to_checksum_address(address.lower()) == address
    assert to_checksum_address(address) == address


@pytest.mark.parametrize("address", ETHEREUM_EIP55)
def test_all_lower_and_all_upper_are_accepted_without_checksum(address: str) -> None:
    body = address[2:]
    assert validate_address("eth", "0x" + body.lower()) == address.lower()
    assert validate_address("eth", "0x" + body.upper()) == address.lower()


@pytest.mark.parametrize("address", ETHEREUM_EIP55)
def test_one_flipped_letter_is_a_bad_eip55_checksum(address: str) -> None:
    letters = [i for i, char in enumerate(address) if i >= 2 and char.isalpha()]
    for i in letters:
        flipped = address[:i] + address[i].swapcase() + address[i + 1 :]
        assert _error("eth", flipped) == (
            "address is not a valid Ethereum address (bad EIP-55 checksum)"
        )


@pytest.mark.parametrize("address", ETHEREUM_EIP55)
def test_one_changed_digit_in_a_checksummed_address_is_rejected(address: str) -> None:
    i = next(i for i, char in enumerate(address) if i >= 2 and char.isdigit())
    changed = address[:i] + str((int(address[i]) + 1) % 10) + address[i + 1 :]
    assert "bad EIP-55 checksum" in _error("eth", changed)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "must start with 0x"),
        ("0X5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "must start with 0x"),
        ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe", "wrong length"),
        ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAedd", "wrong length"),
        ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg", "invalid characters"),
    ],
)
def test_ethereum_error_reasons(address: str, reason: str) -> None:
    assert _error("eth", address) == f"address is not a valid Ethereum address ({reason})"


def test_ethereum_whitespace_and_tokens() -> None:
    address = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    assert validate_address("usdc", f" {address} ", is_ethereum_token=True) == address.lower()


def test_to_checksum_address_rejects_invalid_input() -> None:
    with pytest.raises(ValidationFailed):
        to_checksum_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")


# --- public surface ---


def test_chain_for() -> None:
    assert chain_for("btc") == "btc"
    assert chain_for("LTC") == "ltc"
    assert chain_for("eth") == "eth"
    assert chain_for("usdt", is_ethereum_token=True) == "eth"
    assert chain_for("xrp") is None
    assert chain_for("usdt") is None


@pytest.mark.parametrize("address", ["", "   ", "\n\t"])
def test_empty_address(address: str) -> None:
    assert _error("btc", address) == "address is empty"
    assert _error("eth", address) == "address is empty"


@pytest.mark.parametrize("currency", ["xrp", "XRP", "usdt"])
def test_unsupported_currency(currency: str) -> None:
    expected = currency.lower()
    assert _error(currency, "rEb8TK3gBgk5auZkwc6sHnwrGVJH8DuaLh") == (
        f"addresses for currency '{expected}' are not supported yet "
        "(supported: btc, ltc, eth and Ethereum tokens); use an offset to track it"
    )
