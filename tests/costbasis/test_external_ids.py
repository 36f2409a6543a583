"""Every lot and disposal names its row's id at the source beside the ledger id: the ID of
the Coinbase statement row, or the chain transaction id of an address transaction."""

from __future__ import annotations

from ledger.address_sync import ledger_sync_address
from tests.api.conftest import ok
from tests.costbasis.conftest import build
from tests.ingest.conftest import statement, upload
from tests.ledger_api.conftest import at, make_address, make_txn

P = "/api/portfolios/{}/cost-basis"
CONVERT = "6863cdc0d3699906c3cf9ac3"  # v5.csv: 0.01 BTC converted into 0.38 ETH, one ID
RECEIVE = "68483f8dcc2b48625c01ac60"  # 0.05 BTC received
SOL_BUY, SOL_SELL = "683c16905feef572bb7cd733", "68b56ea00d776490a3ebe426"  # 1.5 bought, 2 sold


def test_statement_rows_carry_their_coinbase_id(api, portfolio):
    # Given the v5 statement imported and built
    ok(upload(api, portfolio, statement("v5.csv")), 201)
    build(portfolio)
    url = P.format(portfolio.pk)

    # Then the convert's two legs carry the one ID of their rows (no ":in"/":out")
    disposals = {(d["kind"], d["currency"]["code"]): d for d in ok(api.get(url + "/disposals"))}
    convert = disposals[("trade_out", "btc")]
    assert convert["external_id"] == CONVERT
    assert [(u["external_id"], u["quantity"]) for u in convert["lots"]] == [(RECEIVE, "0.01")]
    eth_lots = [lot for lot in ok(api.get(url + "/lots?asset=eth"))]
    assert CONVERT in [lot["external_id"] for lot in eth_lots]
    # the sale of more SOL than bought: the bought lot, then the missing part (no source)
    sale = disposals[("sell", "sol")]
    assert sale["external_id"] == SOL_SELL
    assert [(u["external_id"], u["quantity"]) for u in sale["lots"]] == [
        (SOL_BUY, "1.5"),
        (None, "0.5"),
    ]
    # and the ledger ids stay beside them
    assert all(isinstance(u["transaction"], int) for u in convert["lots"])

    # The CSV report names them too, after the ledger ids
    lines = api.get(url + "/report.csv?year=2025").content.decode().splitlines()
    assert lines[0].endswith(
        "Transaction,Acquired by transaction,External ID,Acquired by external ID"
    )
    assert any(line.endswith(f",{CONVERT},{RECEIVE}") for line in lines)
    assert any(line.endswith(f",{SOL_SELL},{SOL_BUY}") for line in lines)
    assert any(line.endswith(f",{SOL_SELL},") and ",unknown," in line for line in lines)


def test_address_rows_carry_their_chain_transaction_id(api, portfolio):
    # Given an address that received 1 BTC, then sent 0.4 and paid a fee of 0.001
    address = make_address(portfolio)
    received, sent = "aa" * 32, "bb" * 32
    make_txn(address, received, "1", at(1))
    make_txn(address, sent, "-0.401", at(2), fee="0.001")
    ledger_sync_address(address_id=address.pk)
    build(portfolio)
    url = P.format(portfolio.pk)

    # Then the lot is the receive's transaction, and the fee (a disposal) the send's
    (lot,) = ok(api.get(url + "/lots"))
    assert lot["external_id"] == received
    (fee,) = ok(api.get(url + "/disposals"))
    assert (fee["kind"], fee["external_id"]) == ("fee", sent)
    assert [u["external_id"] for u in fee["lots"]] == [received]
