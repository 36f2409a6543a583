"""Bitcoin and Litecoin addresses through an Esplora HTTP API (Blockstream, mempool.space,
litecoinspace.org).

API docs: https://github.com/Blockstream/esplora/blob/master/API.md
          https://mempool.space/docs/api/rest (section "Addresses")

Amounts are integer satoshis (litoshis): divided by 10**8 exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from addresses.explorers.base import AddressBalance, ChainTransaction, TransactionPage
from core.exceptions import AddressRejected, ProviderError
from core.http import HttpClient, ProviderHTTPError

SATOSHIS_PER_COIN = Decimal(10) ** 8
# electrs CHAIN_TXS_PER_PAGE: /txs/chain pages hold 25; a shorter page is the last.
PAGE_SIZE = 25
ESPLORA_RATE_LIMIT = (5, 1.0)
_BECH32_PREFIXES = ("bc1", "tb1", "bcrt1", "ltc1", "tltc1", "rltc1")


def _same_address(address: str) -> str:
    """Bech32 addresses are case-insensitive (explorers answer in lower case); base58 ones
    are not."""
    lowered = address.lower()
    return lowered if lowered.startswith(_BECH32_PREFIXES) else address


def _coins(satoshis: Any) -> Decimal:
    return Decimal(satoshis) / SATOSHIS_PER_COIN


def tx_effect(tx: dict[str, Any], address: str) -> tuple[int, int]:
    """``(delta, fee)`` in satoshis of one Esplora tx for ``address``: outputs paying it minus
    inputs it funded (change nets out; a self-transfer leaves only the fee). The fee is the
    address's only when it funded every input: with co-signers or coinjoins we cannot know
    who paid it, so 0."""
    me = _same_address(address)

    def mine(txo: dict[str, Any] | None) -> bool:
        if not txo:
            return False
        return _same_address(str(txo.get("scriptpubkey_address", ""))) == me

    received = sum(int(out["value"]) for out in tx.get("vout", []) if mine(out))
    prevouts = [vin.get("prevout") for vin in tx.get("vin", [])]
    sent = sum(int(p["value"]) for p in prevouts if p is not None and mine(p))
    funded_all = bool(prevouts) and all(mine(p) for p in prevouts)
    fee = int(tx.get("fee") or 0) if funded_all else 0
    return received - sent, fee


class EsploraExplorer:
    """One chain's Esplora instance. ``asset`` is the coin code (BTC, LTC)."""

    def __init__(
        self,
        *,
        base_url: str,
        asset: str = "BTC",
        source: str = "esplora-btc",
        http: HttpClient | None = None,
        rate_limit: tuple[int, float] = ESPLORA_RATE_LIMIT,
    ):
        self.asset = asset
        self.source = source
        self.http = http or HttpClient(source, base_url=base_url, rate_limit=rate_limit)

    @classmethod
    def bitcoin(cls, *, base_url: str, **kwargs: Any) -> EsploraExplorer:
        return cls(base_url=base_url, asset="BTC", source="esplora-btc", **kwargs)

    @classmethod
    def litecoin(cls, *, base_url: str, **kwargs: Any) -> EsploraExplorer:
        return cls(base_url=base_url, asset="LTC", source="esplora-ltc", **kwargs)

    def _get(self, address: str, path: str) -> Any:
        try:
            return self.http.get_json(f"address/{quote(address, safe='')}{path}")
        except ProviderHTTPError as exc:
            # Only 400 means the address: a 404 is as likely a base URL missing its /api.
            if exc.status == 400:
                raise AddressRejected(
                    f"the {self.source} explorer rejected the address {address!r}: "
                    f"{exc.detail or f'HTTP {exc.status}'}"
                )
            raise

    def balances(self, address: str) -> list[AddressBalance]:
        """Confirmed balance = chain funded − spent; ``pending`` = the same over the mempool."""
        data = self._get(address, "")
        chain = data.get("chain_stats") or {}
        mempool = data.get("mempool_stats") or {}
        if "funded_txo_sum" not in chain:
            raise ProviderError(
                f"{self.source}: the explorer gives no amounts for {address!r} (Liquid/Elements?)",
                retryable=False,
            )
        funded, spent = int(chain["funded_txo_sum"]), int(chain["spent_txo_sum"])
        pending = int(mempool.get("funded_txo_sum", 0)) - int(mempool.get("spent_txo_sum", 0))
        return [
            AddressBalance(
                address=address,
                asset=self.asset,
                balance=_coins(funded - spent),
                received=_coins(funded),
                sent=_coins(spent),
                tx_count=int(chain.get("tx_count", 0)),
                source=self.source,
                pending=_coins(pending),
            )
        ]

    def _transaction(self, tx: dict[str, Any], address: str) -> ChainTransaction:
        delta, fee = tx_effect(tx, address)
        status = tx.get("status") or {}
        confirmed = bool(status.get("confirmed"))
        block_time = status.get("block_time")
        return ChainTransaction(
            txid=tx["txid"],
            asset=self.asset,
            delta=_coins(delta),
            fee=_coins(fee),
            occurred_at=(
                datetime.fromtimestamp(int(block_time), UTC) if confirmed and block_time else None
            ),
            confirmed=confirmed,
            block_height=int(status["block_height"]) if confirmed else None,
            source=self.source,
        )

    def transactions(
        self, address: str, *, since_cursor: str | None = None, max_pages: int | None = None
    ) -> TransactionPage:
        """Newest first: first ``/txs`` (mempool + newest 25 confirmed), then
        ``/txs/chain/LAST_TXID`` until a page is short or the cursor's txid is reached.

        Cursor: the newest confirmed txid seen (``complete``). When ``max_pages`` stops early,
        ``"<newest>:<last read>:<old cursor>"`` to resume the walk down. Unconfirmed
        transactions are returned on every call until they confirm (they are above the cursor).
        """
        head, resume, known = _parse_cursor(since_cursor)
        found: list[ChainTransaction] = []
        seen: set[str] = set()
        pages = 0
        page: list[dict[str, Any]] | None = None
        if resume is None:
            first = self._get(address, "/txs")
            pages = 1
            confirmed = [t for t in first if (t.get("status") or {}).get("confirmed")]
            found += [
                self._transaction(t, address)
                for t in first
                if not (t.get("status") or {}).get("confirmed")
            ]
            head = confirmed[0]["txid"] if confirmed else known
            page = confirmed
        last = resume
        while True:
            if page is not None:
                fresh = [t for t in page if t["txid"] not in seen]
                if page and not fresh:
                    raise ProviderError(
                        f"{self.source}: the explorer returned the same page twice for "
                        f"{address!r}; does it support /txs/chain/:last_seen_txid?",
                        retryable=False,
                    )
                for tx in page:
                    if tx["txid"] == known:
                        return TransactionPage(found, cursor=head, complete=True)
                    seen.add(tx["txid"])
                    found.append(self._transaction(tx, address))
                if len(page) < PAGE_SIZE:
                    return TransactionPage(found, cursor=head, complete=True)
                last = page[-1]["txid"]
            if max_pages is not None and pages >= max_pages:
                return TransactionPage(found, cursor=f"{head}:{last}:{known or ''}", complete=False)
            page = self._get(address, f"/txs/chain/{last}")
            pages += 1


def _parse_cursor(cursor: str | None) -> tuple[str | None, str | None, str | None]:
    """``(newest seen, resume after, stop at)``."""
    if not cursor:
        return None, None, None
    parts = cursor.split(":")
    if len(parts) == 1:
        return parts[0], None, parts[0]
    if len(parts) == 3:
        return parts[0] or None, parts[1] or None, parts[2] or None
    raise ValueError(f"not an Esplora cursor: {cursor!r}")
