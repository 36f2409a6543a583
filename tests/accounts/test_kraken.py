"""Kraken through ccxt's real client: balances, paged trades, deposits and withdrawals, the
ledger's rewards, a second sync that adds nothing."""

from __future__ import annotations

from decimal import Decimal

from accounts.models import Account, AccountFetchState
from ledger.models import LedgerEntry
from tests.accounts.fakes import API_KEY, SECRET, TS
from tests.api.conftest import ok

CREDS = {"apiKey": API_KEY, "secret": SECRET}


def rows_of(account_id: int) -> list[LedgerEntry]:
    account = Account.objects.get(pk=account_id)
    return list(
        LedgerEntry.objects.filter(wallet__account=account)
        .select_related("asset")
        .order_by("external_id")
    )


def test_connect_fetches_balances_and_history_into_the_ledger(api, portfolio_id, kraken, connect):
    account = connect("kraken", CREDS, title="My Kraken")
    assert account["wallet"] == {"code": "kraken", "title": "Kraken"}
    assert account["valid"] is True
    base = f"/api/portfolios/{portfolio_id}/accounts/{account['id']}"

    balances = ok(api.get(f"{base}/balances"))
    assert [(b["currency"]["code"], b["balance"], b["free"], b["used"]) for b in balances] == [
        ("btc", "1.25", "1.0", "0.25"),
        ("dot", "10.5", "10.5", "0.0"),
        ("eth", "3.0", "3.0", "0.0"),
        ("usd", "1000.0", "1000.0", "0.0"),
    ]
    assert {b["source"] for b in balances} == {"kraken"}

    by_id = {e.external_id: e for e in rows_of(account["id"])}
    # Trade 0: a BTC/USD sell (i % 3 == 0): SELL of BTC valued at its cost, the USD cash in,
    # and the USD fee as the sale's fee value and cash out.
    sell = by_id["trade:TKRK00000-AAAAA-BBBBBB:base"]
    assert (sell.kind, sell.asset.code, sell.quantity) == ("sell", "btc", Decimal("0.01"))
    assert (sell.value, sell.value_currency.code) == (Decimal("300.1"), "usd")
    assert sell.fee_value == Decimal("0.78026")
    cash = by_id["trade:TKRK00000-AAAAA-BBBBBB:quote"]
    assert (cash.kind, cash.asset.code, cash.quantity) == ("fiat_deposit", "usd", Decimal("300.1"))
    # Trade 1: ETH bought for BTC: a crypto-for-crypto trade, two paired legs and a BTC fee.
    eth_in = by_id["trade:TKRK00001-AAAAA-BBBBBB:base"]
    btc_out = by_id["trade:TKRK00001-AAAAA-BBBBBB:quote"]
    assert (eth_in.kind, eth_in.asset.code, eth_in.quantity) == ("trade_in", "eth", Decimal("1"))
    assert (btc_out.kind, btc_out.asset.code, btc_out.quantity) == (
        "trade_out",
        "btc",
        Decimal("0.0525"),
    )
    assert {eth_in.pair_id, btc_out.pair_id} - {None} in ({eth_in.pk}, {btc_out.pk})
    fee = by_id["trade:TKRK00001-AAAAA-BBBBBB:fee:btc"]
    assert (fee.kind, fee.quantity) == ("fee", Decimal("0.0001365"))
    # The completed deposit and withdrawal (with its fee); the pending deposit waits.
    deposit = by_id["deposit:FTQcuak-V6Za8qrWnhzTx67yYHz8Tg"]
    assert (deposit.kind, deposit.asset.code, deposit.quantity) == (
        "unclassified_in",
        "btc",
        Decimal("0.78125"),
    )
    assert deposit.reference.startswith("6544b41b")
    assert not any("PENDING" in key for key in by_id)
    withdrawal = by_id["withdrawal:AGBZNBO-5P2XSB-RFVF6J"]
    assert (withdrawal.kind, withdrawal.quantity) == ("unclassified_out", Decimal("0.1"))
    assert by_id["withdrawal:AGBZNBO-5P2XSB-RFVF6J:fee:btc"].quantity == Decimal("0.0002")
    # The ledger adds the staking reward; its trade rows are the trades already stored.
    reward = by_id["ledger:L4UESK-KG3EQ-UFO4T5"]
    assert (reward.kind, reward.income_type, reward.asset.code) == ("income", "staking", "dot")
    assert "ledger:LTRADE-AAAAA-BBBBBB" not in by_id

    txns = api.get(f"{base}/txns?limit=5")
    body = txns.json()
    assert body["count"] == len(by_id) and len(body["result"]) == 5 and body["next"]
    newest = body["result"][0]
    assert newest["external_id"] == "deposit:FTQcuak-V6Za8qrWnhzTx67yYHz8Tg" or newest["txn_at"]
    assert newest["source"] == "kraken"

    detail = ok(api.get(base))
    assert detail["last_updated"] and detail["txns_last_updated"]


