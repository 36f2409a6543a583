"""Ethereum addresses: balances from a JSON-RPC node, history from an Etherscan-compatible API.

API docs: https://ethereum.org/en/developers/docs/apis/json-rpc/ (eth_getBalance, eth_call)
          https://docs.etherscan.io/api-reference/endpoint/txlist
          https://docs.etherscan.io/api-reference/endpoint/tokentx
          https://docs.etherscan.io/api-reference/endpoint/txlistinternal
          (Blockscout and Routescan serve the same module/action shape.)

One explorer follows one asset: ether (``token_contract=None``: ``eth_getBalance``, ``txlist``
and ``txlistinternal``, the ether contracts moved), or one ERC-20 token (``balanceOf`` through ``eth_call`` and ``tokentx`` filtered by
the contract). A token's ``asset`` is its contract address in lower case; the caller maps it to
a currency. Amounts: wei / 10**18, token units / 10**decimals, exact. The node and explorer clients
live in ``ethereum_rpc`` and ``etherscan``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from addresses.explorers.base import AddressBalance, ChainTransaction, TransactionPage
from addresses.explorers.ethereum_rpc import JsonRpcClient, hex_int
from addresses.explorers.etherscan import INTERNAL, EtherscanClient
from core.exceptions import AddressRejected, ProviderError
from core.http import HttpClient

WEI_PER_ETHER = Decimal(10) ** 18
ETHERSCAN_RATE_LIMIT = (5, 1.0)
ETHERSCAN_KEYLESS_RATE_LIMIT = (1, 5.0)
RPC_RATE_LIMIT = (10, 1.0)
# A cursor of ether history that read internal transactions too: "<block>+internal". A plain
# "<block>" was written before they were read; the history is read again from block 0 then.
INTERNAL_CURSOR_SUFFIX = "+internal"
BALANCE_OF = "0x70a08231"
DECIMALS = "0x313ce567"
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


def _check_address(address: str) -> str:
    if not _ADDRESS.match(address):
        raise AddressRejected(f"{address!r} is not an Ethereum address")
    return address.lower()


def _check_contract(contract: str) -> str:
    if not _ADDRESS.match(contract):
        raise ProviderError(
            f"token contract {contract!r} is not an Ethereum address", retryable=False
        )
    return contract.lower()


def _url_secrets(url: str) -> list[str]:
    """Node URLs often carry the key in the path (…/v3/<key>): keep it out of logs."""
    return [p for p in urlsplit(url).path.split("/") if len(p) >= 16 and p.isalnum()]


def _when(row: Mapping[str, Any]) -> datetime:
    return datetime.fromtimestamp(int(row["timeStamp"]), UTC)


def ether_effect(row: Mapping[str, Any], address: str) -> tuple[int, int]:
    """``(delta, fee)`` in wei of one ``txlist`` row for ``address`` (lower case). The sender
    pays gas even when the tx failed; a failed tx moves no value."""
    succeeded = str(row.get("isError", "0")) == "0"
    value = int(row["value"])
    delta = fee = 0
    if str(row["from"]).lower() == address:
        fee = int(row["gasUsed"]) * int(row["gasPrice"])
        delta -= fee + (value if succeeded else 0)
    if str(row.get("to") or "").lower() == address and succeeded:
        delta += value
    return delta, fee


def _destination(row: Mapping[str, Any]) -> str:
    """Where a row's value went: ``to``, or the new contract of a contract creation."""
    return str(row.get("to") or row.get("contractAddress") or "").lower()


def internal_effect(row: Mapping[str, Any], address: str) -> int:
    """Wei the internal transaction ``row`` moved into (+) or out of (-) ``address`` (lower
    case). A failed one (``isError`` "1") moved nothing. No fee: the gas was paid by whoever
    sent the enclosing transaction, on its own ``txlist`` row."""
    if str(row.get("isError", "0")) != "0":
        return 0
    value = int(row.get("value") or 0)
    delta = 0
    if str(row.get("from") or "").lower() == address:
        delta -= value
    if _destination(row) == address:
        delta += value
    return delta


