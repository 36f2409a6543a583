"""The one adapter over ccxt's unified API: every exchange ccxt supports, by its ccxt id.

- ``exchange_client`` builds the ccxt client with the account's credentials, ccxt's own rate
  limiting on (``enableRateLimit``), the project's shared per-provider limit taken before every
  HTTP request (``core.ratelimit``, provider ``exchange-<id>``, shared by every worker), and the
  base URL from ``EXCHANGE_URLS`` when one is set for the exchange (its host replaces the host of
  every URL in ccxt's ``urls["api"]``, each path kept).
- ``ExchangeAdapter`` answers the unified calls the sync needs, and turns ccxt's exceptions into
  ours: ``AuthenticationError`` / ``PermissionDenied`` / ``AccountSuspended`` are permanent
  (``AccountRejected``: the account turns invalid and is not retried until it is edited);
  ``NetworkError`` (``RateLimitExceeded``, ``DDoSProtection``, timeouts, exchange down) is
  retryable with backoff; anything else ccxt raises is a non-retryable ``ProviderError``.
  Messages are redacted: no credential value, signature or auth header reaches an error text.
- ``wallets`` lists what can be connected, from ccxt's own metadata.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import ccxt
from django.conf import settings

from core.exceptions import ProviderError
from core.http import redact
from core.ratelimit import RateLimiter, default_rate_limiter

# ccxt's credential names, in the order a form asks for them.
CREDENTIAL_NAMES = (
    "apiKey",
    "secret",
    "uid",
    "login",
    "password",
    "twofa",
    "privateKey",
    "walletAddress",
    "token",
    "accountId",
)
# The unified calls, by the name the API uses in ``has``.
HAS = {
    "balances": "fetchBalance",
    "trades": "fetchMyTrades",
    "deposits": "fetchDeposits",
    "withdrawals": "fetchWithdrawals",
    "ledger": "fetchLedger",
}
HISTORY_KINDS = ("trades", "deposits", "withdrawals", "ledger")
# Exchanges whose fetchMyTrades needs a market: trades are read per market the account holds.
SYMBOL_REQUIRED = frozenset({"binance", "binanceus"})
# Exchanges that answer some history in time windows (ms) from ``since``, and when their
# history starts (the first window of a first sync).
_DAY_MS = 86_400_000
HISTORY_WINDOWS = {
    "binance": {"deposits": 90 * _DAY_MS, "withdrawals": 90 * _DAY_MS},
    "binanceus": {"deposits": 90 * _DAY_MS, "withdrawals": 90 * _DAY_MS},
}
HISTORY_START = {"binance": 1_498_867_200_000, "binanceus": 1_567_296_000_000}  # 2017-07, 2019-09
WALLET_LEDGER = frozenset({"coinbase"})
# Exchanges that answer history newest first after ``since``, paged by an offset.
OFFSET_PAGED = frozenset({"kraken"})
# Exchanges whose history calls need a currency (Coinbase keeps one account per currency).
CODE_REQUIRED = {"coinbase": frozenset({"deposits", "withdrawals", "ledger"})}
_SIGNATURE = re.compile(r"(?i)\b(signature|sign|api[-_]?sign|cb-access-sign)=[^&\s\"']+")


class AccountRejected(ProviderError):
    """The exchange refuses the credentials (bad key, missing permission, account suspended):
    the account turns invalid and is not fetched again until the user edits it."""

    def __init__(self, message: str):
        super().__init__(message, retryable=False)


class KindNotSupported(ProviderError):
    """The exchange says ``has`` but refuses the call for this kind of account (Binance US's
    ledger is for contract wallets only): the kind is skipped."""

    def __init__(self, message: str):
        super().__init__(message, retryable=False)


@dataclass(frozen=True)
class WalletInfo:
    code: str
    title: str
    credentials: tuple[str, ...]
    has: dict[str, bool]


@lru_cache(maxsize=1)
def wallets() -> tuple[WalletInfo, ...]:
    """Every exchange ccxt knows whose balance can be read: code, title, the credentials it
    needs and which unified calls it has. Sorted by code."""
    found = []
    for code in ccxt.exchanges:
        info = wallet_info(code)
        if info is not None and info.has["balances"]:
            found.append(info)
    return tuple(found)


@lru_cache(maxsize=512)
def wallet_info(code: str) -> WalletInfo | None:
    if code not in ccxt.exchanges:
        return None
    client = getattr(ccxt, code)()
    credentials = tuple(name for name in CREDENTIAL_NAMES if client.requiredCredentials.get(name))
    return WalletInfo(
        code=code,
        title=str(client.name),
        credentials=credentials,
        has={key: bool(client.has.get(call)) for key, call in HAS.items()},
    )


def replace_host(url: str, base: str) -> str:
    """``https://api.kraken.com/0/private`` with base ``http://127.0.0.1:9000`` →
    ``http://127.0.0.1:9000/0/private`` (a path in the base is put in front)."""
    parts = urlsplit(url)
    tail = parts.path + (f"?{parts.query}" if parts.query else "")
    return base.rstrip("/") + tail


