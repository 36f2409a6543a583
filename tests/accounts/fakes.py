"""Exchanges answered by ``responses``, shaped like each exchange's real API (the JSON of its
documentation and of ccxt's own comments on each endpoint), behind ccxt's real client code.
``EXCHANGE_URLS`` points each exchange at ``http://<id>.test``, so every request proves the base
URL override too. Each fake counts its requests and can be told to fail:
``fail_with = "auth" | "429" | "network"`` for the next ``fail_times`` private requests."""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

API_KEY = "AKtest-kraken-key-1234567890"
# Kraken and Binance secrets: base64 (Kraken decodes it), long and recognisable in any text.
SECRET = "c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1uZXZlci1sZWFrLTAxMjM0NTY3ODk="
TS = 1_700_000_000  # 2023-11-14T22:13:20Z


class FakeExchange:
    code = ""

    def __init__(self, mock: responses.RequestsMock):
        self.mock = mock
        self.requests: list[str] = []
        self.fail_with = ""
        self.fail_times = 0
        self.base = f"http://{self.code}.test"
        mock.add_callback(responses.GET, re.compile(re.escape(self.base) + r"/.*"), self._answer)
        mock.add_callback(responses.POST, re.compile(re.escape(self.base) + r"/.*"), self._answer)

    def _answer(self, request) -> tuple[int, dict, str]:
        parts = urlsplit(request.url)
        self.requests.append(parts.path)
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if request.body:
            body = request.body.decode() if isinstance(request.body, bytes) else request.body
            params.update({k: v[-1] for k, v in parse_qs(body).items()})
        if self.fail_times and self.private(parts.path):
            self.fail_times -= 1
            if self.fail_with == "network":
                raise requests.ConnectionError("connection refused by the fake")
            if self.fail_with == "429":
                return 429, {"Retry-After": "7"}, json.dumps(self.rate_limited())
            if self.fail_with == "auth":
                return self.auth_failure()
        status, payload = self.route(request.method, parts.path, params, request)
        return status, {"Content-Type": "application/json"}, json.dumps(payload)

    def private(self, path: str) -> bool:
        raise NotImplementedError

    def auth_failure(self) -> tuple[int, dict, str]:
        raise NotImplementedError

    def rate_limited(self) -> Any:
        raise NotImplementedError

    def route(self, method: str, path: str, params: dict, request) -> tuple[int, Any]:
        raise NotImplementedError


# --- Kraken ------------------------------------------------------------------------------------


def _kraken_asset(altname: str, decimals: int = 10) -> dict:
    return {
        "aclass": "currency",
        "altname": altname,
        "decimals": decimals,
        "display_decimals": 5,
        "status": "enabled",
    }


def _kraken_pair(altname: str, wsname: str, base: str, quote: str) -> dict:
    return {
        "altname": altname,
        "wsname": wsname,
        "aclass_base": "currency",
        "base": base,
        "aclass_quote": "currency",
        "quote": quote,
        "lot": "unit",
        "cost_decimals": 5,
        "pair_decimals": 1,
        "lot_decimals": 8,
        "lot_multiplier": 1,
        "leverage_buy": [],
        "leverage_sell": [],
        "fees": [[0, 0.26], [50000, 0.24]],
        "fees_maker": [[0, 0.16], [50000, 0.14]],
        "fee_volume_currency": "ZUSD",
        "margin_call": 80,
        "margin_stop": 40,
        "ordermin": "0.0001",
        "costmin": "0.5",
        "tick_size": "0.1",
        "status": "online",
    }