def _echoes(internal: Mapping[str, Any], normal: Mapping[str, Any] | None) -> bool:
    """Whether an internal row repeats the enclosing transaction itself (some explorers list
    the top-level call or contract creation among the traces): same sender, destination and
    value as the ``txlist`` row of its hash, whose effect is already counted there."""
    return normal is not None and (
        str(internal.get("from") or "").lower() == str(normal.get("from") or "").lower()
        and _destination(internal) == _destination(normal)
        and int(internal.get("value") or 0) == int(normal.get("value") or 0)
    )


def _ether_cursor(cursor: str | None) -> int:
    """The block to read ether history from: a cursor without internal transactions (an
    older one) starts again at 0, so that past payments by contracts are found too."""
    if cursor and cursor.endswith(INTERNAL_CURSOR_SUFFIX):
        return int(cursor.removesuffix(INTERNAL_CURSOR_SUFFIX))
    return 0


class EthereumExplorer:
    source = "etherscan"

    def __init__(
        self,
        *,
        rpc_url: str,
        etherscan_url: str,
        etherscan_api_key: str = "",
        token_contract: str | None = None,
        token_decimals: int | None = None,
        chain_id: int | None = None,
        rpc_http: HttpClient | None = None,
        etherscan_http: HttpClient | None = None,
    ):
        self.token_contract = _check_contract(token_contract) if token_contract else None
        self.token_decimals = token_decimals
        self.asset = self.token_contract or "ETH"
        if chain_id is None and "/v2" in urlsplit(etherscan_url).path:
            chain_id = 1
        self.rpc = JsonRpcClient(
            rpc_http
            or HttpClient(
                "ethereum-rpc",
                base_url=rpc_url,
                rate_limit=RPC_RATE_LIMIT,
                secrets=_url_secrets(rpc_url),
            )
        )
        self.etherscan = EtherscanClient(
            etherscan_http
            or HttpClient(
                "etherscan",
                base_url=etherscan_url,
                params={"apikey": etherscan_api_key} if etherscan_api_key else None,
                rate_limit=ETHERSCAN_RATE_LIMIT
                if etherscan_api_key
                else ETHERSCAN_KEYLESS_RATE_LIMIT,
            ),
            chain_id=chain_id,
        )

    def _decimals(self) -> int:
        if self.token_decimals is None:
            self.token_decimals = hex_int(
                self.rpc.call(
                    "eth_call", [{"to": self.token_contract, "data": DECIMALS}, "latest"]
                ),
                "decimals()",
            )
        return self.token_decimals

    def balances(self, address: str) -> list[AddressBalance]:
        """Balance at the latest block; received/sent/tx_count are not known here (None)."""
        me = _check_address(address)
        if self.token_contract is None:
            wei = hex_int(self.rpc.call("eth_getBalance", [me, "latest"]), "eth_getBalance")
            amount = Decimal(wei) / WEI_PER_ETHER
        else:
            data = BALANCE_OF + me[2:].rjust(64, "0")
            raw = hex_int(
                self.rpc.call("eth_call", [{"to": self.token_contract, "data": data}, "latest"]),
                "balanceOf()",
            )
            amount = Decimal(raw) / Decimal(10) ** self._decimals()
        return [
            AddressBalance(
                address=address,
                asset=self.asset,
                balance=amount,
                received=None,
                sent=None,
                tx_count=None,
                source="ethereum-rpc",
            )
        ]

    def transactions(
        self, address: str, *, since_cursor: str | None = None, max_pages: int | None = None
    ) -> TransactionPage:
        """Oldest first. Cursor: the last block number seen; the next call re-reads that block
        (its rows come back, same keys) and everything after it. Only mined transactions:
        Etherscan lists no pending ones. Ether history is ``txlist`` (what the address sent
        and was sent, gas) plus ``txlistinternal`` (ether moved by contracts, e.g. a payout
        or a refund); ``max_pages`` applies to each list."""
        me = _check_address(address)
        if self.token_contract is None:
            return self._ether_history(me, since_cursor, max_pages)
        start = int(since_cursor) if since_cursor else 0
        rows, last_block, complete = self.etherscan.rows(
            "tokentx", me, startblock=start, contract=self.token_contract, max_pages=max_pages
        )
        found = [self._token(key, row, me) for key, row in rows]
        cursor = str(last_block) if last_block is not None else since_cursor
        return TransactionPage(found, cursor=cursor, complete=complete)

    def _ether_history(
        self, me: str, since_cursor: str | None, max_pages: int | None
    ) -> TransactionPage:
        """Both lists from one start block. Complete, the next start is the last block either
        list showed. Stopped early, it is the lowest block where a list stopped, and rows from
        that block on are left for the next call, which reads them whole from both lists (an
        internal row is only checked against the normal tx of its hash when both were read)."""
        start = _ether_cursor(since_cursor)
        normal, normal_last, normal_done = self.etherscan.rows(
            "txlist", me, startblock=start, max_pages=max_pages
        )
        internal, internal_last, internal_done = self.etherscan.rows(
            INTERNAL, me, startblock=start, max_pages=max_pages
        )
        by_hash = {row["hash"]: row for _, row in normal}
        found = [(int(row["blockNumber"]), 0, self._ether(row, me)) for _, row in normal]
        for key, row in internal:
            delta = internal_effect(row, me)
            if delta == 0 or _echoes(row, by_hash.get(row["hash"])):
                continue  # moved nothing here, or counted on the txlist row already
            found.append((int(row["blockNumber"]), 1, self._internal(key, row, delta)))
        found.sort(key=lambda item: item[:2])  # stable: each list keeps its own order
        stops = [
            block
            for block, done in ((normal_last, normal_done), (internal_last, internal_done))
            if not done and block is not None
        ]
        if stops:
            resume = min(stops)
            rows = [t for block, _, t in found if block < resume]
            return TransactionPage(rows, cursor=f"{resume}{INTERNAL_CURSOR_SUFFIX}", complete=False)
        seen = [b for b in (normal_last, internal_last) if b is not None]
        cursor = f"{max(seen) if seen else start}{INTERNAL_CURSOR_SUFFIX}"
        return TransactionPage([t for _, _, t in found], cursor=cursor, complete=True)

    def _ether(self, row: Mapping[str, Any], me: str) -> ChainTransaction:
        delta, fee = ether_effect(row, me)
        return ChainTransaction(
            txid=row["hash"],
            asset="ETH",
            delta=Decimal(delta) / WEI_PER_ETHER,
            fee=Decimal(fee) / WEI_PER_ETHER,
            occurred_at=_when(row),
            confirmed=True,
            block_height=int(row["blockNumber"]),
            source=self.source,
        )

    def _internal(self, key: str, row: Mapping[str, Any], delta: int) -> ChainTransaction:
        return ChainTransaction(
            txid=row["hash"],
            asset="ETH",
            delta=Decimal(delta) / WEI_PER_ETHER,
            fee=Decimal(0),
            occurred_at=_when(row),
            confirmed=True,
            block_height=int(row["blockNumber"]),
            source=self.source,
            row_key=key,
        )

    def _token(self, key: str, row: Mapping[str, Any], me: str) -> ChainTransaction:
        decimals = self.token_decimals
        if decimals is None:
            decimals = int(row["tokenDecimal"])
        value = Decimal(int(row["value"])) / Decimal(10) ** decimals
        delta = Decimal(0)
        if str(row["to"]).lower() == me:
            delta += value
        if str(row["from"]).lower() == me:
            delta -= value
        return ChainTransaction(
            txid=row["hash"],
            asset=str(row["contractAddress"]).lower(),
            delta=delta,
            fee=Decimal(0),
            occurred_at=_when(row),
            confirmed=True,
            block_height=int(row["blockNumber"]),
            source=self.source,
            row_key=key,
        )