def _override_urls(value: Any, base: str) -> Any:
    if isinstance(value, str):
        return replace_host(value, base) if value.startswith(("http://", "https://")) else value
    if isinstance(value, Mapping):
        return {key: _override_urls(v, base) for key, v in value.items()}
    return value


def exchange_urls() -> dict[str, str]:
    return dict(getattr(settings, "EXCHANGE_URLS", {}) or {})


def shared_limit(client: Any) -> tuple[int, float]:
    """The shared budget of an exchange across all workers: what ccxt's ``rateLimit`` (the
    milliseconds between two requests of one client) allows, per minute."""
    overrides = getattr(settings, "EXCHANGE_RATE_LIMITS", {}) or {}
    if client.id in overrides:
        limit, per = overrides[client.id]
        return int(limit), float(per)
    per_minute = max(1, int(60_000 / max(float(client.rateLimit or 1000), 1.0)))
    return per_minute, 60.0


def exchange_client(
    code: str, credentials: Mapping[str, str], *, limiter: RateLimiter | None = None
) -> Any:
    """A ccxt client of exchange ``code`` with ``credentials`` (ccxt's names), pointed at
    ``EXCHANGE_URLS[code]`` when set, rate-limited by ccxt and by the shared limiter."""
    if code not in ccxt.exchanges:
        raise ProviderError(f"unknown exchange '{code}'", retryable=False)
    config: dict[str, Any] = {
        "enableRateLimit": True,
        "timeout": int(float(getattr(settings, "HTTP_TIMEOUT_SECONDS", 20.0)) * 1000),
        "userAgent": getattr(settings, "HTTP_USER_AGENT", None),
    }
    config.update({k: v for k, v in credentials.items() if v})
    throttle_ms = (getattr(settings, "EXCHANGE_CCXT_RATE_LIMIT_MS", {}) or {}).get(code)
    if throttle_ms is not None:
        config["rateLimit"] = float(throttle_ms)
    client = getattr(ccxt, code)(config)
    base = exchange_urls().get(code)
    if base:
        client.urls = dict(client.urls)
        client.urls["api"] = _override_urls(client.urls["api"], base)
    limit, per = shared_limit(client)
    limiter = limiter or default_rate_limiter(f"exchange-{code}", limit, per)
    counter = {"requests": 0}
    fetch = client.fetch

    def limited_fetch(url, method="GET", headers=None, body=None):
        limiter.acquire()
        counter["requests"] += 1
        return fetch(url, method, headers, body)

    client.fetch = limited_fetch
    client.tracker_requests = counter
    return client


