"""A Coinbase account connected by key and a Coinbase statement of the same account, imported
both ways round: each movement is in the ledger once (the statement's row) and each coin in the
total once (the exchange's balance)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from accounts.models import SharedMovement
from ledger.models import LedgerEntry
from tests.accounts.fakes import CB_API_KEY, CB_SECRET, FakeCoinbase
from tests.api.conftest import ok

CREDS = {"apiKey": CB_API_KEY, "secret": CB_SECRET}
# The same three movements the fake exchange reports: a fill bought, a fill sold, a reward.
STATEMENT = (
    "\nTransactions\nUser,Jane Doe,1d5ebcbd-f257-5d9c-9fc2-d433a527aa71\n"
    "ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,"
    "Price at Transaction,Subtotal,Total (inclusive of fees and/or spread),"
    "Fees and/or Spread,Notes\n"
    "65a1b2c3d4e5f60718293a41,2023-11-15 10:00:00 UTC,Advanced Trade Buy,BTC,0.001,USD,"
    "$36000.00,$36.00,$36.216,$0.216,Bought 0.001 BTC for 36.216 USD on BTC-USD\n"
    "65a1b2c3d4e5f60718293a42,2023-11-16 10:00:00 UTC,Advanced Trade Sell,BTC,-0.0005,USD,"
    "$36000.00,$18.00,$17.892,$0.108,Sold 0.0005 BTC for 17.892 USD on BTC-USD\n"
    "65a1b2c3d4e5f60718293a43,2023-11-17 00:00:00 UTC,Staking Income,BTC,0.0001,USD,"
    "$37000.00,$3.70,$3.70,$0.00,\n"
)


@pytest.fixture
def coinbase(http) -> FakeCoinbase:
    return FakeCoinbase(http)


def upload(api, portfolio_id, capture) -> None:
    file = io.BytesIO(STATEMENT.encode())
    file.name = "coinbase.csv"
    with capture(execute=True):
        answer = api.post(
            f"/api/portfolios/{portfolio_id}/ingest/csv", {"file": file}, format="multipart"
        )
    assert answer.status_code in (200, 201), answer.content


def btc_total(api, portfolio_id) -> str:
    rows = ok(api.get(f"/api/portfolios/{portfolio_id}/balances"))
    return next(r["balance"] for r in rows if r["currency"]["code"] == "btc")


def btc_rows_at_the_fills() -> int:
    return LedgerEntry.objects.filter(
        asset__code="btc", quantity__in=[Decimal("0.001"), Decimal("0.0005"), Decimal("0.0001")]
    ).count()


@pytest.mark.parametrize("account_first", [True, False])
def test_statement_and_account_count_once(
    api, portfolio_id, coinbase, connect, django_capture_on_commit_callbacks, account_first
):
    if account_first:
        connect("coinbase", CREDS)
        upload(api, portfolio_id, django_capture_on_commit_callbacks)
    else:
        upload(api, portfolio_id, django_capture_on_commit_callbacks)
        connect("coinbase", CREDS)
    assert SharedMovement.objects.count() == 3
    assert btc_rows_at_the_fills() == 3  # the statement's rows; the account's copies are gone
    assert btc_total(api, portfolio_id) == "0.5"  # the exchange's balance, once
    kept = LedgerEntry.objects.filter(wallet__kind="import").count()
    assert kept == 3
