"""Ether moved by contracts (``txlistinternal``) is part of an address's history, beside its
normal transactions (``txlist``).

Fixtures (tests/fixtures/etherscan, each names its source in ``_source``):
- ``txlistinternal_docs_example.json`` and ``txlistinternal_docs_block_range.json``: the
  response examples of Etherscan's API documentation, verbatim;
- ``txlistinternal_all.json`` with ``txlist_with_contract_call.json``: the fixture address of
  test_ethereum_explorer.py (2.09619 ETH from its normal transactions) that also swapped 1 ETH
  on a router for gas 120000 × 10 gwei and got 0.25 ETH back, was paid 0.3 ETH by a contract,
  0.05 + 0.07 ETH in one batch, and a payout of 0.9 ETH that reverted. By hand:
  2.09619 − (1 + 0.0012) + 0.25 + 0.3 + 0.05 + 0.07 = 1.76499 ETH, the node's balance in
  ``rpc_get_balance_with_internal.json`` (0x187e810dbe1de000 wei)."""

from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import responses

from ledger.address_sync import FEE_SUFFIX
from tests.addresses.test_ethereum_explorer import (
    ADDRESS,
    RPC,
    SCAN,
    load,
    make_explorer,
    scan,
    tx_hash,
)

DOCS_CONTRACT = "0x2c1ba59d6f58433fb1eaee7d20b26ed83bda51a3"
DOCS_CREATOR = "0x20d42f2e99a421147acf198d775395cac2e8b03d"
DOCS_PAYEE = "0x881b0a4e9c55d08e31d8d3c022144d75a454211c"


@responses.activate
def test_the_etherscan_docs_example_is_a_receipt_of_0_1_eth_with_no_fee():
    scan("txlist", "empty.json")
    scan("txlistinternal", "txlistinternal_docs_example.json", startblock=0)

    page = make_explorer().transactions(DOCS_CREATOR)

    # the contract creation moved no ether; the contract's call paid 10**17 wei = 0.1 ETH
    [paid] = page.transactions
    assert paid.txid == "0x1a50f1dc0bc912745f7d09b988669f71d199719e2fb7592c2074ede9578032d0"
    assert (paid.delta, paid.fee, paid.asset) == (Decimal("0.1"), Decimal(0), "ETH")
    assert paid.key == f"{paid.txid}:internal:0"
    assert paid.block_height == 2_535_479 and paid.confirmed
    assert paid.occurred_at.isoformat() == "2016-10-30T14:52:14+00:00"  # 1477839134
    assert page.complete and page.cursor == "2535479+internal"


@responses.activate
def test_the_paying_contract_sees_the_same_row_as_a_spend():
    scan("txlist", "empty.json")
    scan("txlistinternal", "txlistinternal_docs_example.json")

    [spent] = make_explorer().transactions(DOCS_CONTRACT).transactions

    assert (spent.delta, spent.fee) == (Decimal("-0.1"), Decimal(0))


@responses.activate
def test_a_failed_internal_transaction_moves_nothing():
    scan("txlist", "empty.json")
    scan("txlistinternal", "txlistinternal_docs_block_range.json")

    rows = make_explorer().transactions(DOCS_PAYEE).transactions

    # isError "1" on the first payment: only the second one, 1 ETH, arrived
    assert [(t.txid[:10], t.delta) for t in rows] == [("0x893c428f", Decimal("1"))]


def _replay_history() -> None:
    scan("txlist", "txlist_with_contract_call.json", startblock=0)
    scan("txlistinternal", "txlistinternal_all.json", startblock=0)


@responses.activate
def test_history_with_internal_transactions_adds_up_to_the_node_balance():
    _replay_history()
    responses.post(RPC, json=load("rpc_get_balance_with_internal.json"))
    explorer = make_explorer()

    page = explorer.transactions(ADDRESS)
    [balance] = explorer.balances(ADDRESS)

    assert balance.balance == Decimal("1.76499")
    assert sum(t.delta for t in page.transactions) == balance.balance
    internal = [t for t in page.transactions if t.row_key]
    assert [(t.txid, t.row_key, t.delta) for t in internal] == [
        (tx_hash("contract-payout"), "internal:0", Decimal("0.3")),
        (tx_hash("batch-refund"), "internal:0_1", Decimal("0.05")),
        (tx_hash("batch-refund"), "internal:0_2", Decimal("0.07")),
        (tx_hash("swap-refund"), "internal:0_1", Decimal("0.25")),
    ]
    # the receiver pays no fee on ether a contract sent
    assert all(t.fee == 0 and t.asset == "ETH" and t.confirmed for t in internal)
    # oldest first, internal rows among the normal ones by block
    heights = [t.block_height for t in page.transactions]
    assert heights == sorted(heights)
    assert page.cursor == "18000600+internal" and page.complete