class ExchangeAdapter:
    """The unified calls of one account's exchange, errors turned into ours."""

    def __init__(self, code: str, credentials: Mapping[str, str], *, client: Any = None):
        self.code = code
        self._secrets = [str(v) for v in credentials.values() if v]
        self.client = client or exchange_client(code, credentials)
        self.info = wallet_info(code)
        self.reached: int | None = None

    @property
    def requests(self) -> int:
        return int(getattr(self.client, "tracker_requests", {}).get("requests", 0))

    def has(self, kind: str) -> bool:
        return bool(self.client.has.get(HAS[kind]))

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (ccxt.AuthenticationError, ccxt.PermissionDenied, ccxt.AccountSuspended) as exc:
            raise AccountRejected(self._words(exc)) from None
        except ccxt.NotSupported as exc:
            raise KindNotSupported(self._words(exc)) from None
        except ccxt.NetworkError as exc:  # RateLimitExceeded, DDoSProtection, timeouts, down
            retry_after = _retry_after(self.client)
            raise ProviderError(self._words(exc), retryable=True, retry_after=retry_after) from None
        except ccxt.BaseError as exc:
            raise ProviderError(self._words(exc), retryable=False) from None

    def _words(self, exc: Exception) -> str:
        text = f"{type(exc).__name__}: {exc}"
        text = _SIGNATURE.sub(lambda m: f"{m.group(1)}=***", redact(text, self._secrets))
        return text[:1000]

    def balances(self) -> dict[str, dict[str, Any]]:
        """code -> {"total", "free", "used"} as strings (ccxt's numbers as it parsed them)."""
        raw = self.call(self.client.fetch_balance)
        totals = raw.get("total") or {}
        return {
            code: {
                "total": totals.get(code),
                "free": (raw.get("free") or {}).get(code),
                "used": (raw.get("used") or {}).get(code),
            }
            for code in totals
        }

    def key_warning(self) -> str:
        """Where the exchange reports a key's permissions: a sentence when the key can trade or
        withdraw, else "". Best effort: an exchange that does not answer is no warning."""
        words = "this key can move funds: create a read-only one"
        try:
            if self.code == "coinbase":
                perms = self.client.v3PrivateGetBrokerageKeyPermissions()
                if perms.get("can_trade") or perms.get("can_transfer"):
                    return words
            elif self.code in ("binance", "binanceus"):
                perms = self.client.sapiGetAccountApiRestrictions()
                if perms.get("enableSpotAndMarginTrading") or perms.get("enableWithdrawals"):
                    return words
        except (ccxt.AuthenticationError, ccxt.PermissionDenied) as exc:
            raise AccountRejected(self._words(exc)) from None
        except ccxt.BaseError:
            return ""
        return ""

    def trades_need_symbol(self) -> bool:
        """Whether the exchange answers ``fetchMyTrades`` per market only (Binance)."""
        return self.code in SYMBOL_REQUIRED

    def wallet_ledger(self) -> bool:
        """Whether the exchange's ledger is its retail wallet history, holding crypto sends
        and simple buys no other call reports (Coinbase: its deposits are fiat only)."""
        return self.code in WALLET_LEDGER

    def newest_first(self) -> bool:
        """Whether history pages come newest first (Kraken's ``ofs`` paging)."""
        return self.code in OFFSET_PAGED

    def kind_needs_currency(self, kind: str) -> bool:
        """Whether the exchange answers ``kind`` per currency only (Coinbase)."""
        return kind in CODE_REQUIRED.get(self.code, frozenset())

    def symbols_between(self, bases: set[str], quotes: set[str]) -> list[str]:
        """The spot markets trading a currency of ``bases`` against one of ``quotes``
        (lower-case codes), sorted."""
        markets = self.call(self.client.load_markets)
        return sorted(
            symbol
            for symbol, market in markets.items()
            if market.get("spot", True)
            and str(market.get("base") or "").lower() in bases
            and str(market.get("quote") or "").lower() in quotes
        )

    def history(
        self,
        kind: str,
        since: int | None,
        *,
        scope: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of ``kind`` (trades, deposits, withdrawals, ledger) from ``since`` (exchange
        time in ms, None: from the start), oldest pages first where the exchange allows it.
        Each page is a list of ccxt's unified structures; the caller stores it before the next
        is fetched, so memory holds one page. ``scope`` is the market (trades) or the currency
        code (other kinds) of exchanges that answer per market or currency only."""
        if kind == "trades":
            fn = self.client.fetch_my_trades
        elif kind == "deposits":
            fn = self.client.fetch_deposits
        elif kind == "withdrawals":
            fn = self.client.fetch_withdrawals
        else:
            fn = self.client.fetch_ledger
        limit = page_size or _page_size(self.code, kind)
        self.reached = None
        if self.code in OFFSET_PAGED:
            yield from self._offset_pages(fn, since, limit)
            return
        yield from self._forward_pages(fn, scope, since, limit, kind)

    def _forward_pages(self, fn, scope, since, limit, kind) -> Iterator[list[dict[str, Any]]]:
        """``since`` moves to the newest time of each page (inclusive: rows of the same
        millisecond on both sides of a page boundary come twice and are stored once); a short
        page ends the walk, unless the exchange answers in time windows (Binance: 90 days of
        deposits a call), which are walked up to now. ``self.reached`` is then where the walk
        got to, so that a later sync starts there even when no row was found."""
        window = HISTORY_WINDOWS.get(self.code, {}).get(kind)
        if since is None:
            since = HISTORY_START.get(self.code, 0)
        now = self.client.milliseconds()
        self.reached = None
        while True:
            page = self.call(fn, scope, since, limit)
            newest = None
            if page:
                page = sorted(page, key=lambda r: (r.get("timestamp") or 0, str(r.get("id"))))
                yield page
                newest = page[-1].get("timestamp")
            if page and len(page) >= limit and newest is not None and newest > since:
                since = newest
                continue
            if window and since + window < now:
                since += window
                self.reached = since
                continue
            return

    def _offset_pages(self, fn, since, limit) -> Iterator[list[dict[str, Any]]]:
        """Kraken answers newest first after ``start`` in pages of 50: walk ``ofs``."""
        offset = 0
        while True:
            page = self.call(fn, None, since, None, {"ofs": offset})
            if not page:
                return
            yield page
            offset += len(page)
            if len(page) < limit:
                return


def _page_size(code: str, kind: str) -> int:
    if code == "kraken":
        return 50
    if code in ("binance", "binanceus"):
        return 1000 if kind == "trades" else 1000
    if code == "coinbase":
        return 100
    return 100


def _retry_after(client: Any) -> float | None:
    headers = getattr(client, "last_response_headers", None) or {}
    value = None
    for key, v in dict(headers).items():
        if str(key).lower() == "retry-after":
            value = v
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