class FakeKraken(FakeExchange):
    """Kraken's REST API: public Assets/AssetPairs, private BalanceEx, TradesHistory (newest
    first, 50 a page, ``ofs`` offset), DepositStatus, WithdrawStatus, Ledgers."""

    code = "kraken"

    def __init__(self, mock: responses.RequestsMock, *, trades: int = 3):
        self.balances = {
            "XXBT": {"balance": "1.2500000000", "hold_trade": "0.2500000000"},
            "ZUSD": {"balance": "1000.0000", "hold_trade": "0.0000"},
            "XETH": {"balance": "3.0000000000", "hold_trade": "0.0000000000"},
            "DOT": {"balance": "10.5000000000", "hold_trade": "0.0000000000"},
        }
        self.trades = {
            f"TKRK{i:05d}-AAAAA-BBBBBB": {
                "ordertxid": f"OKRK{i:05d}-CCCCC-DDDDDD",
                "postxid": "TKH2SE-M7IF5-CFI7LT",
                "pair": "XXBTZUSD" if i % 2 == 0 else "XETHXXBT",
                "time": TS + i * 60 + 0.5,
                "type": "buy" if i % 3 else "sell",
                "ordertype": "limit",
                "price": "30010.0" if i % 2 == 0 else "0.0525",
                "cost": "300.10000" if i % 2 == 0 else "0.05250000",
                "fee": "0.78026" if i % 2 == 0 else "0.00013650",
                "vol": "0.01000000" if i % 2 == 0 else "1.00000000",
                "margin": "0.00000",
                "misc": "",
                "trade_id": 40274859 + i,
                "maker": True,
            }
            for i in range(trades)
        }
        self.deposits = [
            {
                "method": "Bitcoin",
                "aclass": "currency",
                "asset": "XXBT",
                "refid": "FTQcuak-V6Za8qrWnhzTx67yYHz8Tg",
                "txid": "6544b41b607d8b2512baf801755a3a87b6890eacdb451be8a94059fb11f0a8d9",
                "info": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
                "amount": "0.7812500000",
                "fee": "0.0000000000",
                "time": TS - 86400,
                "status": "Success",
            },
            {
                "method": "Ether (Hex)",
                "aclass": "currency",
                "asset": "XETH",
                "refid": "FTQcuak-PENDING",
                "txid": "0x0abc",
                "info": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                "amount": "0.5000000000",
                "fee": "0.0000000000",
                "time": TS + 86400 * 30,
                "status": "Settled",
            },
        ]
        self.withdrawals = [
            {
                "method": "Bitcoin",
                "aclass": "currency",
                "asset": "XXBT",
                "refid": "AGBZNBO-5P2XSB-RFVF6J",
                "txid": "9f1cd2b1c1f5e9ad1b0ac9e1e6ad43e8c4f5aa3d15f0e91b8d0d2cb5b0a5f2b1",
                "info": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
                "amount": "0.1000000000",
                "fee": "0.0002000000",
                "time": TS + 86400,
                "status": "Success",
            }
        ]
        self.ledger = {
            "L4UESK-KG3EQ-UFO4T5": {
                "refid": "RUSB7W6-ESIXUX-K6PVTM",
                "time": TS + 3600.25,
                "type": "staking",
                "subtype": "",
                "aclass": "currency",
                "asset": "DOT",
                "amount": "0.0500000000",
                "fee": "0.0000000000",
                "balance": "10.5000000000",
            },
            "LTRADE-AAAAA-BBBBBB": {
                "refid": "TKRK00000-AAAAA-BBBBBB",
                "time": TS + 0.5,
                "type": "trade",
                "subtype": "",
                "aclass": "currency",
                "asset": "XXBT",
                "amount": "0.0100000000",
                "fee": "0.0000000000",
                "balance": "1.2500000000",
            },
        }
        super().__init__(mock)

    def private(self, path: str) -> bool:
        return "/private/" in path

    def auth_failure(self) -> tuple[int, dict, str]:
        return 200, {}, json.dumps({"error": ["EAPI:Invalid key"]})

    def rate_limited(self) -> Any:
        return {"error": ["EAPI:Rate limit exceeded"]}

    def route(self, method, path, params, request):
        if self.private(path) and request.headers.get("API-Key") != API_KEY:
            return 200, {"error": ["EAPI:Invalid key"]}
        name = path.rsplit("/", 1)[-1]
        if name == "Assets":
            return 200, {
                "error": [],
                "result": {
                    "XXBT": _kraken_asset("XBT"),
                    "ZUSD": _kraken_asset("USD", 4),
                    "XETH": _kraken_asset("ETH"),
                    "DOT": _kraken_asset("DOT"),
                },
            }
        if name == "AssetPairs":
            return 200, {
                "error": [],
                "result": {
                    "XXBTZUSD": _kraken_pair("XBTUSD", "XBT/USD", "XXBT", "ZUSD"),
                    "XETHXXBT": _kraken_pair("ETHXBT", "ETH/XBT", "XETH", "XXBT"),
                },
            }
        if name == "BalanceEx":
            return 200, {"error": [], "result": self.balances}
        if name == "TradesHistory":
            start = float(params.get("start", 0))
            rows = sorted(
                ((k, t) for k, t in self.trades.items() if t["time"] > start),
                key=lambda kv: -kv[1]["time"],
            )
            offset = int(params.get("ofs", 0))
            return 200, {
                "error": [],
                "result": {"trades": dict(rows[offset : offset + 50]), "count": len(rows)},
            }
        if name in ("DepositStatus", "WithdrawStatus"):
            rows = self.deposits if name == "DepositStatus" else self.withdrawals
            start = float(params.get("start", 0))
            return 200, {"error": [], "result": [r for r in rows if r["time"] >= start]}
        if name == "Ledgers":
            start = float(params.get("start", 0))
            rows = {k: v for k, v in self.ledger.items() if v["time"] > start}
            return 200, {"error": [], "result": {"ledger": rows, "count": len(rows)}}
        return 404, {"error": [f"EGeneral:Unknown method {name}"]}


