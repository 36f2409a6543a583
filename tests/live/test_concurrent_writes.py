"""Concurrent writes to one object are answered, never crashed: clients in parallel threads
against a live server on PostgreSQL (each request its own connection and transaction). Every
request ends in 200/201, or 422 with a sentence for the loser of a race, and what is stored is
exactly one of the requests applied whole (issue 11, point 2)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
import requests
from django.db import connection

from addresses.models import Address
from ledger.models import Import, LedgerEntry
from offsets.models import OffsetBalance
from portfolios.models import Portfolio, PortfolioCurrency
from tests.conftest import make_token
from tests.live.conftest import BTC_ADDRESS
from users.models import User

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: parallel requests each on their own connection")


@pytest.fixture
def alice_http(postgresql, live_server) -> Iterator[Callable[..., requests.Response]]:
    """``call(method, path, **kwargs)``: one request of alice's to the live server, each thread
    with its own session (its own connection to the server)."""
    alice = User.objects.create_user(email="alice@example.com", password="x-password-1")
    token = make_token(alice, "read write delete").token
    local = threading.local()
    sessions: list[requests.Session] = []

    def call(method: str, path: str, **kwargs: Any) -> requests.Response:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
            sessions.append(session)
        return session.request(method, f"{live_server.url}{path}", timeout=60, **kwargs)

    yield call
    # A kept-alive HTTP connection keeps its server thread, and that thread's database
    # connection, until it closes: close them, so the test database can be dropped.
    for session in sessions:
        session.close()


def together(count: int, send: Callable[[int], requests.Response]) -> list[requests.Response]:
    """``send(i)`` for i in range(count), every one in its own thread, released at once."""
    start = threading.Barrier(count)

    def run(i: int) -> requests.Response:
        start.wait(timeout=30)
        return send(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def answered(responses: list[requests.Response], allowed: set[int]) -> Counter[int]:
    """Every answer is an envelope with an allowed status; a 422 says why in a sentence."""
    for response in responses:
        assert response.status_code in allowed, response.text
        body = response.json()
        assert body["success"] is (response.status_code < 400), body
        if response.status_code == 422:
            assert body["message"] == "Invalid" and body["invalid"], body
            assert all(isinstance(s, str) and " " in s for s in body["invalid"]), body
    return Counter(r.status_code for r in responses)


def make_portfolio(call, currencies=("btc", "usd")) -> int:
    response = call("POST", "/api/portfolios", json={"title": "Main", "currencies": currencies})
    assert response.status_code == 201, response.text
    return response.json()["result"]["id"]


def test_twenty_clients_patching_one_portfolios_currencies(alice_http):
    # Given a portfolio, and twenty different lists of reporting currencies
    portfolio_id = make_portfolio(alice_http)
    pool = ["btc", "usd", "eur", "ltc", "eth", "nzd", "gbp", "jpy"]
    wanted = [[pool[(i + k) % len(pool)] for k in range(1 + i % 5)] for i in range(20)]
    wanted = [w if i % 2 else list(reversed(w)) for i, w in enumerate(wanted)]

    # When twenty clients PATCH them at once
    responses = together(
        20,
        lambda i: alice_http(
            "PATCH", f"/api/portfolios/{portfolio_id}", json={"currencies": wanted[i]}
        ),
    )

    # Then every one was answered 200 with one whole list, and the stored list is one of them,
    # in its order
    assert answered(responses, {200}) == {200: 20}
    for response in responses:
        shown = [c["code"] for c in response.json()["result"]["currencies"]]
        assert shown in wanted
    stored = list(
        PortfolioCurrency.objects.filter(portfolio_id=portfolio_id)
        .order_by("position")
        .values_list("currency__code", flat=True)
    )
    assert stored in wanted
    assert list(
        PortfolioCurrency.objects.filter(portfolio_id=portfolio_id)
        .order_by("position")
        .values_list("position", flat=True)
    ) == list(range(len(stored)))


def test_two_renames_to_one_title_with_other_currencies(alice_http):
    # Given two portfolios (titles need not be unique on /api/)
    first = make_portfolio(alice_http)
    second = make_portfolio(alice_http)
    bodies = [
        (first, {"title": "Savings", "currencies": ["eur", "btc"]}),
        (second, {"title": "Savings", "currencies": ["usd"]}),
        (first, {"title": "Savings", "currencies": ["ltc"]}),
        (second, {"title": "Savings", "currencies": ["nzd", "eth"]}),
    ]

    # When four clients rename them to one title at once, each with its own currencies
    responses = together(
        4, lambda i: alice_http("PATCH", f"/api/portfolios/{bodies[i][0]}", json=bodies[i][1])
    )

    # Then all were answered, both carry the title and each one request's currencies whole
    assert answered(responses, {200}) == {200: 4}
    for portfolio_id in (first, second):
        portfolio = Portfolio.objects.get(pk=portfolio_id)
        assert portfolio.title == "Savings"
        stored = list(
            PortfolioCurrency.objects.filter(portfolio=portfolio)
            .order_by("position")
            .values_list("currency__code", flat=True)
        )
        assert stored in [body["currencies"] for pid, body in bodies if pid == portfolio_id]


def test_simultaneous_adds_of_one_address(alice_http):
    # Given a portfolio
    portfolio_id = make_portfolio(alice_http)
    body = {"title": "cold", "address": BTC_ADDRESS, "currency": "btc"}

    # When eight clients add the same address at once
    responses = together(
        8, lambda i: alice_http("POST", f"/api/portfolios/{portfolio_id}/addresses", json=body)
    )

    # Then one was stored (201) and the others were told it is already there (422)
    assert answered(responses, {201, 422}) == {201: 1, 422: 7}
    for response in responses:
        if response.status_code == 422:
            assert response.json()["invalid"] == [
                f"address {BTC_ADDRESS} (btc) is already in this portfolio"
            ]
    assert Address.objects.filter(portfolio_id=portfolio_id).count() == 1


def test_four_simultaneous_replacements_of_an_offsets_balances(alice_http):
    # Given an offset, and four different sets of balances (overlapping currencies)
    portfolio_id = make_portfolio(alice_http)
    created = alice_http(
        "POST",
        f"/api/portfolios/{portfolio_id}/offsets",
        json={"title": "Paper", "balances": [{"currency": "btc", "balance": "1"}]},
    )
    assert created.status_code == 201, created.text
    offset_id = created.json()["result"]["id"]
    sets = [
        {"btc": "2", "eth": "3.5"},
        {"eth": "-1", "ltc": "4", "btc": "0.5"},
        {"ltc": "7"},
        {"btc": "9.123456789012345678", "usd": "-20", "eth": "1"},
    ]
    titles = [f"Paper {i}" for i in range(4)]

    # When four clients replace them at once
    responses = together(
        4,
        lambda i: alice_http(
            "PATCH",
            f"/api/portfolios/{portfolio_id}/offsets/{offset_id}",
            json={
                "title": titles[i],
                "balances": [{"currency": c, "balance": b} for c, b in sets[i].items()],
            },
        ),
    )

    # Then all were answered, and the offset holds exactly one request's title and balances
    assert answered(responses, {200}) == {200: 4}
    stored = {
        code: balance
        for code, balance in OffsetBalance.objects.filter(offset_id=offset_id).values_list(
            "currency__code", "balance"
        )
    }
    winner = [i for i, s in enumerate(sets) if {c: Decimal(b) for c, b in s.items()} == stored]
    assert len(winner) == 1, stored
    shown = alice_http("GET", f"/api/portfolios/{portfolio_id}/offsets/{offset_id}").json()
    assert shown["result"]["title"] == titles[winner[0]]


V3_HEAD = (
    "Timestamp,Transaction Type,Asset,Quantity Transacted,Spot Price Currency,"
    "Spot Price at Transaction,Subtotal,Total (inclusive of fees and/or spread),"
    "Fees and/or Spread,Notes\n"
)


def statement_of(assets: list[str], rows_per_asset: int, quantity: str) -> bytes:
    """A Coinbase statement buying each asset in turn, at the same times in every file (so the
    files observe the same prices), codes new to the currency table."""
    lines = [V3_HEAD]
    for a, asset in enumerate(assets):
        for n in range(rows_per_asset):
            lines.append(
                f"2023-{1 + a:02d}-{1 + n % 28:02d} {n % 24:02d}:00:{n % 60:02d} UTC,"
                f"Buy,{asset},{quantity},USD,10.00,15.00,15.00,0,Bought {quantity} {asset}\n"
            )
    return "".join(lines).encode()


NEW_CODES = ["CONCA", "CONCB", "CONCC", "CONCD", "CONCE", "CONCF"]
KNOWN_CODES = ["BTC", "ETH", "LTC", "SOL", "ADA", "DOT"]


@pytest.mark.parametrize("codes", [NEW_CODES, KNOWN_CODES], ids=["new codes", "known codes"])
@pytest.mark.parametrize(
    "wallets", [("Coinbase", "Coinbase"), ("Coinbase", "Coinbase Pro")], ids=["one", "two"]
)
def test_two_statements_imported_into_one_portfolio_at_once(alice_http, wallets, codes):
    # Given a portfolio without any wallet yet, and two different statements that bring the
    # same codes (new to the table or not), and the same observed prices, in opposite orders
    portfolio_id = make_portfolio(alice_http, currencies=("usd",))
    files = [
        statement_of(codes, 100, quantity="1.5"),
        statement_of(list(reversed(codes)), 100, quantity="2.5"),
    ]

    # When both are imported at once (into one wallet, or into two)
    responses = together(
        2,
        lambda i: alice_http(
            "POST",
            f"/api/portfolios/{portfolio_id}/ingest/csv",
            params={"wallet": wallets[i]},
            files={"file": (f"statement-{i}.csv", files[i], "text/csv")},
        ),
    )

    # Then both were stored whole, each as its own import
    assert answered(responses, {201}) == {201: 2}
    assert [r.json()["result"]["rows_added"] for r in responses] == [600, 600]
    assert Import.objects.filter(portfolio_id=portfolio_id).count() == 2
    stored = LedgerEntry.objects.filter(portfolio_id=portfolio_id)
    assert stored.count() == 1200
    expected = Counter({wallets[0]: 600}) + Counter({wallets[1]: 600})
    assert Counter(stored.values_list("wallet__name", flat=True)) == expected
