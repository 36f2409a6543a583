"""Address histories into the ledger: every stored chain transaction of an address becomes its
wallet's rows, kept in step as transactions arrive and confirm."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from addresses.explorers.base import AddressBalance, ChainTransaction, TransactionPage
from addresses.models import Address, AddressFetchState
from addresses.sync import address_sync, address_transactions_synced
from ledger.address_sync import address_rows, estimate_value, ledger_sync_address
from ledger.models import LedgerEntry, Transfer, Wallet, WalletHolding
from ledger.selectors import portfolio_wallet_holdings
from tests.api.conftest import ok
from tests.ledger_api.conftest import (
    BTC_BECH32,
    at,
    cur,
    make_address,
    make_entry,
    make_portfolio,
    make_price,
    make_txn,
    make_wallet,
)

D = Decimal


def rows(address: Address) -> list[tuple[str, str, Decimal, str]]:
    return list(
        LedgerEntry.objects.filter(wallet__address=address)
        .order_by("external_id")
        .values_list("external_id", "kind", "quantity", "reference")
    )


def test_incoming_becomes_an_unclassified_receive_valued_from_the_price_store(portfolio):
    # Given a stored receive of 0.5 BTC and the day's BTC/USD close
    address = make_address(portfolio)
    make_txn(address, "aa" * 32, "0.5", at(1, 15))
    make_price("btc", "usd", at(1), "40000.5")

    result = ledger_sync_address(address_id=address.pk)

    [entry] = LedgerEntry.objects.filter(wallet__address=address)
    assert (result.created, result.updated, result.deleted) == (1, 0, 0)
    assert entry.kind == "unclassified_in"
    assert entry.quantity == D("0.5")
    assert entry.external_id == entry.reference == "aa" * 32
    assert entry.occurred_at == at(1, 15)
    assert (entry.value, entry.value_currency.code, entry.value_source) == (
        D("20000.25"),
        "usd",
        "price-store",
    )
    assert entry.source_address_txn.key == "aa" * 32
    assert entry.tx_type == "receive" and not entry.user_modified
    wallet = entry.wallet
    assert (wallet.kind, wallet.name, wallet.portfolio_id) == (
        Wallet.ADDRESS,
        "Cold wallet",
        portfolio.pk,
    )
    assert dict(
        WalletHolding.objects.filter(wallet=wallet).values_list("asset__code", "quantity")
    ) == {"btc": D("0.5")}
    # the explorer's balance counts in the totals, not the address wallet's ledger rows
    assert list(portfolio_wallet_holdings(portfolio)) == []


def test_outgoing_with_fee_is_a_send_and_a_fee_row(portfolio):
    # Given a spend of 1 BTC that paid 0.0001 fee (delta -1.0001), and no price stored
    address = make_address(portfolio)
    make_txn(address, "bb" * 32, "-1.0001", at(2), fee="0.0001")

    ledger_sync_address(address_id=address.pk)

    assert rows(address) == [
        ("bb" * 32, "unclassified_out", D("1.0"), "bb" * 32),
        ("bb" * 32 + ":fee", "fee", D("0.0001"), "bb" * 32),
    ]
    assert set(LedgerEntry.objects.values_list("value", "value_source")) == {(None, "missing")}
    assert WalletHolding.objects.get(wallet__address=address).quantity == D("-1.0001")


def test_send_to_itself_is_the_fee_alone(portfolio):
    # Given a transaction whose outputs all came back to the address: it lost only the fee
    address = make_address(portfolio)
    make_txn(address, "cc" * 32, "-0.00021", at(3), fee="0.00021")

    ledger_sync_address(address_id=address.pk)

    assert rows(address) == [("cc" * 32 + ":fee", "fee", D("0.00021"), "cc" * 32)]


@pytest.mark.parametrize(
    ("delta", "fee", "expected"),
    [
        ("2", "0", [("k", "unclassified_in", "2")]),
        ("-2", "0", [("k", "unclassified_out", "2")]),
        ("-2.5", "0.5", [("k", "unclassified_out", "2.0"), ("k:fee", "fee", "0.5")]),
        ("-0.5", "0.5", [("k:fee", "fee", "0.5")]),
        ("-0.5", "0.7", [("k:fee", "fee", "0.5")]),  # a fee above the loss is capped
        ("0", "0", []),
    ],
)
def test_address_rows_table(delta, fee, expected):
    got = address_rows(key="k", delta=D(delta), fee=D(fee))
    assert [(e, k.value, q) for e, k, q in got] == [(e, k, D(q)) for e, k, q in expected]


def test_resync_adds_nothing(portfolio):
    address = make_address(portfolio)
    make_txn(address, "aa" * 32, "0.5", at(1))
    make_txn(address, "bb" * 32, "-0.2001", at(2), fee="0.0001")
    ledger_sync_address(address_id=address.pk)
    before = list(LedgerEntry.objects.order_by("pk").values())

    result = ledger_sync_address(address_id=address.pk)

    assert (result.created, result.updated, result.deleted) == (0, 0, 0)
    assert list(LedgerEntry.objects.order_by("pk").values()) == before


def test_new_transactions_are_added_to_the_existing_rows(portfolio):
    address = make_address(portfolio)
    make_txn(address, "aa" * 32, "0.5", at(1))
    ledger_sync_address(address_id=address.pk)
    first = LedgerEntry.objects.get()

    make_txn(address, "bb" * 32, "0.25", at(5))
    result = ledger_sync_address(address_id=address.pk)

    assert result.created == 1
    assert LedgerEntry.objects.count() == 2 and LedgerEntry.objects.filter(pk=first.pk).exists()
    assert WalletHolding.objects.get(wallet__address=address).quantity == D("0.75")


def test_an_unconfirmed_transaction_joins_the_ledger_when_it_confirms(portfolio):
    # Given a receive first seen, unconfirmed, late on the 1st: the explorer's confirmed
    # balance does not count it, so neither does the ledger
    address = make_address(portfolio)
    txn = make_txn(address, "dd" * 32, "0.1", at(1, 23, 50), confirmed=False)
    make_price("btc", "usd", at(2), "50000")
    result = ledger_sync_address(address_id=address.pk)
    assert result.created == 0 and not LedgerEntry.objects.exists()

    # When it confirms in a block of the 2nd and the ledger follows
    txn.confirmed, txn.txn_at, txn.block_height = True, at(2, 0, 10), 840_000
    txn.save()
    result = ledger_sync_address(address_id=address.pk)

    # Then the row appears with the block time and the value of that day
    entry = LedgerEntry.objects.get()
    assert result.created == 1
    assert entry.occurred_at == at(2, 0, 10)
    assert (entry.value, entry.value_source) == (D("5000"), "price-store")
    assert WalletHolding.objects.get(wallet__address=address).quantity == D("0.1")


def test_user_modified_row_is_left_alone(portfolio):
    address = make_address(portfolio)
    txn = make_txn(address, "ee" * 32, "0.3", at(1))
    ledger_sync_address(address_id=address.pk)
    entry = LedgerEntry.objects.get()
    entry.kind, entry.user_modified = "buy", True
    entry.save()

    # a reorganisation put the transaction in a block of the 3rd
    txn.txn_at = at(3)
    txn.save()
    make_price("btc", "usd", at(3), "42000")
    result = ledger_sync_address(address_id=address.pk)

    entry.refresh_from_db()
    assert result.updated == 0
    assert (entry.kind, entry.occurred_at, entry.value_source) == ("buy", at(1), "missing")


def test_missing_value_is_filled_once_the_price_is_stored(portfolio):
    address = make_address(portfolio)
    make_txn(address, "aa" * 32, "2", at(4))
    ledger_sync_address(address_id=address.pk)
    assert LedgerEntry.objects.get().value is None

    make_price("btc", "usd", at(4), "30000")
    ledger_sync_address(address_id=address.pk)

    entry = LedgerEntry.objects.get()
    assert (entry.value, entry.value_currency.code, entry.value_source) == (
        D("60000"),
        "usd",
        "price-store",
    )


def test_value_is_in_the_first_fiat_reporting_currency(alice):
    # Given a portfolio reported in btc, then eur, then usd: eur is its first fiat currency
    portfolio = make_portfolio(alice, "Euro", currencies=("btc", "eur", "usd"))
    address = make_address(portfolio)
    make_txn(address, "aa" * 32, "1", at(6))
    make_price("btc", "usd", at(6), "60000")
    make_price("btc", "eur", at(6), "55000")

    ledger_sync_address(address_id=address.pk)

    entry = LedgerEntry.objects.get()
    assert (entry.value, entry.value_currency.code) == (D("55000"), "eur")


def test_without_a_fiat_reporting_currency_the_value_is_in_usd(alice):
    portfolio = make_portfolio(alice, "Stack", currencies=("btc",))
    address = make_address(portfolio)
    make_txn(address, "aa" * 32, "1", at(6))
    make_price("btc", "usd", at(6), "60000")

    ledger_sync_address(address_id=address.pk)

    assert LedgerEntry.objects.get().value_currency.code == "usd"


def test_price_of_another_day_is_not_used(portfolio):
    address = make_address(portfolio)
    make_txn(address, "aa" * 32, "1", at(6, 0, 0))
    make_price("btc", "usd", at(5), "60000")
    make_price("btc", "usd", at(7), "61000")

    ledger_sync_address(address_id=address.pk)

    assert LedgerEntry.objects.get().value_source == "missing"


def test_estimated_value_keeps_fifteen_significant_digits():
    assert estimate_value(D("0.12345678"), D("43210.123456789")) == D(
        "5334.58270537764"
    )  # exact: 5334.58270537763907942
    assert estimate_value(D("0.00000001"), D("0.000001")) == D("1E-14")
    assert estimate_value(D("3"), D("0")) == 0


def test_two_addresses_with_one_title_get_distinct_wallets(portfolio):
    first = make_address(portfolio, "Savings")
    second = make_address(portfolio, "Savings", address=BTC_BECH32)
    make_txn(first, "aa" * 32, "1", at(1))
    make_txn(second, "bb" * 32, "1", at(1))

    ledger_sync_address(address_id=first.pk)
    ledger_sync_address(address_id=second.pk)

    names = dict(Wallet.objects.values_list("address_id", "name"))
    assert names == {first.pk: "Savings", second.pk: f"Savings ({BTC_BECH32})"}


def test_address_without_title_names_its_wallet_by_the_address(portfolio):
    address = make_address(portfolio, "")
    make_txn(address, "aa" * 32, "1", at(1))
    ledger_sync_address(address_id=address.pk)
    assert Wallet.objects.get(address=address).name == address.address


def test_a_deleted_address_is_nothing_to_sync(portfolio):
    address = make_address(portfolio)
    pk = address.pk
    address.delete()
    assert ledger_sync_address(address_id=pk).wallet_id is None


def test_signal_runs_the_ledger_sync(portfolio):
    address = make_address(portfolio)
    make_txn(address, "aa" * 32, "0.5", at(1))

    address_transactions_synced.send(sender=Address, address_id=address.pk)

    assert rows(address) == [("aa" * 32, "unclassified_in", D("0.5"), "aa" * 32)]


class FakeExplorer:
    def __init__(self, transactions):
        self.page = TransactionPage(transactions=transactions, cursor="c1", complete=True)

    def balances(self, address):
        return [AddressBalance(address, "btc", D("0.4999"), D("0.5"), D("0.0001"), 2, "esplora")]

    def transactions(self, address, since_cursor=None):
        return self.page


def test_address_sync_mirrors_new_transactions_into_the_ledger_in_the_same_task(portfolio):
    # Given an explorer that reports a receive and a spend with fee
    address = make_address(portfolio)
    explorer = FakeExplorer(
        [
            ChainTransaction(
                "bb" * 32, "btc", D("-0.1001"), D("0.0001"), at(2), True, 2, "esplora"
            ),
            ChainTransaction("aa" * 32, "btc", D("0.6"), D("0"), at(1), True, 1, "esplora"),
        ]
    )

    # When the address is synced
    result = address_sync(address_id=address.pk, explorer=explorer)

    # Then its ledger rows follow in the same call
    assert result.ok and result.new_transactions == 2
    assert [(e, k, q) for e, k, q, _ in rows(address)] == [
        ("aa" * 32, "unclassified_in", D("0.6")),
        ("bb" * 32, "unclassified_out", D("0.1")),
        ("bb" * 32 + ":fee", "fee", D("0.0001")),
    ]
    assert WalletHolding.objects.get(wallet__address=address).quantity == D("0.4999")


def test_sync_matches_a_transfer_between_two_own_addresses(portfolio):
    # Given one transaction seen from both of alice's addresses
    sender = make_address(portfolio, "Hot")
    receiver = make_address(portfolio, "Cold", address=BTC_BECH32)
    make_txn(sender, "ff" * 32, "-0.5002", at(8), fee="0.0002")
    make_txn(receiver, "ff" * 32, "0.5", at(8))

    ledger_sync_address(address_id=sender.pk)
    ledger_sync_address(address_id=receiver.pk)

    # Then the send and the receive are one transfer, accepted (same txid)
    [transfer] = Transfer.objects.all()
    assert (transfer.status, transfer.matched_by, transfer.fee_quantity) == ("accepted", "txid", 0)
    assert transfer.out_entry.wallet.address == sender
    assert (transfer.out_entry.kind, transfer.in_entry.kind) == ("transfer_out", "transfer_in")
    assert LedgerEntry.objects.get(kind="fee").quantity == D("0.0002")


def test_sync_matches_a_coinbase_send_with_the_receive_by_window(portfolio):
    coinbase = make_wallet(portfolio)
    send = make_entry(coinbase, "unclassified_out", "0.3", at(9, 10))
    address = make_address(portfolio)
    make_txn(address, "ab" * 32, "0.2995", at(9, 10) + timedelta(minutes=40))

    ledger_sync_address(address_id=address.pk)

    [transfer] = Transfer.objects.all()
    assert (transfer.status, transfer.out_entry_id, transfer.fee_quantity) == (
        "proposed",
        send.pk,
        D("0.0005"),
    )


def test_a_pending_receive_is_matched_once_it_confirms_and_its_fee_follows_the_chain(portfolio):
    coinbase = make_wallet(portfolio)
    make_entry(coinbase, "unclassified_out", "1", at(9, 10))
    address = make_address(portfolio)
    txn = make_txn(address, "ab" * 32, "0.999", at(9, 11), confirmed=False)
    ledger_sync_address(address_id=address.pk)
    assert not Transfer.objects.exists()

    txn.confirmed = True
    txn.save()
    ledger_sync_address(address_id=address.pk)
    assert Transfer.objects.get().fee_quantity == D("0.001")

    # the transaction that confirmed paid 0.998 (a replacement by fee with the same key)
    txn.delta = D("0.998")
    txn.save()
    ledger_sync_address(address_id=address.pk)

    assert Transfer.objects.get().fee_quantity == D("0.002")


def test_a_synced_address_rebuilds_the_cost_basis_after_commit(
    portfolio, django_capture_on_commit_callbacks
):
    from costbasis.models import CostBasisBuild, Lot

    address = make_address(portfolio)
    make_txn(address, "aa" * 32, "1", at(1))

    with django_capture_on_commit_callbacks(execute=True):
        ledger_sync_address(address_id=address.pk)
        # nothing is enqueued before the rows are committed
        assert not CostBasisBuild.objects.filter(portfolio=portfolio).exists()

    assert CostBasisBuild.objects.get(portfolio=portfolio).status == "ok"
    assert Lot.objects.get(portfolio=portfolio).remaining_quantity == D("1")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite stores 15 significant digits")
def test_wei_amounts_are_mirrored_exactly_on_postgresql(api, portfolio):
    # Given an Ethereum address that received and spent amounts to the wei
    address = Address.objects.create(
        portfolio=portfolio,
        title="Eth",
        address="0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        currency=cur("eth"),
    )
    make_txn(address, "0x" + "1" * 64, "12345.123456789012345678", at(1))
    make_txn(address, "0x" + "2" * 64, "-0.000021000000000001", at(2), fee="0.000021")

    ledger_sync_address(address_id=address.pk)

    # Then the rows, the holdings and the inventory keep every digit
    assert rows(address)[0][2] == D("12345.123456789012345678")
    assert LedgerEntry.objects.get(kind="unclassified_out").quantity == D("0.000000000000000001")
    holding = WalletHolding.objects.get(wallet__address=address).quantity
    assert holding == D("12345.123456789012345678") - D("0.000021000000000001")
    # (the inventory answers once the address was fetched, like the balances)
    AddressFetchState.objects.create(address=address, balances_fetched_at=timezone.now())
    rows_by_code = {
        row["currency"]["code"]: row
        for row in ok(api.get(f"/api/portfolios/{portfolio.pk}/inventory"))
    }
    eth = rows_by_code["eth"]
    assert (eth["acquired"], eth["disposed"], eth["balance"]) == (
        "12345.123456789012345678",
        "0.000021000000000001",
        "12345.123435789012345677",
    )
