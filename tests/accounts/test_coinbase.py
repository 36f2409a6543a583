"""Coinbase through ccxt's real client: balances of the per-currency accounts, fills, fiat
deposits and the per-currency transaction ledger (rewards)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledger.models import LedgerEntry
from tests.accounts.fakes import CB_API_KEY, CB_SECRET, FakeCoinbase
from tests.api.conftest import ok

CREDS = {"apiKey": CB_API_KEY, "secret": CB_SECRET}


@pytest.fixture
def coinbase(http) -> FakeCoinbase:
    return FakeCoinbase(http)


def entries(account_id: int) -> dict[str, LedgerEntry]:
    return {
        e.external_id: e
        for e in LedgerEntry.objects.filter(wallet__account__pk=account_id).select_related("asset")
    }


def test_balances_fills_deposits_and_rewards(api, portfolio_id, coinbase, connect, sync):
    account = connect("coinbase", CREDS)
    base = f"/api/portfolios/{portfolio_id}/accounts/{account['id']}"
    assert ok(api.get(base))["wallet"] == {"code": "coinbase", "title": "Coinbase Advanced"}
    balances = {b["currency"]["code"]: b["balance"] for b in ok(api.get(f"{base}/balances"))}
    assert balances == {"btc": "0.5", "usd": "150.0"}

    rows = entries(account["id"])
    fill = next(v for k, v in rows.items() if k.endswith("000000000001:base"))
    assert (fill.kind, fill.asset.code, fill.quantity, fill.value) == (
        "buy",
        "btc",
        Decimal("0.001"),
        Decimal("36"),
    )
    assert fill.fee_value == Decimal("0.216")
    sale = next(v for k, v in rows.items() if k.endswith("000000000002:base"))
    assert (sale.kind, sale.quantity) == ("sell", Decimal("0.0005"))
    deposit = rows["deposit:67e0eaec-07d7-54c4-a72c-2e92826897df"]
    assert (deposit.kind, deposit.asset.code, deposit.quantity) == (
        "fiat_deposit",
        "usd",
        Decimal("200"),
    )
    reward = next(v for v in rows.values() if v.kind == "income")
    assert (reward.asset.code, reward.quantity) == ("btc", Decimal("0.0001"))

    count = LedgerEntry.objects.count()
    sync(account["id"])
    assert LedgerEntry.objects.count() == count
