"""Ethereum addresses: balances from a JSON-RPC node, history from an Etherscan-compatible API.

API docs: https://ethereum.org/en/developers/docs/apis/json-rpc/ (eth_getBalance, eth_call)
          https://docs.etherscan.io/api-reference/endpoint/txlist
          https://docs.etherscan.io/api-reference/endpoint/tokentx
          https://docs.etherscan.io/api-reference/endpoint/txlistinternal
          (Blockscout and Routescan serve the same module/action shape.)

One explorer follows one asset: ether (``token_contract=None``: ``eth_getBalance``, ``txlist``
and ``txlistinternal``, the ether contracts moved), or one ERC-20 token (``balanceOf`` through ``eth_call`` and ``tokentx`` filtered by
the contract). A token's ``asset`` is its contract address in lower case; the caller maps it to
a currency. Amounts: wei / 10**18, token units / 10**decimals, exact.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from addresses.explorers.base import AddressBalance, ChainTransaction, TransactionPage
from core.exceptions import AddressRejected, ProviderError
from core.http import HttpClient, RetryLater

WEI_PER_ETHER = Decimal(10) ** 18
ETHERSCAN_RATE_LIMIT = (5, 1.0)
ETHERSCAN_KEYLESS_RATE_LIMIT = (1, 5.0)
RPC_RATE_LIMIT = (10, 1.0)
# Etherscan's result window: page * offset <= 10000.
ETHERSCAN_OFFSET = 1000
ETHERSCAN_WINDOW = 10_000
INTERNAL = "txlistinternal"
# A cursor of ether history that read internal transactions too: "<block>+internal". A plain
# "<block>" was written before they were read; the history is read again from block 0 then.
INTERNAL_CURSOR_SUFFIX = "+internal"
BALANCE_OF = "0x70a08231"
DECIMALS = "0x313ce567"
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
# JSON-RPC codes worth retrying: limit exceeded, internal error, and the -32000 family
# ("header not found" from a load-balanced node that is a block behind).
_RPC_RETRYABLE = {-32005, -32603, -32000}


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


def _hex_int(value: Any, what: str) -> int:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) < 3:
        raise ProviderError(
            f"ethereum-rpc: {what} returned {value!r}, not a number", retryable=False
        )
    return int(value, 16)


class JsonRpcClient:
    def __init__(self, http: HttpClient):
        self.http = http
        self._id = 0

    def call(self, method: str, params: list[Any]) -> Any:
        self._id += 1
        answer = self.http.post_json(
            json_body={"jsonrpc": "2.0", "id": self._id, "method": method, "params": params},
            validate=self._validate,
        )
        return answer["result"]

    @staticmethod
    def _validate(answer: Any) -> None:
        if not isinstance(answer, Mapping):
            raise ProviderError("ethereum-rpc: the answer is not a JSON object", retryable=False)
        error = answer.get("error")
        if error is not None:
            code = error.get("code") if isinstance(error, Mapping) else None
            message = error.get("message", error) if isinstance(error, Mapping) else error
            if code in _RPC_RETRYABLE or "rate" in str(message).lower():
                raise RetryLater(f"JSON-RPC error {code}: {message}")
            raise ProviderError(f"ethereum-rpc: JSON-RPC error {code}: {message}", retryable=False)
        if "result" not in answer:
            raise ProviderError(
                "ethereum-rpc: the answer has neither result nor error", retryable=False
            )


class EtherscanClient:
    """``txlist``/``txlistinternal``/``tokentx`` rows, all pages, oldest first (``sort=asc``)."""

    def __init__(
        self, http: HttpClient, *, chain_id: int | None = 1, offset: int = ETHERSCAN_OFFSET
    ):
        self.http = http
        self.chain_id = chain_id
        self.offset = offset

    @staticmethod
    def _validate(envelope: Any) -> None:
        if not isinstance(envelope, Mapping) or "result" not in envelope:
            raise ProviderError("etherscan: the answer is not an API envelope", retryable=False)
        result = envelope["result"]
        if str(envelope.get("status")) == "1" or isinstance(result, list):
            return  # status "0" with a list is "No transactions found": an empty page
        text = str(result or envelope.get("message", ""))
        lowered = text.lower()
        if "invalid address" in lowered:
            raise AddressRejected(f"etherscan rejected the address: {text}")
        if "daily" in lowered and "limit" in lowered:
            raise ProviderError(f"etherscan: {text}", retryable=True, retry_after=3600)
        if "rate limit" in lowered or "timeout" in lowered or "busy" in lowered:
            raise RetryLater(f"etherscan: {text}", retry_after=1.0)
        raise ProviderError(f"etherscan: {text}", retryable=False)

    def _page(
        self, action: str, address: str, startblock: int, page: int, contract: str | None
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {
            "module": "account",
            "action": action,
            "address": address,
            "startblock": startblock,
            "page": page,
            "offset": self.offset,
            "sort": "asc",
        }
        if self.chain_id is not None:
            params["chainid"] = self.chain_id
        if contract:
            params["contractaddress"] = contract
        return list(self.http.get_json(params=params, validate=self._validate)["result"])

    def rows(
        self,
        action: str,
        address: str,
        *,
        startblock: int = 0,
        contract: str | None = None,
        max_pages: int | None = None,
    ) -> tuple[list[tuple[str, dict[str, Any]]], int | None, bool]:
        """``([(row_key, row)], block to continue from, complete)``.

        A full page means there may be more: query again from the last block seen (inclusive,
        so a block cut by the page edge is read whole again) and drop rows already returned.
        When a single block fills the page, turn pages instead. ``row_key`` is ``log<N>`` when
        the API gives ``logIndex``, else the row's position among the rows of its hash in the
        query's (stable, ascending) order; "" for txlist, where a hash has one row;
        ``internal:<traceId>`` for txlistinternal (``index`` on Blockscout), as one hash may
        hold several internal transactions.
        """
        out: list[tuple[str, dict[str, Any]]] = []
        seen: set[tuple[str, str]] = set()
        start, page, pages = startblock, 1, 0
        per_hash: dict[str, int] = {}
        last_block: int | None = None
        while True:
            if max_pages is not None and pages >= max_pages:
                return out, start, False
            batch = self._page(action, address, start, page, contract)
            pages += 1
            for row in batch:
                key = self._row_key(action, row, per_hash)
                if (row["hash"], key) not in seen:
                    seen.add((row["hash"], key))
                    out.append((key, row))
                last_block = int(row["blockNumber"])
            if len(batch) < self.offset or last_block is None:
                return out, last_block, True
            if last_block > start:
                start, page, per_hash = last_block, 1, {}
            elif (page + 1) * self.offset <= ETHERSCAN_WINDOW:
                page += 1
            else:
                raise ProviderError(
                    f"etherscan: block {start} holds more than {ETHERSCAN_WINDOW} {action} rows "
                    f"for {address}; cannot page further",
                    retryable=False,
                )

    @staticmethod
    def _row_key(action: str, row: Mapping[str, Any], per_hash: dict[str, int]) -> str:
        if action == "txlist":
            return ""
        if action == INTERNAL:
            # The prefix keeps the key apart from the normal tx of the same hash (key = hash)
            # and from its ledger fee row (hash:fee).
            for field in ("traceId", "index"):
                if row.get(field) not in (None, ""):
                    return f"internal:{row[field]}"
            position = per_hash.get(row["hash"], 0)
            per_hash[row["hash"]] = position + 1
            return f"internal:#{position}"
        if row.get("logIndex") not in (None, ""):
            return f"log{int(row['logIndex'])}"
        position = per_hash.get(row["hash"], 0)
        per_hash[row["hash"]] = position + 1
        return str(position)


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
            self.token_decimals = _hex_int(
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
            wei = _hex_int(self.rpc.call("eth_getBalance", [me, "latest"]), "eth_getBalance")
            amount = Decimal(wei) / WEI_PER_ETHER
        else:
            data = BALANCE_OF + me[2:].rjust(64, "0")
            raw = _hex_int(
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