def test_trades_are_paged_and_a_second_sync_adds_nothing(api, portfolio_id, http, connect, sync):
    from tests.accounts.fakes import FakeKraken

    kraken = FakeKraken(http, trades=120)
    account = connect("kraken", CREDS)
    assert kraken.requests.count("/0/private/TradesHistory") == 3  # 50 + 50 + 20
    trade_rows = [e for e in rows_of(account["id"]) if e.external_id.startswith("trade:")]
    assert len({e.external_id.split(":")[1] for e in trade_rows}) == 120
    count = LedgerEntry.objects.count()
    state = AccountFetchState.objects.get(account_id=account["id"])
    assert state.cursors["trades"] == (TS + 119 * 60) * 1000 + 500

    kraken.requests.clear()
    sync(account["id"])
    assert LedgerEntry.objects.count() == count
    assert kraken.requests.count("/0/private/TradesHistory") == 1  # only what is newer

    # A new trade on the exchange: the next sync adds exactly its rows.
    new = dict(next(iter(kraken.trades.values())), time=TS + 200 * 60, type="buy")
    kraken.trades["TNEW00000-AAAAA-BBBBBB"] = new
    sync(account["id"])
    added = LedgerEntry.objects.filter(external_id__startswith="trade:TNEW").count()
    assert added == 3 and LedgerEntry.objects.count() == count + 3


def test_a_bad_key_makes_the_account_invalid_and_it_is_not_retried(
    api, portfolio_id, kraken, connect, sync, django_capture_on_commit_callbacks
):
    account = connect("kraken", {"apiKey": "wrong-key-000", "secret": SECRET})
    base = f"/api/portfolios/{portfolio_id}/accounts/{account['id']}"
    detail = ok(api.get(base))
    assert detail["valid"] is False
    assert "EAPI:Invalid key" in detail["invalid_reason"]
    assert LedgerEntry.objects.count() == 0

    kraken.requests.clear()
    sync(account["id"])  # the beat or a request asking again: nothing is sent
    ok(api.get(f"{base}/balances"))  # what is stored (nothing), never a 503 loop
    assert kraken.requests == []

    with django_capture_on_commit_callbacks(execute=True):
        patched = ok(api.patch(base, {"credentials": CREDS}, format="json"))
    assert patched["valid"] is True
    assert ok(api.get(base))["valid"] is True
    assert len(ok(api.get(f"{base}/balances"))) == 4


def test_rate_limit_and_network_errors_back_off_and_retry(api, portfolio_id, kraken, connect, sync):
    kraken.fail_with, kraken.fail_times = "429", 1
    account = connect("kraken", CREDS)
    base = f"/api/portfolios/{portfolio_id}/accounts/{account['id']}"
    state = AccountFetchState.objects.get(account_id=account["id"])
    assert state.failures == 1 and state.next_retry_at is not None
    assert "RateLimitExceeded" in state.error or "DDoSProtection" in state.error
    assert (state.next_retry_at - state.error_at).total_seconds() >= 7  # Retry-After honoured
    assert ok(api.get(base))["valid"] is True
    not_ready = api.get(f"{base}/balances")  # never fetched: Not ready until the retry
    assert not_ready.status_code == 503 and not_ready.json()["message"] == "Not ready"
    assert not_ready.json()["try_again_at"] >= state.next_retry_at.isoformat()[:19]

    sync(account["id"])
    state.refresh_from_db()
    assert state.failures == 0 and state.error == ""
    assert len(ok(api.get(f"{base}/balances"))) == 4
    count = LedgerEntry.objects.count()
    assert count > 0

    kraken.fail_with, kraken.fail_times = "network", 1
    sync(account["id"])
    state.refresh_from_db()
    assert state.failures == 1 and "NetworkError" in state.error or "Exchange" in state.error
    assert LedgerEntry.objects.count() == count  # the last good data stays
    assert len(ok(api.get(f"{base}/balances"))) == 4
    sync(account["id"])
    state.refresh_from_db()
    assert state.failures == 0
    assert Account.objects.get(pk=account["id"]).valid