# --- Binance US --------------------------------------------------------------------------------


def _binance_symbol(symbol: str, base: str, quote: str) -> dict:
    return {
        "symbol": symbol,
        "status": "TRADING",
        "baseAsset": base,
        "baseAssetPrecision": 8,
        "quoteAsset": quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
        "icebergAllowed": True,
        "ocoAllowed": True,
        "quoteOrderQtyMarketAllowed": True,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": "0.01000000",
                "maxPrice": "100000.00000000",
                "tickSize": "0.01000000",
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": "0.00000100",
                "maxQty": "9000.00000000",
                "stepSize": "0.00000100",
            },
        ],
        "permissions": ["SPOT"],
    }


class FakeBinanceUS(FakeExchange):
    """Binance US: exchangeInfo, account, myTrades per symbol (ascending from ``startTime``,
    ``limit`` a page), capital deposit and withdrawal history in 90-day windows, and the key's
    apiRestrictions."""

    code = "binanceus"

    def __init__(self, mock: responses.RequestsMock, *, btc_trades: int = 3):
        start = TS * 1000
        self.can_trade = False
        self.balances = [
            {"asset": "BTC", "free": "0.50000000", "locked": "0.10000000"},
            {"asset": "USD", "free": "2500.1200", "locked": "0.0000"},
            {"asset": "ETH", "free": "2.00000000", "locked": "0.00000000"},
            {"asset": "BNB", "free": "0.98500000", "locked": "0.00000000"},
            {"asset": "ADA", "free": "0.00000000", "locked": "0.00000000"},
        ]
        self.trades: dict[str, list[dict]] = {
            "BTCUSD": [
                {
                    "symbol": "BTCUSD",
                    "id": 28457 + i,
                    "orderId": 100234 + i,
                    "orderListId": -1,
                    "price": "36000.00",
                    "qty": "0.00100000",
                    "quoteQty": "36.0000",
                    "commission": "0.0360",
                    "commissionAsset": "USD",
                    "time": start + i * 1000,
                    "isBuyer": True,
                    "isMaker": False,
                    "isBestMatch": True,
                }
                for i in range(btc_trades)
            ],
            "ETHBTC": [
                {
                    "symbol": "ETHBTC",
                    "id": 9001,
                    "orderId": 77001,
                    "orderListId": -1,
                    "price": "0.05200000",
                    "qty": "2.00000000",
                    "quoteQty": "0.10400000",
                    "commission": "0.01500000",
                    "commissionAsset": "BNB",  # the fee in a third currency
                    "time": start + 5_000_000,
                    "isBuyer": True,
                    "isMaker": True,
                    "isBestMatch": True,
                }
            ],
            "BNBUSD": [],
        }
        self.deposits = [
            {
                "id": "769800519366885376",
                "amount": "0.70000000",
                "coin": "BTC",
                "network": "BTC",
                "status": 1,
                "address": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
                "addressTag": "",
                "txId": "b1f0cf2a5a0e1d0a6f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071",
                "insertTime": start - 200 * 86_400_000,  # two windows before the trades
                "transferType": 0,
                "confirmTimes": "2/2",
                "unlockConfirm": 2,
                "walletType": 0,
            }
        ]
        self.withdrawals = [
            {
                "id": "b6ae22b3aa844210a7041aee7589627c",
                "amount": "0.20000000",
                "transactionFee": "0.00050000",
                "coin": "BTC",
                "status": 6,
                "address": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
                "txId": "c2e1d0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1",
                "applyTime": "2023-11-20 10:00:00",
                "network": "BTC",
                "transferType": 0,
                "info": "",
                "confirmNo": 3,
                "walletType": 0,
                "txKey": "",
                "completeTime": "2023-11-20 10:30:00",
            }
        ]
        super().__init__(mock)

    def private(self, path: str) -> bool:
        return path != "/api/v3/exchangeInfo"

    def auth_failure(self) -> tuple[int, dict, str]:
        return (
            401,
            {},
            json.dumps({"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}),
        )

    def rate_limited(self) -> Any:
        return {
            "code": -1003,
            "msg": "Too many requests; current limit is 1200 request weight per 1 MINUTE.",
        }

    def route(self, method, path, params, request):
        if self.private(path) and request.headers.get("X-MBX-APIKEY") != API_KEY:
            return 401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}
        start, end = int(params.get("startTime", 0)), int(params.get("endTime", 10**15))
        if path == "/api/v3/exchangeInfo":
            return 200, {
                "timezone": "UTC",
                "serverTime": TS * 1000,
                "rateLimits": [],
                "exchangeFilters": [],
                "symbols": [
                    _binance_symbol("BTCUSD", "BTC", "USD"),
                    _binance_symbol("ETHBTC", "ETH", "BTC"),
                    _binance_symbol("BNBUSD", "BNB", "USD"),
                    _binance_symbol("ADAUSD", "ADA", "USD"),
                ],
            }
        if path == "/api/v3/account":
            return 200, {
                "makerCommission": 10,
                "takerCommission": 10,
                "buyerCommission": 0,
                "sellerCommission": 0,
                "canTrade": True,
                "canWithdraw": True,
                "canDeposit": True,
                "updateTime": TS * 1000,
                "accountType": "SPOT",
                "balances": self.balances,
                "permissions": ["SPOT"],
            }
        if path == "/api/v3/myTrades":
            rows = [t for t in self.trades[params["symbol"]] if t["time"] >= start]
            return 200, rows[: int(params.get("limit", 500))]
        if path == "/sapi/v1/capital/deposit/hisrec":
            return 200, [d for d in self.deposits if start <= d["insertTime"] <= end]
        if path == "/sapi/v1/capital/withdraw/history":
            return 200, self.withdrawals  # before its window logic matters: one row
        if path == "/sapi/v1/account/apiRestrictions":
            return 200, {
                "ipRestrict": False,
                "createTime": TS * 1000,
                "enableReading": True,
                "enableWithdrawals": False,
                "enableInternalTransfer": False,
                "enableMargin": False,
                "enableFutures": False,
                "permitsUniversalTransfer": False,
                "enableVanillaOptions": False,
                "enableSpotAndMarginTrading": self.can_trade,
            }
        return 404, {"code": -1100, "msg": f"unknown path {path}"}


# --- Coinbase (Advanced Trade v3 + the v2 wallet API) ------------------------------------------

# A CDP API key as Coinbase issues them: a key name and an EC private key in PEM; ccxt signs
# each request with an ES256 JWT whose ``sub`` is the key name.
CB_API_KEY = "organizations/1f2e3d4c-5b6a-4789-8abc-def012345678/apiKeys/9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
CB_SECRET = (
    ec.generate_private_key(ec.SECP256R1())
    .private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    .decode()
)


def cb_key_of(request) -> str:
    """The key name a request's JWT names (its ``sub``), or ""."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return ""
    try:
        payload = header[7:].split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]
    except (IndexError, ValueError, KeyError):
        return ""


CB_ACCOUNTS = {
    "BTC": "58542935-67b5-56e1-a3f9-42686e07fa40",
    "ETH": "2a1f6a7e-3c3b-5d6e-8f9a-0b1c2d3e4f50",
    "USD": "7b5c8d9e-0f1a-5b2c-9d3e-4f5a6b7c8d9e",
}
_CB_PAGINATION = {
    "ending_before": None,
    "starting_after": None,
    "previous_ending_before": None,
    "next_starting_after": None,
    "limit": 100,
    "order": "desc",
    "previous_uri": None,
    "next_uri": None,
}


def _cb_currency(code: str) -> dict:
    names = {"BTC": "Bitcoin", "ETH": "Ethereum", "USD": "US Dollar"}
    kind = "fiat" if code == "USD" else "crypto"
    return {
        "code": code,
        "name": names[code],
        "exponent": 8 if kind == "crypto" else 2,
        "type": kind,
    }


def _cb_product(base: str, quote: str) -> dict:
    return {
        "product_id": f"{base}-{quote}",
        "price": "37000.00",
        "price_percentage_change_24h": "1.2",
        "volume_24h": "1000",
        "volume_percentage_change_24h": "0",
        "base_increment": "0.00000001",
        "quote_increment": "0.01",
        "quote_min_size": "1",
        "quote_max_size": "50000000",
        "base_min_size": "0.00000001",
        "base_max_size": "3400",
        "base_name": base,
        "quote_name": quote,
        "watched": False,
        "is_disabled": False,
        "new": False,
        "status": "online",
        "cancel_only": False,
        "limit_only": False,
        "post_only": False,
        "trading_disabled": False,
        "auction_mode": False,
        "product_type": "SPOT",
        "quote_currency_id": quote,
        "base_currency_id": base,
        "mid_market_price": "",
        "base_display_symbol": base,
        "quote_display_symbol": quote,
        "view_only": False,
        "price_increment": "0.01",
        "display_name": f"{base}-{quote}",
        "product_venue": "CBE",
    }


def cb_fill(
    n: int,
    *,
    at: str,
    side: str = "BUY",
    size: str = "0.001",
    price: str = "36000.00",
    commission: str = "0.216",
) -> dict:
    return {
        "entry_id": f"entry-{n:06d}",
        "trade_id": f"a1b2c3d4-0000-4000-8000-{n:012d}",
        "order_id": f"0f0f0f0f-0000-4000-8000-{n:012d}",
        "trade_time": at,
        "trade_type": "FILL",
        "price": price,
        "size": size,
        "commission": commission,
        "product_id": "BTC-USD",
        "sequence_timestamp": at,
        "liquidity_indicator": "TAKER",
        "size_in_quote": False,
        "user_id": "3333-333333-3333333",
        "side": side,
        "retail_portfolio_id": "4444-444444-4444444",
    }


class FakeCoinbase(FakeExchange):
    """Coinbase: the public v2 currencies and exchange rates, v3 products (markets), v2 accounts
    (balances, one account per currency), v3 fills (trades) and the v2 per-account deposits,
    withdrawals and transactions (the ledger)."""

    code = "coinbase"

    def __init__(self, mock: responses.RequestsMock):
        self.balances = {"BTC": "0.50000000", "ETH": "0.00000000", "USD": "150.00"}
        self.fills = [
            cb_fill(1, at="2023-11-15T10:00:00.000Z"),
            cb_fill(
                2, at="2023-11-16T10:00:00.000Z", side="SELL", size="0.0005", commission="0.108"
            ),
        ]
        self.transactions: dict[str, list[dict]] = {
            "BTC": [
                {
                    "id": "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
                    "type": "staking_reward",
                    "status": "completed",
                    "amount": {"amount": "0.00010000", "currency": "BTC"},
                    "native_amount": {"amount": "3.70", "currency": "USD"},
                    "description": None,
                    "created_at": "2023-11-17T00:00:00Z",
                    "updated_at": "2023-11-17T00:00:00Z",
                    "resource": "transaction",
                    "resource_path": "/v2/accounts/x/transactions/y",
                }
            ],
            "ETH": [],
            "USD": [],
        }
        self.deposits: dict[str, list[dict]] = {
            "USD": [
                {
                    "id": "67e0eaec-07d7-54c4-a72c-2e92826897df",
                    "status": "completed",
                    "amount": {"amount": "200.00", "currency": "USD"},
                    "subtotal": {"amount": "200.00", "currency": "USD"},
                    "fee": {"amount": "0.00", "currency": "USD"},
                    "created_at": "2023-11-14T09:00:00Z",
                    "updated_at": "2023-11-14T09:00:00Z",
                    "resource": "deposit",
                    "resource_path": "/v2/accounts/x/deposits/y",
                    "committed": True,
                    "payout_at": "2023-11-14T09:00:00Z",
                }
            ]
        }
        super().__init__(mock)

    def private(self, path: str) -> bool:
        return "/accounts" in path or "/brokerage/orders" in path or "transaction_summary" in path

    def auth_failure(self) -> tuple[int, dict, str]:
        return (
            401,
            {},
            json.dumps({"errors": [{"id": "authentication_error", "message": "invalid api key"}]}),
        )

    def rate_limited(self) -> Any:
        return {"errors": [{"id": "rate_limit_exceeded", "message": "Too many requests"}]}

    def route(self, method, path, params, request):
        if self.private(path) and cb_key_of(request) != CB_API_KEY:
            return 401, {"errors": [{"id": "authentication_error", "message": "invalid api key"}]}
        if path == "/v2/currencies":
            return 200, {"data": [{"id": "USD", "name": "US Dollar", "min_size": "0.01"}]}
        if path == "/v2/currencies/crypto":
            return 200, {"data": [_cb_currency("BTC"), _cb_currency("ETH")]}
        if path == "/v2/exchange-rates":
            return 200, {"data": {"currency": "USD", "rates": {"BTC": "0.000027", "ETH": "0.0005"}}}
        if path == "/api/v3/brokerage/market/products":
            if params.get("product_type") == "FUTURE":
                return 200, {"products": [], "num_products": 0}
            products = [_cb_product("BTC", "USD"), _cb_product("ETH", "USD")]
            return 200, {"products": products, "num_products": len(products)}
        if path == "/api/v3/brokerage/transaction_summary":
            return 200, {
                "total_volume": 0,
                "total_fees": 0,
                "fee_tier": {
                    "pricing_tier": "Advanced 1",
                    "usd_from": "0",
                    "usd_to": "10000",
                    "taker_fee_rate": "0.006",
                    "maker_fee_rate": "0.004",
                },
            }
        if path == "/v2/accounts":
            return 200, {
                "pagination": _CB_PAGINATION,
                "data": [
                    {
                        "id": CB_ACCOUNTS[code],
                        "name": f"{code} Wallet",
                        "primary": code == "BTC",
                        "type": "fiat" if code == "USD" else "wallet",
                        "currency": _cb_currency(code),
                        "balance": {"amount": amount, "currency": code},
                        "created_at": "2021-01-01T00:00:00Z",
                        "updated_at": "2023-11-20T00:00:00Z",
                        "resource": "account",
                        "resource_path": f"/v2/accounts/{CB_ACCOUNTS[code]}",
                        "allow_deposits": True,
                        "allow_withdrawals": True,
                    }
                    for code, amount in self.balances.items()
                ],
            }
        if path == "/api/v3/brokerage/accounts":
            return 200, {
                "accounts": [
                    {
                        "uuid": CB_ACCOUNTS[code],
                        "name": f"{code} Wallet",
                        "currency": code,
                        "available_balance": {"value": amount, "currency": code},
                        "default": code == "BTC",
                        "active": True,
                        "created_at": "2021-01-01T00:00:00Z",
                        "updated_at": "2023-11-20T00:00:00Z",
                        "deleted_at": None,
                        "type": "ACCOUNT_TYPE_FIAT" if code == "USD" else "ACCOUNT_TYPE_CRYPTO",
                        "ready": True,
                        "hold": {"value": "0", "currency": code},
                        "retail_portfolio_id": "4444-444444-4444444",
                    }
                    for code, amount in self.balances.items()
                ],
                "has_next": False,
                "cursor": "",
                "size": len(self.balances),
            }
        if path == "/api/v3/brokerage/orders/historical/fills":
            start = params.get("start_sequence_timestamp", "")
            rows = [f for f in self.fills if f["trade_time"] >= start]
            return 200, {"fills": rows, "cursor": ""}
        match = re.fullmatch(r"/v2/accounts/([^/]+)/(deposits|withdrawals|transactions)", path)
        if match:
            code = next(c for c, i in CB_ACCOUNTS.items() if i == match.group(1))
            source = {
                "deposits": self.deposits,
                "withdrawals": {},
                "transactions": self.transactions,
            }[match.group(2)]
            return 200, {"pagination": _CB_PAGINATION, "data": source.get(code, [])}
        return 404, {"errors": [{"id": "not_found", "message": f"unknown path {path}"}]}
