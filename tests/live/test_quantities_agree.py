"""One number for one thing: a portfolio with a Coinbase statement, a Bitcoin address and an
offset shows the same quantity of each asset on every page and endpoint (README "What counts
where").

The statement (imported through the API) holds, by hand:

    BTC  buy 0.2, buy 0.05, send 0.03 to an untracked address        -> 0.22 held
    ETH  buy 2 (2021-01-06, $2,420 with fee), convert 1.5 to ETH2,
         unstaking 0.2 ETH2 -> ETH, ETH2 deprecation 1.308 -> ETH,
         buy 0.5 (2025-02-01, $1,565)                               -> 2.508 held
    ETH2 1.5 from the convert (2021-01-10, $1,875) + 0.008 staking
         income (2022-01-01, $29.60) - 0.2 - 1.308                   -> 0 held

The fixture address holds 5.5535165 BTC confirmed (its history also has one unconfirmed
receipt of 0.0025 BTC, which counts nowhere until it confirms); the offset 0.5 BTC and 2 ETH.

So every page says BTC 6.2735165 (5.5535165 + 0.22 + 0.5) and ETH 4.508 (2.508 + 2). The cost
basis has lots for everything but the offset: BTC 5.7735165, ETH 2.508 (FIFO: 0.5 left of the
2021 buy at $605, the 1.5 ETH2 of the convert back as ETH at $1,875, the staking lot at $29.60,
the 2025 buy at $1,565: $4,074.60).
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.dashboard.conftest import signed_in
from tests.live.conftest import (
    PRICES,
    add_address,
    add_offset,
    make_portfolio,
    not_ready,
    ok,
    replay_coingecko,
    replay_esplora,
)

pytestmark = pytest.mark.django_db

D = Decimal

STATEMENT = """\ufeff
Transactions
User,Alice,1d5ebcbd-f257-5d9c-9fc2-d433a527aa71
ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,Price at Transaction,\
Subtotal,Total (inclusive of fees and/or spread),Fees and/or Spread,Notes
67ade0f0a1b2c3d4e5f60001,2025-02-01 12:00:00 UTC,Buy,ETH,0.5,USD,"$3,100.00","$1,550.00",\
"$1,565.00",$15.00,Bought 0.5 ETH for 1565 USD
6790127e72f68cfd3d2f8967,2025-01-21 21:32:46 UTC,Retail Eth2 Deprecation,ETH,1.308,USD,\
"$3,184.30","$4,165.06","$4,165.06",$0.00,
6790127d16ae7f24e1e0e0b5,2025-01-21 21:32:45 UTC,Retail Eth2 Deprecation,ETH2,-1.308,USD,\
"$3,184.30","-$4,165.06","-$4,165.06",$0.00,
66faa0d0019853ddcae6beff,2024-09-30 13:00:00 UTC,Send,BTC,-0.03,USD,"$63,500.00",-$1905.00,\
-$1905.00,$0.00,Sent 0.03 BTC to bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh
64e2237229f8c173a097e46a,2023-08-20 14:30:10 UTC,Buy,BTC,0.05,USD,"$26,100.00","$1,305.00",\
"$1,310.00",$5.00,Bought 0.05 BTC for 1310 USD
6478de40a1b2c3d4e5f60003,2023-06-01 18:00:01 UTC,Retail Unstaking Transfer,ETH,0.2,USD,\
"$1,860.00",$372.00,$372.00,$0.00,
6478de40a1b2c3d4e5f60002,2023-06-01 18:00:00 UTC,Retail Unstaking Transfer,ETH2,-0.2,USD,\
"$1,860.00",-$372.00,-$372.00,$0.00,
63b7e680258cc0fc327716db,2023-01-06 09:14:40 UTC,Buy,BTC,0.2,USD,"$16,850.00","$3,370.00",\
"$3,380.00",$10.00,Bought 0.2 BTC for 3380 USD
61cf9980a1b2c3d4e5f60004,2022-01-01 00:00:00 UTC,Staking Income,ETH2,0.008,USD,"$3,700.00",\
$29.60,$29.60,$0.00,
5ffa4440a1b2c3d4e5f60005,2021-01-10 00:00:00 UTC,Convert,ETH,-1.5,USD,"$1,250.00",\
"-$1,875.00","-$1,875.00",$0.00,Converted 1.5 ETH to 1.5 ETH2
5ff57e40a1b2c3d4e5f60006,2021-01-06 12:00:00 UTC,Buy,ETH,2,USD,"$1,200.00","$2,400.00",\
"$2,420.00",$20.00,Bought 2 ETH for 2420 USD
5ff42cc0a1b2c3d4e5f60007,2021-01-05 12:00:00 UTC,Deposit,USD,10000,USD,$1.00,"$10,000.00",\
"$10,000.00",$0.00,
"""

HELD = {"btc": D("6.2735165"), "eth": D("4.508")}
WITH_LOTS = {"btc": D("5.7735165"), "eth": D("2.508")}
OFFSET = {"btc": D("0.5"), "eth": D("2")}
ETH_COST = D("605") + D("1875") + D("29.60") + D("1565")


def code(row) -> str:
    """A row's currency code, whether the currency is written as a code or as {code, title}."""
    currency = row["currency"]
    return currency["code"] if isinstance(currency, dict) else currency