@responses.activate
def test_a_contract_call_with_a_refund_counts_the_call_once_and_the_refund_once():
    _replay_history()

    rows = make_explorer().transactions(ADDRESS).transactions

    swap = [t for t in rows if t.txid == tx_hash("swap-refund")]
    # the call: 1 ETH sent plus 120000 gas at 10 gwei; the router's trace that repeats the
    # call itself (traceId 0) is not counted a second time; the refund is its own row
    assert [(t.key, t.delta, t.fee) for t in swap] == [
        (tx_hash("swap-refund"), Decimal("-1.0012"), Decimal("0.0012")),
        (f"{tx_hash('swap-refund')}:internal:0_1", Decimal("0.25"), Decimal(0)),
    ]
    assert tx_hash("reverted-payout") not in {t.txid for t in rows}


@responses.activate
def test_chain_keys_are_distinct_from_each_other_and_from_the_ledger_fee_rows():
    _replay_history()

    rows = make_explorer().transactions(ADDRESS).transactions

    keys = [t.key for t in rows]
    assert len(keys) == len(set(keys)) == 6 + 1 + 4
    fee_rows = {t.key + FEE_SUFFIX for t in rows if t.fee}
    assert not fee_rows & set(keys)


def _etherscan_paging(responses_mock, fixtures: dict[str, str]) -> None:
    """Etherscan's paging over whole recorded lists: rows from ``startblock`` on (inclusive),
    ascending, ``offset`` per ``page``; nothing left is "No transactions found"."""

    def answer(request):
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
        rows = [
            r
            for r in load(fixtures[query["action"]])["result"]
            if int(r["blockNumber"]) >= int(query["startblock"])
        ]
        page, offset = int(query["page"]), int(query["offset"])
        chunk = rows[(page - 1) * offset : page * offset]
        body = (
            {"status": "1", "message": "OK", "result": chunk}
            if chunk
            else {"status": "0", "message": "No transactions found", "result": []}
        )
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    responses_mock.add_callback(responses.GET, SCAN, callback=answer)


@responses.activate
def test_internal_transactions_are_paged_like_txlist_with_stable_keys():
    _etherscan_paging(
        responses,
        {"txlist": "txlist_with_contract_call.json", "txlistinternal": "txlistinternal_all.json"},
    )

    whole = make_explorer().transactions(ADDRESS)
    paged = make_explorer(offset=2).transactions(ADDRESS)

    # two rows a page: the queries restart at the last block seen, the two rows of one hash
    # keep their keys, nothing is read twice into the history
    assert [(t.key, t.delta) for t in paged.transactions] == [
        (t.key, t.delta) for t in whole.transactions
    ]
    assert paged.cursor == whole.cursor == "18000600+internal"
    internal_calls = [c for c in responses.calls if "txlistinternal" in c.request.url]
    assert len(internal_calls) > 3


@responses.activate
def test_an_older_cursor_without_internal_transactions_reads_the_history_again():
    # A cursor written before internal transactions were read: start again at block 0, so
    # that payments by contracts before the cursor are found too
    _replay_history()

    page = make_explorer().transactions(ADDRESS, since_cursor="18000500")

    assert tx_hash("contract-payout") in {t.txid for t in page.transactions}
    assert sum(t.delta for t in page.transactions) == Decimal("1.76499")
    assert page.cursor == "18000600+internal"


@responses.activate
def test_an_incremental_read_goes_on_from_the_cursor_in_both_lists():
    scan("txlist", "txlist_with_contract_call.json", startblock=18000500)
    scan("txlistinternal", "txlistinternal_all.json", startblock=18000500)

    make_explorer().transactions(ADDRESS, since_cursor="18000500+internal")

    queried = [parse_qs(urlsplit(c.request.url).query) for c in responses.calls]
    assert [(q["action"][0], q["startblock"][0]) for q in queried] == [
        ("txlist", "18000500"),
        ("txlistinternal", "18000500"),
    ]
