"""Ethereum explorer: JSON-RPC balances and Etherscan history against the answers in
tests/fixtures/etherscan (each names its source in ``_source``: ``*_docs_example*`` are published
examples, verbatim; the history of the fixture address is hand-made, its hashes "0x" +
sha256("fixture:<label>").

The fixture address received 2.5 ETH, sent 0.4 ETH, sent a failed tx (gas only), called the USDC
contract to send 200 USDC, sent 1 ETH to itself, and was the target of someone else's failed tx.
In USDC it received 1500.5, sent 200 and got two transfers (10 and 15.25) in one tx."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
import responses
from responses import matchers

from addresses.explorers.base import explorer_for
from addresses.explorers.ethereum import EthereumExplorer, ether_effect
from core.exceptions import AddressRejected, ProviderError
from core.http import HttpClient
from core.ratelimit import NoRateLimit

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "etherscan"
RPC = "https://rpc.example.test"
SCAN = "https://etherscan.example.test/v2/api"
ADDRESS = "0xAb5801a7D398351b8bE11C439e05C5B3259aeC9B"  # mixed case on purpose
USDC = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
GWEI = Decimal(10) ** 9 / Decimal(10) ** 18


def load(name: str):
    return json.loads((FIXTURES / name).read_text())


def tx_hash(label: str) -> str:
    return "0x" + hashlib.sha256(f"fixture:{label}".encode()).hexdigest()


def http(provider: str, base_url: str, **kwargs) -> HttpClient:
    return HttpClient(
        provider,
        base_url=base_url,
        limiter=NoRateLimit(),
        timeout=5,
        user_agent="t",
        sleep=lambda s: None,
        **kwargs,
    )


def make_explorer(token_contract=None, token_decimals=None, api_key="KEY123", offset=None):
    explorer = EthereumExplorer(
        rpc_url=RPC,
        etherscan_url=SCAN,
        token_contract=token_contract,
        token_decimals=token_decimals,
        rpc_http=http("ethereum-rpc", RPC),
        etherscan_http=http("etherscan", SCAN, params={"apikey": api_key}),
    )
    if offset:
        explorer.etherscan.offset = offset
    return explorer


def scan(action: str, fixture: str, **params):
    expected = {
        "module": "account",
        "action": action,
        "sort": "asc",
        **{k: str(v) for k, v in params.items()},
    }
    responses.get(
        SCAN, json=load(fixture), match=[matchers.query_param_matcher(expected, strict_match=False)]
    )


@responses.activate
def test_ether_balance_from_eth_get_balance():
    responses.post(
        RPC,
        json=load("rpc_get_balance.json"),
        match=[
            matchers.json_params_matcher(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "eth_getBalance",
                    "params": [ADDRESS.lower(), "latest"],
                }
            )
        ],
    )

    [balance] = make_explorer().balances(ADDRESS)

    assert balance.balance == Decimal("2.09619")
    assert (balance.asset, balance.source, balance.address) == ("ETH", "ethereum-rpc", ADDRESS)
    assert balance.received is None and balance.sent is None and balance.tx_count is None


@responses.activate
def test_ether_balance_of_the_published_eth_get_balance_example():
    address = "0x407d73d8a49eeb85d32cf465507dd71d507100c1"
    responses.post(RPC, json=load("rpc_get_balance_docs_example.json"))

    [balance] = make_explorer().balances(address)

    # 0x0234c8a3397aab58 = 158972490234375000 wei; / 10**18
    assert int("0234c8a3397aab58", 16) == 158_972_490_234_375_000
    assert balance.balance == Decimal("0.158972490234375")
    assert balance.asset == "ETH"


@responses.activate
def test_token_balance_from_balance_of():
    data = "0x70a08231" + "000000000000000000000000" + ADDRESS.lower()[2:]
    responses.post(
        RPC,
        json=load("rpc_balance_of.json"),
        match=[
            matchers.json_params_matcher(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "eth_call",
                    "params": [{"to": USDC, "data": data}, "latest"],
                }
            )
        ],
    )

    [balance] = make_explorer(token_contract=USDC, token_decimals=6).balances(ADDRESS)

    assert balance.balance == Decimal("1325.75")
    assert balance.asset == USDC


@responses.activate
def test_token_decimals_are_asked_when_not_given():
    responses.post(
        RPC,
        json={"jsonrpc": "2.0", "id": 1, "result": "0x" + format(6, "064x")},
        match=[
            matchers.json_params_matcher(
                {"method": "eth_call", "params": [{"to": USDC, "data": "0x313ce567"}, "latest"]},
                strict_match=False,
            )
        ],
    )
    responses.post(RPC, json=load("rpc_balance_of.json"))

    [balance] = make_explorer(token_contract=USDC).balances(ADDRESS)

    assert balance.balance == Decimal("1325.75")


@responses.activate
def test_json_rpc_error_is_not_retryable():
    responses.post(RPC, json=load("rpc_error_invalid_params.json"))

    with pytest.raises(ProviderError) as caught:
        make_explorer().balances(ADDRESS)

    assert caught.value.retryable is False
    assert "-32602" in str(caught.value)
    assert len(responses.calls) == 1


@responses.activate
def test_json_rpc_limit_exceeded_is_retried():
    responses.post(
        RPC,
        json={"jsonrpc": "2.0", "id": 1, "error": {"code": -32005, "message": "limit exceeded"}},
    )
    responses.post(RPC, json=load("rpc_get_balance.json"))

    assert make_explorer().balances(ADDRESS)[0].balance == Decimal("2.09619")


def test_an_address_that_is_not_hex_is_refused():
    with pytest.raises(AddressRejected) as caught:
        make_explorer().balances("0x1234")
    assert caught.value.retryable is False


def test_a_malformed_token_contract_is_a_provider_error_not_a_rejected_address():
    with pytest.raises(ProviderError) as caught:
        make_explorer(token_contract="0xnotacontract")
    assert not isinstance(caught.value, AddressRejected)
    assert caught.value.retryable is False


@responses.activate
def test_etherscan_invalid_address_is_a_rejected_address():
    responses.get(
        SCAN, json={"status": "0", "message": "NOTOK", "result": "Error! Invalid address format"}
    )

    with pytest.raises(AddressRejected):
        make_explorer().transactions(ADDRESS)


@responses.activate
def test_ether_history_deltas_and_fees():
    scan("txlist", "txlist_all.json", startblock=0, page=1, offset=1000, chainid=1, apikey="KEY123")
    scan("txlistinternal", "empty.json", startblock=0, page=1, offset=1000, chainid=1)

    page = make_explorer().transactions(ADDRESS)

    by_hash = {t.txid: t for t in page.transactions}
    assert len(by_hash) == 6 and page.complete and page.cursor == "18000500+internal"
    incoming = by_hash[tx_hash("eth-in")]
    assert (incoming.delta, incoming.fee) == (Decimal("2.5"), 0)  # an incoming tx: fee 0
    out = by_hash[tx_hash("eth-out")]
    assert out.fee == 21_000 * 20 * GWEI == Decimal("0.00042")
    assert out.delta == Decimal("-0.40042")
    failed = by_hash[tx_hash("eth-failed")]  # failed: the value stays, the gas is gone
    assert failed.delta == -(45_000 * 25 * GWEI) == Decimal("-0.001125")
    assert failed.fee == Decimal("0.001125")
    token_call = by_hash[tx_hash("token-out")]  # the gas of a token transfer is on the ETH side
    assert token_call.delta == Decimal("-0.00195") and token_call.fee == Decimal("0.00195")
    to_self = by_hash[tx_hash("eth-self")]
    assert to_self.delta == -to_self.fee == Decimal("-0.000315")
    failed_incoming = by_hash[tx_hash("eth-in-failed")]
    assert (failed_incoming.delta, failed_incoming.fee) == (0, 0)
    # the history adds up to the balance the node reports
    assert sum(t.delta for t in page.transactions) == Decimal("2.09619")
    assert all(
        t.confirmed and t.asset == "ETH" and t.source == "etherscan" for t in page.transactions
    )
    assert incoming.block_height == 18_000_000
    assert incoming.occurred_at.isoformat() == "2023-08-25T21:46:40+00:00"


@responses.activate
def test_ether_history_of_the_published_txlist_example():
    # Etherscan's documented txlist: 0x9aa9... deploys a contract, then calls its transfer()
    deployer = "0x9aa99c23f67c81701c772b106b4f83f6e858dd2e"
    scan("txlist", "txlist_docs_example.json", startblock=0)
    scan("txlistinternal", "empty.json", startblock=0)

    page = make_explorer().transactions(deployer)

    by_hash = {t.txid: t for t in page.transactions}
    deploy = by_hash["0xc52783ad354aecc04c670047754f062e3d6d04e8f5b24774472651f9c3882c60"]
    call = by_hash["0xaa45b4858ba44230a5fce5a29570a5dec2bf1f0ba95bacdec4fe8f2c4fa99338"]
    # no ether moved (value 0): each costs its gas, gasUsed x gasPrice wei
    assert 4_457_269 * 83_924_748_773 == 374_075_181_038_680_937
    assert deploy.fee == Decimal("0.374075181038680937") == -deploy.delta
    assert 57_168 * 125_521_409_858 == 7_175_807_958_762_144
    assert call.fee == Decimal("0.007175807958762144") == -call.delta
    assert (deploy.block_height, call.block_height) == (14_923_678, 14_923_692)
    assert deploy.occurred_at.isoformat() == "2022-06-08T00:00:11+00:00"
    assert call.occurred_at.isoformat() == "2022-06-08T00:02:50+00:00"


@responses.activate
def test_ether_history_pages_by_startblock_and_dedupes():
    # offset 3: each full page makes the next query start at its last block
    scan("txlist", "txlist_offset3_page1.json", startblock=0, page=1, offset=3)
    scan("txlist", "txlist_offset3_from_18000200.json", startblock=18000200, page=1, offset=3)
    scan("txlist", "txlist_offset3_from_18000400.json", startblock=18000400, page=1, offset=3)
    scan("txlistinternal", "empty.json", startblock=0, page=1, offset=3)

    page = make_explorer(offset=3).transactions(ADDRESS)

    assert len(responses.calls) == 4
    assert [t.txid for t in page.transactions] == [
        t["hash"] for t in load("txlist_all.json")["result"]
    ]
    assert page.cursor == "18000500+internal"


@responses.activate
def test_incremental_sync_starts_at_the_cursor_block():
    scan("txlist", "txlist_offset3_from_18000400.json", startblock=18000400)
    scan("txlistinternal", "empty.json", startblock=18000400)

    page = make_explorer().transactions(ADDRESS, since_cursor="18000400+internal")

    # the cursor's block comes back (the caller upserts by key) along with what is new
    assert [t.txid for t in page.transactions] == [tx_hash("eth-self"), tx_hash("eth-in-failed")]
    assert page.cursor == "18000500+internal"


@responses.activate
def test_max_pages_returns_a_cursor_to_go_on_with():
    scan("txlist", "txlist_offset3_page1.json", startblock=0, offset=3)
    scan("txlistinternal", "empty.json", startblock=0, offset=3)

    page = make_explorer(offset=3).transactions(ADDRESS, max_pages=1)

    assert page.complete is False
    assert page.cursor == "18000200+internal"
    # the block where it stopped is read whole next time (from both lists): not returned now
    assert [t.block_height for t in page.transactions] == [18_000_000, 18_000_100]


@responses.activate
def test_token_history_rows_and_one_hash_with_two_transfers():
    scan("tokentx", "tokentx_all.json", contractaddress=USDC, startblock=0)

    page = make_explorer(token_contract=USDC, token_decimals=6).transactions(ADDRESS)

    rows = page.transactions
    assert [(t.txid, t.row_key, t.delta) for t in rows] == [
        (tx_hash("usdc-in"), "0", Decimal("1500.5")),
        (tx_hash("token-out"), "0", Decimal("-200")),
        (tx_hash("batch-payout"), "0", Decimal("10")),
        (tx_hash("batch-payout"), "1", Decimal("15.25")),
    ]
    assert len({t.key for t in rows}) == 4
    assert all(t.fee == 0 and t.asset == USDC for t in rows)
    assert sum(t.delta for t in rows) == Decimal("1325.75")
    assert page.cursor == "18000600"


@responses.activate
def test_token_history_of_the_published_tokentx_example():
    # Etherscan's documented tokentx: 0x4e83... received MKR (18 decimals)
    mkr = "0x9f8f72aa9304c8b593d555f12ef6589cc3a579a2"
    receiver = "0x4e83362442b8d1bec281594cea3050c8eb01311c"
    scan("tokentx", "tokentx_docs_example.json", contractaddress=mkr, startblock=0)

    page = make_explorer(token_contract=mkr, token_decimals=18).transactions(receiver)

    [row] = page.transactions
    # 5901522149285533025181 / 10**18: the receiver pays no gas
    assert row.delta == Decimal("5901.522149285533025181") and row.fee == 0
    assert row.txid == "0xe8c208398bd5ae8e4c237658580db56a2a94dfa0ca382c99b776fa6e7d31d5b4"
    assert row.block_height == 4_730_207
    assert row.occurred_at.isoformat() == "2017-12-14T08:32:43+00:00"


@responses.activate
def test_token_paging_keeps_row_keys_stable_across_pages():
    # offset 2: the two rows of one hash come again when the query restarts at their block,
    # and a block that fills a page makes it turn to page 2
    scan("tokentx", "tokentx_offset2_page1.json", startblock=0, page=1, offset=2)
    scan("tokentx", "tokentx_offset2_from_18000300.json", startblock=18000300, page=1, offset=2)
    scan("tokentx", "tokentx_offset2_from_18000600.json", startblock=18000600, page=1, offset=2)
    scan("tokentx", "empty.json", startblock=18000600, page=2, offset=2)

    page = make_explorer(token_contract=USDC, token_decimals=None, offset=2).transactions(ADDRESS)

    assert len(responses.calls) == 4
    assert [(t.txid, t.row_key) for t in page.transactions] == [
        (tx_hash("usdc-in"), "0"),
        (tx_hash("token-out"), "0"),
        (tx_hash("batch-payout"), "0"),
        (tx_hash("batch-payout"), "1"),
    ]
    # decimals came from the rows (tokenDecimal) as none were given
    assert sum(t.delta for t in page.transactions) == Decimal("1325.75")


@responses.activate
def test_no_transactions_found_is_an_empty_history():
    scan("txlist", "empty.json")
    scan("txlistinternal", "empty.json")

    page = make_explorer().transactions(ADDRESS)

    assert page.transactions == [] and page.complete and page.cursor == "0+internal"


@responses.activate
def test_invalid_api_key_is_not_retryable_and_the_key_is_not_shown():
    scan("txlist", "error_invalid_key.json")

    with pytest.raises(ProviderError) as caught:
        make_explorer(api_key="KEY123").transactions(ADDRESS)

    assert caught.value.retryable is False
    assert "Invalid API Key" in str(caught.value)
    assert "KEY123" not in str(caught.value)
    assert len(responses.calls) == 1


@responses.activate
def test_max_rate_limit_reached_is_retried_then_succeeds():
    scan("txlist", "error_rate_limit.json")
    scan("txlist", "txlist_all.json")
    scan("txlistinternal", "empty.json")

    page = make_explorer().transactions(ADDRESS)

    assert len(page.transactions) == 6
    assert len(responses.calls) == 3


@responses.activate
def test_max_rate_limit_reached_for_ever_is_retryable():
    scan("txlist", "error_rate_limit.json")

    with pytest.raises(ProviderError) as caught:
        make_explorer().transactions(ADDRESS)

    assert caught.value.retryable is True


def test_ether_effect_compares_addresses_case_insensitively():
    row = load("txlist_all.json")["result"][1]
    row = {**row, "from": row["from"].upper().replace("0X", "0x")}
    assert ether_effect(row, ADDRESS.lower()) == (
        -(4 * 10**17 + 21_000 * 20 * 10**9),
        21_000 * 20 * 10**9,
    )


def test_factory_builds_ethereum_from_settings(settings):
    settings.ETHEREUM_RPC_URL = "https://node.example.test/v3/0123456789abcdef0123"
    settings.ETHERSCAN_URL = "https://api.etherscan.example.test/v2/api"
    settings.ETHERSCAN_API_KEY = "SCANKEY"

    ether = explorer_for("ethereum")
    token = explorer_for("eth", token_contract=USDC.upper().replace("0X", "0x"), token_decimals=6)

    assert ether.asset == "ETH" and ether.source == "etherscan"
    assert ether.etherscan.chain_id == 1
    assert ether.etherscan.http.default_params == {"apikey": "SCANKEY"}
    assert ether.rpc.http.base_url == "https://node.example.test/v3/0123456789abcdef0123"
    assert "0123456789abcdef0123" in ether.rpc.http.secrets  # a key in the node URL is redacted
    assert token.asset == USDC and token.token_decimals == 6