@pytest.fixture
def portfolio(alice_api, mocked, run_tasks):
    """The portfolio of the module docstring, with every fetch done and the cost basis built."""
    replay_esplora(mocked)
    replay_coingecko(mocked)
    pid = make_portfolio(alice_api, currencies=["usd", "btc"])
    base = f"/api/portfolios/{pid}"
    file = io.BytesIO(STATEMENT.encode())
    file.name = "statement.csv"
    with run_tasks():
        ok(alice_api.post(f"{base}/ingest/csv", {"file": file}, format="multipart"), 201)
        add_address(alice_api, pid)
        add_offset(alice_api, pid, {"btc": "0.5", "eth": "2"})
    with run_tasks():
        not_ready(alice_api.get(f"{base}/converted"))
    with run_tasks():
        response = alice_api.get(f"{base}/cost-basis")
        if response.status_code == 503:
            not_ready(response)
    return pid


def by_code(rows, field: str) -> dict[str, Decimal]:
    return {code(r): D(r[field]) for r in rows if D(r[field]) != 0}


def page_quantities(html: str, section: str) -> dict[str, Decimal]:
    """The Quantity column of the table under the heading with id ``section``: one row per
    currency, the code in the first cell, the quantity in the second (its first number)."""
    part = html.split(f'id="{section}"', 1)[1].split("</table>", 1)[0]
    body = part.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    found = {}
    for row in body.split("<tr")[1:]:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        name = re.sub(r"<[^>]+>", " ", cells[0]).split()[0].lower()
        match = re.search(r"[-\d.,]+", re.sub(r"<[^>]+>", " ", cells[1]))
        assert match is not None, cells[1]
        number = match.group(0)
        found[name] = D(number.replace(",", ""))
    return found


def test_every_page_and_endpoint_shows_the_same_quantities(alice, alice_api, portfolio):
    base = f"/api/portfolios/{portfolio}"

    balances = by_code(ok(alice_api.get(f"{base}/balances")), "balance")
    assert balances == HELD

    # /converted values exactly those quantities (usd at the replayed spot prices)
    usd = next(r for r in ok(alice_api.get(f"{base}/converted")) if code(r) == "usd")
    spot = {"btc": D(PRICES["bitcoin"]["usd"]), "eth": D(PRICES["ethereum"]["usd"])}
    assert D(usd["balance"]) == sum(HELD[c] * spot[c] for c in HELD)

    summary = ok(alice_api.get(f"{base}/cost-basis"))
    assets = {code(a): a for a in summary["assets"]}
    assert {c: D(a["quantity"]) for c, a in assets.items() if D(a["quantity"])} == HELD
    for c in HELD:
        # the difference between what is held and what the lots cover is said, not hidden
        assert D(assets[c]["lots_quantity"]) == WITH_LOTS[c]
        assert D(assets[c]["without_lots"]) == HELD[c] - WITH_LOTS[c] == D(assets[c]["offsets"])
    assert "eth2" not in assets or D(assets["eth2"]["quantity"]) == 0

    client = signed_in(alice)
    detail = client.get(reverse("dashboard:portfolio-detail", args=[portfolio])).content.decode()
    assert page_quantities(detail, "holdings") == HELD
    page = client.get(reverse("dashboard:cost-basis", args=[portfolio])).content.decode()
    assert page_quantities(page, "positions-heading") == HELD
    # and the page says what the lots do not cover, and why
    assert "5.7735165 with lots" in page and "0.5 without lots, 0.5 of it in offsets" in page
    assert "2.508 with lots" in page and "2 without lots, 2 of it in offsets" in page
    assert "offsets are balances noted by hand" in page


def test_the_open_lots_are_the_quantity_with_lots(alice_api, portfolio):
    # The lots the API lists (outside the "elsewhere" pool) add up to the quantity with lots
    base = f"/api/portfolios/{portfolio}"
    lots = ok(alice_api.get(f"{base}/cost-basis/lots?limit=1000"))
    held_in_lots: dict[str, Decimal] = {}
    for lot in lots:
        if lot["pool"] != "elsewhere":
            held_in_lots[code(lot)] = held_in_lots.get(code(lot), D(0)) + D(
                lot["remaining_quantity"]
            )
    summary = ok(alice_api.get(f"{base}/cost-basis"))
    for asset in summary["assets"]:
        elsewhere = D(asset["elsewhere"])
        # universal pooling keeps the lots of coins sent elsewhere in the pool
        assert held_in_lots.get(code(asset), D(0)) - elsewhere == D(asset["lots_quantity"])


def test_the_overview_gain_is_on_the_quantity_with_lots_and_says_so(alice, portfolio):
    # ETH: 4.508 held, 2.508 with lots costing $4,074.60, at $3,000.75
    response = signed_in(alice).get(reverse("dashboard:portfolio-detail", args=[portfolio]))
    eth = next(h for h in response.context["holdings"] if h.currency.code == "eth")
    assert eth.quantity == HELD["eth"]
    assert eth.gain_quantity == WITH_LOTS["eth"]
    assert eth.cost == ETH_COST
    assert eth.unrealized == D("2.508") * D("3000.75") - ETH_COST
    html = response.content.decode()
    assert "on 2.508 ETH with lots" in html
