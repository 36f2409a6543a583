"""A client for Etherscan-compatible account APIs (Etherscan, Blockscout, Routescan).

API docs: https://docs.etherscan.io/api-reference/endpoint/txlist
          https://docs.etherscan.io/api-reference/endpoint/tokentx
          https://docs.etherscan.io/api-reference/endpoint/txlistinternal
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.exceptions import AddressRejected, ProviderError
from core.http import HttpClient, RetryLater

# Etherscan's result window: page * offset <= 10000.
ETHERSCAN_OFFSET = 1000
ETHERSCAN_WINDOW = 10_000
INTERNAL = "txlistinternal"


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
