"""An Ethereum address's history through the API, the ledger, the admin and the address page:
ether paid by contracts (Etherscan ``txlistinternal``) is part of it, and when the history does
not account for the node's balance the address says so, until it does again.

The node and Etherscan are replayed (tests/fixtures/etherscan; the scenario is described in
tests/addresses/test_ethereum_internal.py: 1.76499 ETH, of which 0.67 ETH paid by contracts)."""

from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from addresses.models import Address, AddressFetchState
from tests.live.conftest import (
    ETHEREUM_RPC,
    ETHERSCAN,
    add_address,
    load,
    make_portfolio,
    not_ready,
    ok,
)
from users.models import User

pytestmark = pytest.mark.django_db

ADDRESS = "0xab5801a7d398351b8be11c439e05c5b3259aec9b"
WEI = Decimal(10) ** 18


class Chain:
    """The node answers ``eth_getBalance`` with ``wei``; Etherscan answers each action with the
    rows of ``lists[action]`` from ``startblock`` on, ascending, paged, and "No transactions
    found" when there are none, as it does."""

    def __init__(self, mocked, *, wei: int, lists: dict[str, list[dict]]) -> None:
        self.wei = wei
        self.lists = lists
        mocked.add_callback("POST", ETHEREUM_RPC, callback=self._node)
        mocked.add_callback("GET", ETHERSCAN, callback=self._etherscan)

    def _node(self, request):
        body = json.loads(request.body)
        assert body["method"] == "eth_getBalance" and body["params"][0] == ADDRESS
        return 200, {}, json.dumps({"jsonrpc": "2.0", "id": body["id"], "result": hex(self.wei)})

    def _etherscan(self, request):
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
        assert query["address"] == ADDRESS
        rows = [
            r
            for r in self.lists.get(query["action"], [])
            if int(r["blockNumber"]) >= int(query["startblock"])
        ]
        page, offset = int(query["page"]), int(query["offset"])
        rows = rows[(page - 1) * offset : page * offset]
        if not rows:
            return 200, {}, json.dumps(load("etherscan/empty.json"))
        return 200, {}, json.dumps({"status": "1", "message": "OK", "result": rows})


def recorded_lists() -> dict[str, list[dict]]:
    return {
        "txlist": load("etherscan/txlist_with_contract_call.json")["result"],
        "txlistinternal": load("etherscan/txlistinternal_all.json")["result"],
    }


def recorded_wei() -> int:
    return int(load("etherscan/rpc_get_balance_with_internal.json")["result"], 16)


def fetched(alice_api) -> dict:
    """Alice's portfolio with the address, fetched once."""
    pid = make_portfolio(alice_api, currencies=("eth", "usd"))
    aid = add_address(alice_api, pid, ADDRESS, "eth")
    return {"portfolio": pid, "address": aid, "base": f"/api/portfolios/{pid}/addresses/{aid}"}


def fetch(alice_api, wallet, run_tasks) -> None:
    """The first fetch (503 then run at commit), or a refresh of data made stale."""
    state = AddressFetchState.objects.filter(address_id=wallet["address"]).first()
    with run_tasks():
        response = alice_api.get(f"{wallet['base']}/balances")
        if state is None:
            not_ready(response)
        else:
            ok(response)
    if state is not None:
        before = state.balances_fetched_at
        after = AddressFetchState.objects.get(pk=state.pk).balances_fetched_at
        assert before is not None and after is not None and after > before


def make_stale(wallet) -> None:
    from datetime import timedelta

    from django.utils import timezone

    AddressFetchState.objects.filter(address_id=wallet["address"]).update(
        balances_fetched_at=timezone.now() - timedelta(hours=2)
    )


def test_ether_paid_by_contracts_is_in_the_history_and_the_ledger(alice_api, mocked, run_tasks):
    Chain(mocked, wei=recorded_wei(), lists=recorded_lists())
    wallet = fetched(alice_api)

    fetch(alice_api, wallet, run_tasks)

    # The address's transactions: 7 normal ones and 4 internal payments (the reverted one and
    # the trace repeating the swap call are not there)
    response = alice_api.get(f"{wallet['base']}/transactions", {"limit": 1000})
    rows = ok(response)
    assert response.json()["count"] == 11
    payout = load("etherscan/txlistinternal_all.json")["result"][0]
    [paid] = [r for r in rows if r["reference"] == payout["hash"]]
    assert (paid["delta"], paid["fee"], paid["source"]) == ("0.3", "0.0", "etherscan")
    assert paid["txn_at"] == "2023-08-25T22:36:40+00:00"  # block time 1693003000
    swap = load("etherscan/txlist_with_contract_call.json")["result"][-1]
    assert sorted((r["delta"], r["fee"]) for r in rows if r["reference"] == swap["hash"]) == [
        ("-1.0012", "0.0012"),  # 1 ETH sent, 120000 gas at 10 gwei
        ("0.25", "0.0"),  # the router's refund
    ]
    # and they add up to what the node reports, which the balance row says
    [balance] = ok(alice_api.get(f"{wallet['base']}/balances"))
    assert sum(Decimal(r["delta"]) for r in rows) == Decimal(recorded_wei()) / WEI
    assert balance["balance"] == balance["history_balance"] == "1.76499"
    assert balance["unexplained"] is None

    # The ledger mirrors them: each internal payment is a receive of its own, keyed apart from
    # the normal transaction of the same hash and its fee
    entries = ok(
        alice_api.get(f"/api/portfolios/{wallet['portfolio']}/transactions", {"limit": 1000})
    )
    mine = {e["external_id"]: e for e in entries if e["asset"]["code"] == "eth"}
    refund = mine[f"{swap['hash']}:internal:0_1"]
    assert (refund["kind"], refund["quantity"], refund["reference"]) == (
        "unclassified_in",
        "0.25",
        swap["hash"],
    )
    assert (mine[swap["hash"]]["kind"], mine[swap["hash"]]["quantity"]) == (
        "unclassified_out",
        "1.0",
    )
    assert mine[f"{swap['hash']}:fee"]["quantity"] == "0.0012"
    assert mine[f"{payout['hash']}:internal:0"]["quantity"] == "0.3"
    sign = {"unclassified_in": 1, "unclassified_out": -1, "fee": -1}
    held = sum(sign[e["kind"]] * Decimal(e["quantity"]) for e in mine.values())
    assert held == Decimal("1.76499")


