"""Read and check ``currencies/data/currencies.json``, the list of currencies the tracker ships.

Pure Python on purpose (no Django import): the seeding migration, management commands and tests
all read the same file through this one loader, so a bad edit fails loudly in one place.

Each entry has exactly the keys ``code``, ``title``, ``kind``, ``decimals``, ``coingecko_id`` and
``ethereum_contract_address``:

- ``code``: lower-case, unique; ISO 4217 alphabetic code for fiat (three letters), the exchange
  ticker otherwise (``btc``, ``1inch``, ``eth2``).
- ``kind``: ``fiat``, ``crypto`` (a chain's own coin) or ``token`` (an ERC-20 on Ethereum mainnet).
- ``decimals``: the smallest unit as a power of ten: ISO 4217 minor units for fiat, the chain's or
  contract's decimals otherwise. Up to 24 (NEAR's yoctoNEAR), although amounts are stored with 18
  decimal places: this is the currency's own precision, not the storage precision.
- ``coingecko_id``: CoinGecko coin id used to price the asset, ``null`` for fiat (CoinGecko takes
  the lower-case fiat code as a ``vs_currency``) and for assets CoinGecko does not list.
- ``ethereum_contract_address``: ``0x`` + 40 lower-case hex digits for tokens (as the chain and
  Etherscan report it), ``null`` for every other kind.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).resolve().parent / "data" / "currencies.json"

FIAT = "fiat"
CRYPTO = "crypto"
TOKEN = "token"
KINDS = (FIAT, CRYPTO, TOKEN)

MAX_DECIMALS = 24
FIELDS = frozenset(
    {"code", "title", "kind", "decimals", "coingecko_id", "ethereum_contract_address"}
)

_CODE_RE = re.compile(r"^[a-z0-9]+$")
_FIAT_CODE_RE = re.compile(r"^[a-z]{3}$")
_CONTRACT_RE = re.compile(r"^0x[0-9a-f]{40}$")
_COINGECKO_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class CurrencyRecord:
    code: str
    title: str
    kind: str
    decimals: int
    coingecko_id: str | None
    ethereum_contract_address: str | None

    @property
    def is_fiat(self) -> bool:
        return self.kind == FIAT

    @property
    def is_cryptocurrency(self) -> bool:
        """True only for a chain's native coin (btc, ltc, eth): an ERC-20 token is not one
        (API.md "Classification"); it is ``is_ethereum_token`` instead."""
        return self.kind == CRYPTO

    @property
    def is_ethereum_token(self) -> bool:
        return self.kind == TOKEN


def load_currency_records(path: Path | None = None) -> list[CurrencyRecord]:
    """Return every currency in the data file, in file order (sorted by code).

    Raises ``ValueError`` naming the offending entry (index and code) when the file is not a
    list of valid entries, when codes or contract addresses repeat, or when the list is not
    sorted by code.
    """
    path = DATA_FILE if path is None else Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON: {exc}")
    if not isinstance(raw, list):
        raise ValueError(f"{path}: expected a JSON list of currencies, got {type(raw).__name__}")

    records: list[CurrencyRecord] = []
    seen_codes: set[str] = set()
    seen_contracts: dict[str, str] = {}
    for index, entry in enumerate(raw):
        record = _parse_entry(path, index, entry)
        label = _label(path, index, record.code)
        if record.code in seen_codes:
            raise ValueError(f"{label}: duplicate code")
        seen_codes.add(record.code)
        if records and record.code < records[-1].code:
            raise ValueError(f"{label}: not sorted by code (comes after {records[-1].code!r})")
        address = record.ethereum_contract_address
        if address is not None:
            if address in seen_contracts:
                raise ValueError(
                    f"{label}: contract {address} is already used by {seen_contracts[address]!r}"
                )
            seen_contracts[address] = record.code
        records.append(record)
    return records


def _label(path: Path, index: int, code: Any) -> str:
    return f"{path.name} entry {index} ({code!r})"


def _parse_entry(path: Path, index: int, entry: Any) -> CurrencyRecord:
    if not isinstance(entry, dict):
        raise ValueError(f"{_label(path, index, None)}: expected an object")
    code = entry.get("code")
    label = _label(path, index, code)

    keys = set(entry)
    if keys != FIELDS:
        missing = sorted(FIELDS - keys)
        extra = sorted(keys - FIELDS)
        raise ValueError(f"{label}: wrong keys (missing {missing}, unexpected {extra})")

    if not isinstance(code, str) or not _CODE_RE.match(code):
        raise ValueError(f"{label}: code must be lower-case letters and digits")

    title = entry["title"]
    if not isinstance(title, str) or not title.strip() or title != title.strip():
        raise ValueError(f"{label}: title must be a non-empty string without outer spaces")

    kind = entry["kind"]
    if kind not in KINDS:
        raise ValueError(f"{label}: kind must be one of {list(KINDS)}, got {kind!r}")

    decimals = entry["decimals"]
    # bool is an int subclass; true/false in the file is a mistake, not 1/0.
    if (
        not isinstance(decimals, int)
        or isinstance(decimals, bool)
        or not 0 <= decimals <= MAX_DECIMALS
    ):
        raise ValueError(
            f"{label}: decimals must be an integer from 0 to {MAX_DECIMALS}, got {decimals!r}"
        )

    coingecko_id = entry["coingecko_id"]
    if coingecko_id is not None and (
        not isinstance(coingecko_id, str) or not _COINGECKO_ID_RE.match(coingecko_id)
    ):
        raise ValueError(f"{label}: coingecko_id must be null or a CoinGecko id like 'bitcoin'")

    address = entry["ethereum_contract_address"]
    if kind == TOKEN:
        if not isinstance(address, str) or not _CONTRACT_RE.match(address):
            raise ValueError(
                f"{label}: a token needs ethereum_contract_address as 0x + 40 lower-case hex digits"
            )
    elif address is not None:
        raise ValueError(f"{label}: only tokens have an ethereum_contract_address")

    if kind == FIAT:
        if not _FIAT_CODE_RE.match(code):
            raise ValueError(f"{label}: a fiat code must be an ISO 4217 code of three letters")
        if coingecko_id is not None:
            raise ValueError(f"{label}: fiat is priced by its code; coingecko_id must be null")

    return CurrencyRecord(
        code=code,
        title=title,
        kind=kind,
        decimals=decimals,
        coingecko_id=coingecko_id,
        ethereum_contract_address=address,
    )
