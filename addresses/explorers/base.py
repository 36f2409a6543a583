"""What every blockchain explorer client returns, and how to get one for a chain.

Explorers are provider clients: they talk HTTP through ``core.http`` only, return these frozen
dataclasses with exact ``Decimal`` amounts in whole coins (BTC, LTC, ETH, token units), and raise
``ProviderError``. They never touch the ORM.

Syncing history:

- ``transactions(address, since_cursor=None)`` reads the whole history (every page);
- the returned ``TransactionPage.cursor`` is stored by the caller and passed back next time, when
  only what is new since then is read;
- ``complete`` is False only when ``max_pages`` stopped the read early: call again with the
  returned cursor to go on where it stopped (nothing is skipped);
- a cursor may make the explorer return some transactions again (Etherscan re-reads the last
  block; unconfirmed Bitcoin transactions come back until they confirm), so the caller
  upserts by ``ChainTransaction.key``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol


@dataclass(frozen=True)
class AddressBalance:
    """Balance of one asset at one address, in whole units.

    ``balance`` counts confirmed transactions only; ``pending`` is the change that unconfirmed
    ones would make (Esplora; None where the source does not say). ``received``/``sent`` are
    confirmed totals, ``tx_count`` the number of confirmed transactions; None when unknown.
    """

    address: str
    asset: str
    balance: Decimal
    received: Decimal | None
    sent: Decimal | None
    tx_count: int | None
    source: str
    pending: Decimal | None = None


@dataclass(frozen=True)
class ChainTransaction:
    """The effect of one transaction (or one token transfer row) on one address.

    ``delta`` is the net change of the address's holdings of ``asset``, fee included (a spend of
    1 BTC paying 0.0001 fee is -1.0001). ``fee`` is the part of ``delta`` that is network fee paid
    by this address, as a positive number; 0 when someone else paid it, or when the fee is paid in
    another asset (token rows: the gas is on the ETH row of the same hash).
    ``occurred_at`` is the block time (UTC), None while unconfirmed. ``row_key`` tells apart
    several rows of one hash (token transfers); empty for whole-transaction rows.
    """

    txid: str
    asset: str
    delta: Decimal
    fee: Decimal
    occurred_at: datetime | None
    confirmed: bool
    block_height: int | None
    source: str
    row_key: str = ""

    @property
    def key(self) -> str:
        """Unique per source and address: upsert on it."""
        return f"{self.txid}:{self.row_key}" if self.row_key else self.txid


@dataclass(frozen=True)
class TransactionPage:
    """``transactions`` newest-first for Esplora (unconfirmed first), oldest-first for Etherscan.
    Store ``cursor`` and pass it back as ``since_cursor`` next time."""

    transactions: list[ChainTransaction] = field(default_factory=list)
    cursor: str | None = None
    complete: bool = True


class Explorer(Protocol):
    source: str
    asset: str

    def balances(self, address: str) -> list[AddressBalance]: ...

    def transactions(
        self, address: str, *, since_cursor: str | None = None, max_pages: int | None = None
    ) -> TransactionPage: ...


_CHAIN_ALIASES = {
    "bitcoin": "bitcoin",
    "btc": "bitcoin",
    "litecoin": "litecoin",
    "ltc": "litecoin",
    "ethereum": "ethereum",
    "eth": "ethereum",
}


def explorer_for(
    chain: str,
    *,
    token_contract: str | None = None,
    token_decimals: int | None = None,
    **options: Any,
) -> Explorer:
    """The explorer for ``chain`` (``bitcoin``/``btc``, ``litecoin``/``ltc``,
    ``ethereum``/``eth``), base URLs and keys from settings. On Ethereum, ``token_contract``
    gives an explorer of that ERC-20 token instead of ether. ``options`` go to the explorer
    (``http=...`` for tests)."""
    from django.conf import settings

    name = _CHAIN_ALIASES.get(chain.strip().lower())
    if name is None:
        raise ValueError(f"no explorer for chain {chain!r}")
    if token_contract is not None and name != "ethereum":
        raise ValueError(f"tokens are only supported on ethereum, not {chain!r}")
    builder: Callable[..., Explorer]
    if name in ("bitcoin", "litecoin"):
        from addresses.explorers.esplora import EsploraExplorer

        builder = EsploraExplorer.bitcoin if name == "bitcoin" else EsploraExplorer.litecoin
        url = settings.ESPLORA_BTC_URL if name == "bitcoin" else settings.ESPLORA_LTC_URL
        return builder(base_url=url, **options)
    from addresses.explorers.ethereum import EthereumExplorer

    return EthereumExplorer(
        rpc_url=settings.ETHEREUM_RPC_URL,
        etherscan_url=settings.ETHERSCAN_URL,
        etherscan_api_key=settings.ETHERSCAN_API_KEY,
        token_contract=token_contract,
        token_decimals=token_decimals,
        **options,
    )