def _payment(block: int, wei: int) -> dict:
    """An internal payment to the address, as Etherscan lists it."""
    return {
        "blockNumber": str(block),
        "timeStamp": str(1_700_000_000 + block),
        "hash": "0x" + f"{block:064x}",
        "from": "0xde0b295669a9fd93d5f28d9ec85e40f4cb697bae",
        "to": ADDRESS,
        "value": str(wei),
        "contractAddress": "",
        "input": "",
        "type": "call",
        "gas": "2300",
        "gasUsed": "0",
        "traceId": "0_1",
        "isError": "0",
        "errCode": "",
    }


def page_text(client: Client, wallet) -> str:
    url = reverse("dashboard:address-detail", args=[wallet["portfolio"], wallet["address"]])
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_balance_the_history_does_not_explain_is_said_until_it_is_explained(
    alice, alice_api, mocked, run_tasks
):
    # Given the recorded address, whose node balance grew by 0.5 ETH that Etherscan lists
    # nowhere yet
    chain = Chain(mocked, wei=recorded_wei() + 5 * 10**17, lists=recorded_lists())
    wallet = fetched(alice_api)

    # when it is fetched
    fetch(alice_api, wallet, run_tasks)

    # then the balance is the node's, and the row says how much of it the history explains
    [row] = ok(alice_api.get(f"{wallet['base']}/balances"))
    assert row["balance"] == "2.26499"
    assert (row["history_balance"], row["unexplained"]) == ("1.76499", "0.5")
    sentence = (
        "History accounts for 1.76499 ETH, the chain reports 2.26499 ETH; 0.5 ETH unexplained."
    )
    # on the address page
    owner = Client()
    owner.force_login(alice)
    assert sentence in page_text(owner, wallet)
    # and in the admin, on the address and in the list of fetch states
    root = Client()
    root.force_login(User.objects.create_superuser(email="root@example.com", password="pw-Root-1"))
    change = root.get(reverse("admin:addresses_address_change", args=[wallet["address"]]))
    assert sentence in change.content.decode()
    listing = root.get(reverse("admin:addresses_addressfetchstate_changelist"))
    assert "0.5" in listing.content.decode()

    # When Etherscan catches up: the payment was a contract's, in a block after the last one
    chain.lists["txlistinternal"] = [
        *recorded_lists()["txlistinternal"],
        _payment(18_000_700, 5 * 10**17),
    ]
    make_stale(wallet)
    fetch(alice_api, wallet, run_tasks)

    # then the history accounts for the whole balance, and nothing is said any more
    [row] = ok(alice_api.get(f"{wallet['base']}/balances"))
    assert (row["balance"], row["history_balance"], row["unexplained"]) == (
        "2.26499",
        "2.26499",
        None,
    )
    assert "unexplained" not in page_text(owner, wallet)
    change = root.get(reverse("admin:addresses_address_change", args=[wallet["address"]]))
    assert "The history accounts for the whole balance." in change.content.decode()


def test_an_address_paid_only_by_a_contract_it_never_called(alice_api, mocked, run_tasks):
    # Nothing in txlist at all: the whole balance is internal payments
    chain = Chain(mocked, wei=0, lists={})
    wallet = fetched(alice_api)
    fetch(alice_api, wallet, run_tasks)
    [row] = ok(alice_api.get(f"{wallet['base']}/balances"))
    assert (row["balance"], row["history_balance"], row["unexplained"]) == ("0.0", "0.0", None)

    chain.wei = 123 * 10**15
    chain.lists["txlistinternal"] = [_payment(19_000_000, 123 * 10**15)]
    make_stale(wallet)
    fetch(alice_api, wallet, run_tasks)

    [row] = ok(alice_api.get(f"{wallet['base']}/balances"))
    assert (row["balance"], row["history_balance"], row["unexplained"]) == ("0.123", "0.123", None)
    [txn] = ok(alice_api.get(f"{wallet['base']}/transactions"))
    assert (txn["delta"], txn["fee"]) == ("0.123", "0.0")
    assert Address.objects.get(pk=wallet["address"]).txns_last_updated is not None
