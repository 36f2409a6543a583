"""Accounts in their portfolio: the totals count the exchange's balances once (source: the
exchange), the portfolio lists them, a refresh fetches them, a deposit's chain id matches one
of the user's addresses as a transfer, and removing an account removes its ledger rows."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from accounts.models import Account
from addresses.models import AddressBalance, AddressFetchState, AddressTransaction
from addresses.services import address_create
from ledger.address_sync import ledger_sync_address
from ledger.models import LedgerEntry, Transfer, Wallet
from portfolios.models import Portfolio
from tests.accounts.fakes import API_KEY, SECRET
from tests.api.conftest import ok

CREDS = {"apiKey": API_KEY, "secret": SECRET}


def test_totals_count_the_exchange_balance_once(api, portfolio_id, kraken, connect):
    before = api.get(f"/api/portfolios/{portfolio_id}/balances")
    account = connect("kraken", CREDS)
    rows = {
        r["currency"]["code"]: r for r in ok(api.get(f"/api/portfolios/{portfolio_id}/balances"))
    }
    # The exchange's totals (free + held in orders), not the ledger's sum of the history.
    assert rows["btc"]["balance"] == "1.25" and rows["btc"]["source"] == "kraken"
    assert rows["dot"]["balance"] == "10.5"
    assert rows["usd"]["balance"] == "1000.0"
    assert before.status_code == 200

    listed = ok(api.get("/api/portfolios"))
    assert listed[0]["accounts"] == 1
    detail = ok(api.get(f"/api/portfolios/{portfolio_id}"))
    assert detail["accounts"] == [
        {
            "id": account["id"],
            "title": "",
            "wallet": {"code": "kraken", "title": "Kraken"},
            "valid": True,
        }
    ]
    # The value history walks the exchange's balance back through the account's movements.
    history = ok(api.get(f"/api/portfolios/{portfolio_id}/accounts/{account['id']}/history"))
    btc = [r for r in history if r["currency"]["code"] == "btc"]
    assert btc[-1]["balance"] == "1.25"
    assert btc[0]["date"] == "2023-11-13"  # the first movement: the deposit


def test_refresh_fetches_the_accounts_too(
    api, portfolio_id, kraken, connect, django_capture_on_commit_callbacks
):
    account = connect("kraken", CREDS)
    kraken.requests.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answer = ok(api.post(f"/api/portfolios/{portfolio_id}/refresh"))
    assert answer["accounts"] == [account["id"]]
    assert "/0/private/BalanceEx" in kraken.requests


def test_a_withdrawal_to_an_own_address_is_a_transfer(api, portfolio_id, kraken, connect):
    portfolio = Portfolio.objects.get(pk=portfolio_id)
    address = address_create(
        portfolio=portfolio,
        title="Cold",
        address="bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        currency_code="btc",
        source="t",
    )
    # The address's history as its explorer stored it: the withdrawal arriving.
    AddressTransaction.objects.create(
        address=address,
        currency=address.currency,
        key=kraken.withdrawals[0]["txid"],
        reference=kraken.withdrawals[0]["txid"],
        delta=Decimal("0.1"),
        txn_at=datetime(2023, 11, 15, 23, 0, tzinfo=UTC),
        source="esplora",
    )
    AddressBalance.objects.create(
        address=address, currency=address.currency, balance=Decimal("0.1"), source="esplora"
    )
    AddressFetchState.objects.create(address=address, balances_fetched_at=datetime.now(UTC))
    ledger_sync_address(address_id=address.pk)

    connect("kraken", CREDS)
    transfer = Transfer.objects.get()
    assert transfer.status == Transfer.ACCEPTED and transfer.matched_by == Transfer.BY_TXID
    assert transfer.out_entry.external_id == "withdrawal:AGBZNBO-5P2XSB-RFVF6J"
    assert transfer.in_entry.wallet.address_id == address.pk


def test_removing_an_account_removes_its_ledger_rows(api, portfolio_id, kraken, connect):
    account = connect("kraken", CREDS)
    wallet_id = Account.objects.get(pk=account["id"]).ledger_wallet_id
    rows = LedgerEntry.objects.filter(wallet_id=wallet_id).count()
    assert rows > 0
    base = f"/api/portfolios/{portfolio_id}/accounts/{account['id']}"
    gone = ok(api.delete(base))
    assert gone["id"] == account["id"]
    assert not Wallet.objects.filter(pk=wallet_id).exists()
    assert LedgerEntry.objects.count() == 0
    balances = ok(api.get(f"/api/portfolios/{portfolio_id}/balances"))
    assert all(r["source"] != "kraken" for r in balances)
