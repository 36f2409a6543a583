"""Esplora explorer against the answers in tests/fixtures/esplora.

Recorded answers (``address_docs_example.json``, ``tx_*_recorded.json``, each naming its source
in ``_source``) are checked at the end. The history of the fixture address is hand-made, one
transaction per edge case: it has 32 confirmed transactions (one coinbase payout, receipts, a spend with
change, a consolidation to itself, a spend with an OP_RETURN output, a coinjoin where it funded
one input of three, a spend of two inputs) and one unconfirmed receipt. Txids are
sha256("fixture:<label>")."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import responses

from addresses.explorers.base import explorer_for
from addresses.explorers.esplora import EsploraExplorer, tx_effect
from core.exceptions import AddressRejected, ProviderError
from core.http import HttpClient
from core.ratelimit import NoRateLimit

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "esplora"
BASE = "https://esplora.example.test/api"
ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"


def load(name: str):
    return json.loads((FIXTURES / name).read_text())


def txid(label: str) -> str:
    return hashlib.sha256(f"fixture:{label}".encode()).hexdigest()


@pytest.fixture
def explorer() -> EsploraExplorer:
    http = HttpClient(
        "esplora-btc",
        base_url=BASE,
        limiter=NoRateLimit(),
        timeout=5,
        user_agent="t",
        sleep=lambda s: None,
    )
    return EsploraExplorer.bitcoin(base_url=BASE, http=http)


def register_history():
    page1 = load("txs.json")
    responses.get(f"{BASE}/address/{ADDRESS}/txs", json=page1)
    last = page1[-1]["txid"]
    responses.get(f"{BASE}/address/{ADDRESS}/txs/chain/{last}", json=load("txs_chain_page2.json"))


@responses.activate
def test_balance_is_funded_minus_spent_in_coins(explorer):
    responses.get(f"{BASE}/address/{ADDRESS}", json=load("address.json"))

    [balance] = explorer.balances(ADDRESS)

    assert balance.asset == "BTC"
    assert balance.source == "esplora-btc"
    assert balance.received == Decimal("17.51393626")
    assert balance.sent == Decimal("11.96041976")
    assert balance.balance == Decimal("5.55351650")
    assert balance.tx_count == 32
    assert balance.pending == Decimal("0.0025")


@responses.activate
def test_first_sync_reads_the_whole_history_across_pages(explorer):
    register_history()

    page = explorer.transactions(ADDRESS)

    # /txs, then /txs/chain/<last txid of page 1>; the second page is short, so it stops there
    assert [c.request.url.rsplit("/", 2)[-2:] for c in responses.calls][0] == [ADDRESS, "txs"]
    assert len(responses.calls) == 2
    assert page.complete is True
    confirmed = [t for t in page.transactions if t.confirmed]
    pending = [t for t in page.transactions if not t.confirmed]
    assert len(confirmed) == load("address.json")["chain_stats"]["tx_count"] == 32
    assert len({t.txid for t in confirmed}) == 32
    assert [t.txid for t in pending] == [txid("pending-receive")]
    assert pending[0].occurred_at is None and pending[0].block_height is None
    assert pending[0].delta == Decimal("0.0025")
    # the cursor is the newest confirmed txid
    assert page.cursor == load("txs.json")[1]["txid"]
    # the sum of confirmed deltas is the confirmed balance
    assert sum(t.delta for t in confirmed) == Decimal("5.55351650")


@responses.activate
def test_each_transaction_has_block_time_height_and_source(explorer):
    register_history()

    page = explorer.transactions(ADDRESS)

    coinbase = next(t for t in page.transactions if t.txid == txid("coinbase-payout"))
    assert coinbase.delta == Decimal("6.25") and coinbase.fee == 0
    assert coinbase.confirmed is True
    assert coinbase.block_height == 800_007
    assert coinbase.occurred_at == datetime.fromtimestamp(1_690_000_000 + 7 * 600, UTC)
    assert coinbase.source == "esplora-btc" and coinbase.asset == "BTC"


@responses.activate
def test_spend_with_change_back_to_itself_counts_only_what_left(explorer):
    register_history()
    by_id = {t.txid: t for t in explorer.transactions(ADDRESS).transactions}

    spend = by_id[txid("spend-with-change")]
    assert spend.delta == Decimal("-1.50004520")  # 1.5 paid + 0.0000452 fee; change nets out
    assert spend.fee == Decimal("0.0000452")

    two_inputs = by_id[txid("spend-two-inputs")]
    assert two_inputs.delta == Decimal("-0.06005650")
    assert two_inputs.fee == Decimal("0.0000565")

    with_op_return = by_id[txid("spend-op-return")]
    assert with_op_return.delta == Decimal("-0.01003100")


@responses.activate
def test_self_transfer_loses_only_the_fee(explorer):
    register_history()
    by_id = {t.txid: t for t in explorer.transactions(ADDRESS).transactions}

    consolidation = by_id[txid("self-transfer")]
    assert consolidation.delta == Decimal("-0.00002875")
    assert consolidation.fee == Decimal("0.00002875")
    assert consolidation.delta == -consolidation.fee


@responses.activate
def test_fee_is_not_ours_when_others_funded_inputs(explorer):
    register_history()
    by_id = {t.txid: t for t in explorer.transactions(ADDRESS).transactions}

    coinjoin = by_id[txid("coinjoin")]
    assert coinjoin.fee == 0
    tx = next(t for t in load("txs.json") if t["txid"] == txid("coinjoin"))
    assert tx["fee"] == 6000  # the whole tx paid one, but not (only) us
    assert coinjoin.delta == Decimal(tx_effect(tx, ADDRESS)[0]) / 10**8


@responses.activate
def test_incoming_payment_has_no_fee(explorer):
    register_history()
    by_id = {t.txid: t for t in explorer.transactions(ADDRESS).transactions}

    receipt = by_id[txid("receive-0")]
    assert receipt.delta == Decimal("0.1") and receipt.fee == 0


@responses.activate
def test_later_sync_stops_at_the_cursor(explorer):
    # Given a first sync stored the newest confirmed txid
    cursor = load("txs.json")[1]["txid"]
    # When two transactions arrived since (one of them the formerly pending receipt)
    responses.get(f"{BASE}/address/{ADDRESS}/txs", json=load("txs_after_two_new.json"))

    page = explorer.transactions(ADDRESS, since_cursor=cursor)

    # Then only they are read, without a second request, and the cursor moves to the newest
    assert len(responses.calls) == 1
    assert [t.txid for t in page.transactions] == [txid("receive-later"), txid("pending-receive")]
    assert all(t.confirmed for t in page.transactions)
    assert page.cursor == txid("receive-later")
    assert page.complete is True


@responses.activate
def test_nothing_new_keeps_the_cursor(explorer):
    cursor = load("txs.json")[1]["txid"]
    responses.get(f"{BASE}/address/{ADDRESS}/txs", json=load("txs.json")[1:])

    page = explorer.transactions(ADDRESS, since_cursor=cursor)

    assert page.transactions == [] and page.cursor == cursor and page.complete


@responses.activate
def test_max_pages_stops_early_and_the_cursor_resumes_without_gaps(explorer):
    register_history()

    first = explorer.transactions(ADDRESS, max_pages=1)
    assert first.complete is False
    assert len(first.transactions) == 26  # the pending one + 25 confirmed
    second = explorer.transactions(ADDRESS, since_cursor=first.cursor)

    assert second.complete is True
    assert len(second.transactions) == 7
    assert second.cursor == load("txs.json")[1]["txid"]
    assert len({t.txid for t in first.transactions + second.transactions}) == 33


@responses.activate
def test_an_explorer_that_ignores_the_last_seen_txid_is_detected(explorer):
    page1 = load("txs.json")
    responses.get(f"{BASE}/address/{ADDRESS}/txs", json=page1)
    responses.get(f"{BASE}/address/{ADDRESS}/txs/chain/{page1[-1]['txid']}", json=page1[1:])

    with pytest.raises(ProviderError) as caught:
        explorer.transactions(ADDRESS)

    assert caught.value.retryable is False


@responses.activate
def test_empty_address(explorer):
    responses.get(f"{BASE}/address/{ADDRESS}/txs", json=[])

    page = explorer.transactions(ADDRESS)

    assert page.transactions == [] and page.cursor is None and page.complete


@pytest.mark.parametrize("body", ["Invalid Bitcoin address", "Invalid address"])
@responses.activate
def test_an_unknown_address_is_rejected_without_retry(explorer, body):
    responses.get(f"{BASE}/address/bc1qnotanaddress", status=400, body=body)

    with pytest.raises(AddressRejected) as caught:
        explorer.balances("bc1qnotanaddress")

    assert caught.value.retryable is False
    assert "rejected the address" in str(caught.value)
    assert body in str(caught.value)
    assert len(responses.calls) == 1


@responses.activate
def test_429_from_the_explorer_is_retried(explorer):
    responses.get(f"{BASE}/address/{ADDRESS}", status=429, headers={"Retry-After": "1"})
    responses.get(f"{BASE}/address/{ADDRESS}", json=load("address.json"))

    assert explorer.balances(ADDRESS)[0].tx_count == 32


def test_bech32_addresses_compare_case_insensitively():
    tx = next(t for t in load("txs_chain_page2.json") if t["txid"] == txid("receive-0"))
    assert tx_effect(tx, ADDRESS.upper()) == tx_effect(tx, ADDRESS) == (10_000_000, 0)


def test_factory_builds_bitcoin_and_litecoin_from_settings(settings):
    settings.ESPLORA_BTC_URL = "https://btc.example.test/api"
    settings.ESPLORA_LTC_URL = "https://ltc.example.test/api/"

    btc = explorer_for("bitcoin")
    ltc = explorer_for("LTC")

    assert (btc.asset, btc.source, btc.http.base_url) == (
        "BTC",
        "esplora-btc",
        "https://btc.example.test/api",
    )
    assert (ltc.asset, ltc.source, ltc.http.base_url) == (
        "LTC",
        "esplora-ltc",
        "https://ltc.example.test/api",
    )
    with pytest.raises(ValueError):
        explorer_for("dogecoin")
    with pytest.raises(ValueError):
        explorer_for("bitcoin", token_contract="0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48")


@responses.activate
def test_a_404_is_not_taken_for_a_bad_address(explorer):
    # e.g. ESPLORA_BTC_URL without its /api: every address would look invalid
    responses.get(f"{BASE}/address/{ADDRESS}", status=404, body="Not Found")

    with pytest.raises(ProviderError) as caught:
        explorer.balances(ADDRESS)

    assert not isinstance(caught.value, AddressRejected)
    assert caught.value.retryable is False


# --- Recorded responses (each file names its source in ``_source``) ----------------------------


@responses.activate
def test_balance_of_the_address_in_the_published_example(explorer):
    # mempool.space's documented answer for 1wiz18x...: five outputs received, all five spent
    address = "1wiz18xYmhRX6xStj2b9t1rwWX4GKUgpv"
    responses.get(f"{BASE}/address/{address}", json=load("address_docs_example.json"))

    [balance] = explorer.balances(address)

    # 15007599040 sat funded - 15007599040 sat spent = 0; 150.0759904 BTC each way
    assert balance.received == Decimal("150.07599040")
    assert balance.sent == Decimal("150.07599040")
    assert balance.balance == 0
    assert balance.tx_count == 7
    assert balance.pending == 0


@responses.activate
def test_a_recorded_spend_with_change_counts_what_left_and_the_fee(explorer):
    tx = load("tx_spend_with_change_recorded.json")
    sender = "bc1qnzw0zfm5l3c9vztpp3aegx0j68zgqajyffr2r6"
    responses.get(f"{BASE}/address/{sender}/txs", json=[tx])

    [spend] = explorer.transactions(sender).transactions

    # input 27619 sat; outputs 0 (OP_RETURN) + 546 (to another) + 23073 (change): fee 4000
    assert 27619 - (0 + 546 + 23073) == tx["fee"] == 4000
    assert spend.delta == Decimal("-0.00004546")  # 546 paid + 4000 fee; the change nets out
    assert spend.fee == Decimal("0.00004")
    assert spend.block_height == 848_136
    assert spend.occurred_at == datetime(2024, 6, 16, 5, 51, 11, tzinfo=UTC)
    assert spend.confirmed is True


def test_a_recorded_transaction_of_many_owners_leaves_the_fee_with_nobody():
    tx = load("tx_many_owners_recorded.json")
    ins = sum(vin["prevout"]["value"] for vin in tx["vin"])
    outs = sum(out["value"] for out in tx["vout"])
    assert ins - outs == tx["fee"] == 71294

    # one of ten inputs (17144 sat) was this address's: it sent that, the fee is not its own
    assert tx_effect(tx, "bc1qcr9xua2wvhfm5kg394atcvl9qrqqana8rrmy8h") == (-17144, 0)
    # a receiver of one output (546 sat) paid nothing
    assert tx_effect(tx, "1CuQsdrcgcmPvugo3NqEwh1kDcpeEnuFC") == (546, 0)
