"""Binance US through ccxt's real client: trades read per market the account holds, paged; a
trade whose fee is paid in a third currency (BNB); deposits in 90-day windows; a key that can
trade accepted with a warning; a refused key; 429."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import Account, AccountFetchState
from ledger.models import LedgerEntry
from tests.accounts.fakes import API_KEY, SECRET, FakeBinanceUS
from tests.api.conftest import ok

CREDS = {"apiKey": API_KEY, "secret": SECRET}


@pytest.fixture
def binance(http) -> FakeBinanceUS:
    return FakeBinanceUS(http)


def entries(account_id: int) -> dict[str, LedgerEntry]:
    return {
        e.external_id: e
        for e in LedgerEntry.objects.filter(wallet__account__pk=account_id).select_related("asset")
    }


def test_balances_trades_per_market_and_a_fee_in_a_third_currency(
    api, portfolio_id, binance, connect
):
    account = connect("binanceus", CREDS)
    base = f"/api/portfolios/{portfolio_id}/accounts/{account['id']}"
    balances = {b["currency"]["code"]: b["balance"] for b in ok(api.get(f"{base}/balances"))}
    assert balances == {"bnb": "0.985", "btc": "0.6", "eth": "2.0", "usd": "2500.12"}
    # Markets between held currencies only: ADA/USD (nothing held) is not asked for.
    asked = [p for p in binance.requests if p == "/api/v3/myTrades"]
    assert len(asked) == 3

    rows = entries(account["id"])
    buy = rows["trade:28457:base"]
    assert (buy.kind, buy.asset.code, buy.quantity, buy.value) == (
        "buy",
        "btc",
        Decimal("0.001"),
        Decimal("36"),
    )
    assert (buy.fee_value, buy.fee_asset.code) == (Decimal("0.036"), "usd")
    eth = rows["trade:9001:base"]
    btc = rows["trade:9001:quote"]
    bnb = rows["trade:9001:fee:bnb"]
    assert (eth.kind, eth.quantity) == ("trade_in", Decimal("2"))
    assert (btc.kind, btc.asset.code, btc.quantity) == ("trade_out", "btc", Decimal("0.104"))
    assert (bnb.kind, bnb.asset.code, bnb.quantity) == ("fee", "bnb", Decimal("0.015"))

    deposit = rows["deposit:769800519366885376"]
    assert (deposit.kind, deposit.quantity) == ("unclassified_in", Decimal("0.7"))
    withdrawal = rows["withdrawal:b6ae22b3aa844210a7041aee7589627c"]
    assert withdrawal.reference.startswith("c2e1d0f9")
    assert rows["withdrawal:b6ae22b3aa844210a7041aee7589627c:fee:btc"].quantity == Decimal("0.0005")
    # The deposit history was walked in 90-day windows up to now; the next sync starts there.
    state = AccountFetchState.objects.get(account_id=account["id"])
    assert state.cursors["deposits"] > 1_700_000_000_000
    assert ok(api.get(base))["warning"] == ""


def test_paged_trades_and_a_second_sync_that_adds_nothing(http, connect, sync):
    binance = FakeBinanceUS(http, btc_trades=1200)
    account = connect("binanceus", CREDS)
    btc_pages = [p for p in binance.requests if p == "/api/v3/myTrades"]
    assert len(btc_pages) == 4  # BTCUSD: 1000 + 201 (page edges overlap); ETHBTC; BNBUSD
    rows = entries(account["id"])
    assert len([k for k in rows if k.endswith(":base") and "trade:" in k]) == 1201
    count = LedgerEntry.objects.count()
    deposits_before = binance.requests.count("/sapi/v1/capital/deposit/hisrec")

    binance.requests.clear()
    sync(account["id"])
    assert LedgerEntry.objects.count() == count
    assert binance.requests.count("/sapi/v1/capital/deposit/hisrec") < deposits_before


def test_a_key_that_can_trade_is_accepted_with_a_warning(api, portfolio_id, binance, connect):
    binance.can_trade = True
    account = connect("binanceus", CREDS)
    detail = ok(api.get(f"/api/portfolios/{portfolio_id}/accounts/{account['id']}"))
    assert detail["valid"] is True
    assert detail["warning"] == "this key can move funds: create a read-only one"


def test_a_refused_key_and_a_rate_limit(api, portfolio_id, binance, connect, sync):
    binance.fail_with, binance.fail_times = "auth", 1
    refused = connect("binanceus", CREDS)
    detail = ok(api.get(f"/api/portfolios/{portfolio_id}/accounts/{refused['id']}"))
    assert detail["valid"] is False
    assert "Invalid API-key" in detail["invalid_reason"]

    binance.fail_with, binance.fail_times = "429", 1
    limited = connect("binanceus", CREDS, title="second")
    state = AccountFetchState.objects.get(account_id=limited["id"])
    assert state.failures == 1 and state.next_retry_at is not None
    assert Account.objects.get(pk=limited["id"]).valid
    sync(limited["id"])
    state.refresh_from_db()
    assert state.failures == 0 and state.balances_fetched_at is not None
