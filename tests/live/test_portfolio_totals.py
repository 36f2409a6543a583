"""GET /api/portfolios/ID/balances and /converted: the async contract and exact figures, with
Esplora and CoinGecko replayed (tests/live/conftest.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from addresses.models import AddressBalance, AddressFetchState
from currencies.models import Currency
from prices.models import SpotPrice
from tests.live.conftest import (
    BTC_OTHER,
    BTC_THIRD,
    COINGECKO,
    FETCH,
    PRICES,
    SPOT,
    add_address,
    add_offset,
    age_prices,
    make_portfolio,
    not_ready,
    ok,
    price_at,
    replay_coingecko,
    replay_esplora,
    synthetic_balance,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio(alice_api, mocked):
    """Btc and usd reporting; the fixture address (5.5535165 BTC) and an offset of
    0.5 btc and 2 ltc; explorers and CoinGecko replayed."""
    replay_esplora(mocked)
    replay_coingecko(mocked)
    pid = make_portfolio(alice_api)
    address = add_address(alice_api, pid)
    add_offset(alice_api, pid, {"btc": "0.5", "ltc": "2"})
    return {"id": pid, "address": address, "base": f"/api/portfolios/{pid}"}


def coingecko_calls(mocked) -> int:
    """Spot price requests (an address's first sync also asks for its daily history)."""
    return sum(1 for c in mocked.calls if c.request.url.startswith(f"{COINGECKO}/simple/price"))


def test_balances_not_ready_then_summed_per_currency(alice_api, portfolio, run_tasks):
    with run_tasks() as ran:
        not_ready(alice_api.get(f"{portfolio['base']}/balances"))
    assert ran.of(FETCH) == [(portfolio["address"],)] and ran.of(SPOT) == []

    rows = ok(alice_api.get(f"{portfolio['base']}/balances"))

    assert [(r["currency"]["code"], r["balance"], r["source"]) for r in rows] == [
        ("btc", "6.0535165", "calculated"),  # address + offset
        ("ltc", "2.0", "offset"),
        ("usd", "0.0", "calculated"),  # a reporting currency nobody holds
    ]
    assert all(set(r) == {"currency", "balance", "balance_at", "source"} for r in rows)
    assert all(r["balance_at"].endswith("+00:00") for r in rows)
    # a currency inside a row is {code, title} (API.md "Formats")
    assert [r["currency"] for r in rows] == [
        {"code": "btc", "title": "Bitcoin"},
        {"code": "ltc", "title": "Litecoin"},
        {"code": "usd", "title": "United States dollar"},
    ]


def test_converted_is_ready_after_one_round_of_fetches(alice_api, portfolio, mocked, run_tasks):
    # Given nothing fetched yet, the first call enqueues the address fetch and the prices
    with run_tasks() as ran:
        not_ready(alice_api.get(f"{portfolio['base']}/converted"))
    assert ran.of(FETCH) == [(portfolio["address"],)] and ran.of(SPOT) == [()]
    assert coingecko_calls(mocked) == 1

    # Then, once they ran, the whole portfolio valued exactly in each reporting currency
    response = alice_api.get(f"{portfolio['base']}/converted")
    rows = ok(response)

    assert [(r["currency"]["code"], r["balance"]) for r in rows] == [
        ("btc", "6.0567165"),  # 6.0535165 + 2 ltc * 0.0016
        ("usd", "363414.51675825"),  # 6.0535165 * 60000.5 + 2 * 100.25
    ]
    assert {r["source"] for r in rows} == {"calculated"}
    assert [r["currency"]["title"] for r in rows] == ["Bitcoin", "United States dollar"]
    assert response.json()["unpriced"] == []
    # the age of the figures is the oldest input: here the price time CoinGecko gave
    assert {r["balance_at"] for r in rows} == {price_at().isoformat()}


def test_half_a_bitcoin_at_60000_5_is_30000_25(alice_api, mocked, run_tasks):
    replay_coingecko(mocked)
    pid = make_portfolio(alice_api, currencies=["usd"])
    add_offset(alice_api, pid, {"btc": "0.5"})

    with run_tasks():
        not_ready(alice_api.get(f"/api/portfolios/{pid}/converted"))
    rows = ok(alice_api.get(f"/api/portfolios/{pid}/converted"))

    assert rows == [
        {
            "currency": {"code": "usd", "title": "United States dollar"},
            "balance": "30000.25",
            "balance_at": price_at().isoformat(),
            "source": "calculated",
        }
    ]
    stored = SpotPrice.objects.get(base__code="btc", quote__code="usd")
    assert stored.price == Decimal("60000.5") and stored.source == "coingecko"


def test_an_asset_with_no_price_is_left_out_and_listed_unpriced(alice_api, mocked, run_tasks):
    # Given a currency CoinGecko does not know (no coingecko_id), one it does not answer for
    # (doge is not in the replayed prices), and bitcoin
    Currency.objects.create(code="zzz", title="Unlisted coin", is_cryptocurrency=True)
    replay_coingecko(mocked)
    pid = make_portfolio(alice_api, currencies=["usd", "eur"])
    add_offset(alice_api, pid, {"btc": "0.5", "zzz": "1000", "doge": "10"})

    with run_tasks():
        not_ready(alice_api.get(f"/api/portfolios/{pid}/converted"))
    response = alice_api.get(f"/api/portfolios/{pid}/converted")

    rows = ok(response)
    assert [(r["currency"]["code"], r["balance"]) for r in rows] == [
        ("eur", "27500.125"),
        ("usd", "30000.25"),
    ]
    assert response.json()["unpriced"] == ["doge", "zzz"]
    # and asking again neither waits nor refetches: the prices were tried
    with run_tasks() as ran:
        ok(alice_api.get(f"/api/portfolios/{pid}/converted"))
    assert ran.calls == []


def test_fiat_holdings_convert_through_the_bitcoin_price(alice_api, mocked, run_tasks):
    replay_coingecko(mocked)
    pid = make_portfolio(alice_api, currencies=["btc", "eur"])
    add_offset(alice_api, pid, {"usd": "60000.5"})

    with run_tasks():
        not_ready(alice_api.get(f"/api/portfolios/{pid}/converted"))
    rows = ok(alice_api.get(f"/api/portfolios/{pid}/converted"))

    # usd -> btc is the inverse of btc/usd; usd -> eur bridges through btc
    assert [(r["currency"]["code"], r["balance"]) for r in rows] == [
        ("btc", "1.0"),
        ("eur", "55000.25"),
    ]


def test_last_updated_fields_become_set(alice_api, portfolio, run_tasks):
    before = ok(alice_api.get(portfolio["base"]))
    assert before["balances_last_updated"] is None
    assert before["converted_balances_last_updated"] is None

    with run_tasks():
        not_ready(alice_api.get(f"{portfolio['base']}/converted"))

    after = ok(alice_api.get(portfolio["base"]))
    for field in (
        "balances_last_updated",
        "histories_last_updated",
        "converted_balances_last_updated",
    ):
        assert datetime.fromisoformat(after[field]) <= timezone.now(), field


def _ready(alice_api, portfolio, capture):
    with capture():
        not_ready(alice_api.get(f"{portfolio['base']}/converted"))
    ok(alice_api.get(f"{portfolio['base']}/converted"))


def test_stale_balances_are_answered_with_their_age_and_refreshed(
    alice_api, portfolio, mocked, run_tasks
):
    _ready(alice_api, portfolio, run_tasks)
    old = timezone.now().replace(microsecond=0) - timedelta(hours=3)
    AddressFetchState.objects.filter(address_id=portfolio["address"]).update(
        balances_fetched_at=old
    )

    with run_tasks() as ran:
        rows = ok(alice_api.get(f"{portfolio['base']}/balances"))
    by_code = {r["currency"]["code"]: r for r in rows}
    assert by_code["btc"]["balance"] == "6.0535165"
    assert by_code["btc"]["balance_at"] == old.isoformat()
    assert ran.of(FETCH) == [(portfolio["address"],)] and ran.of(SPOT) == []
    fresh = AddressFetchState.objects.get(address_id=portfolio["address"]).balances_fetched_at
    assert fresh > old


def test_stale_prices_are_answered_and_refreshed(alice_api, portfolio, mocked, run_tasks):
    _ready(alice_api, portfolio, run_tasks)
    calls = coingecko_calls(mocked)
    age_prices(timedelta(hours=1))

    with run_tasks() as ran:
        ok(alice_api.get(f"{portfolio['base']}/converted"))

    assert ran.of(SPOT) == [()] and ran.of(FETCH) == []
    assert coingecko_calls(mocked) == calls + 1


def test_prices_that_stay_old_are_not_refetched_on_every_request(
    alice_api, portfolio, mocked, run_tasks
):
    # A coin CoinGecko stopped answering keeps its old price, or CoinGecko is down: the last
    # attempt was just now, so requests do not enqueue another one each
    _ready(alice_api, portfolio, run_tasks)
    SpotPrice.objects.filter(base__code="ltc").update(fetched_at=timezone.now() - timedelta(days=1))

    with run_tasks() as ran:
        for _ in range(3):
            ok(alice_api.get(f"{portfolio['base']}/converted"))

    assert ran.calls == []


def test_prices_fetched_recently_are_not_refetched_whatever_their_quote_time(
    alice_api, portfolio, mocked, run_tasks
):
    # CoinGecko's last_updated_at of a quiet coin can be hours old: what counts is when we
    # asked, else every request would enqueue another refresh
    _ready(alice_api, portfolio, run_tasks)
    SpotPrice.objects.update(at=timezone.now() - timedelta(days=2))

    with run_tasks() as ran:
        ok(alice_api.get(f"{portfolio['base']}/converted"))

    assert ran.calls == []


def test_concurrent_requests_enqueue_one_fetch_per_address_and_one_price_refresh(
    alice_api, enqueued, run_tasks
):
    pid = make_portfolio(alice_api)
    ids = [
        add_address(alice_api, pid, a)
        for a in ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", BTC_OTHER, BTC_THIRD)
    ]

    with run_tasks():
        for _ in range(5):
            not_ready(alice_api.get(f"/api/portfolios/{pid}/balances"))
            not_ready(alice_api.get(f"/api/portfolios/{pid}/converted"))

    assert sorted(enqueued.of("addresses.tasks.address_fetch")) == [(i,) for i in sorted(ids)]
    assert enqueued.of("prices.tasks.prices_refresh_spot") == [()]


def test_try_again_at_follows_the_address_being_fetched_not_another_ones_backoff(
    alice_api, mocked, run_tasks
):
    # Given one address fetched but failing (next retry in 6 hours) and a new one
    pid = make_portfolio(alice_api)
    failing = add_address(alice_api, pid, BTC_OTHER)
    now = timezone.now()
    AddressFetchState.objects.create(
        address_id=failing,
        balances_fetched_at=now - timedelta(hours=1),
        failures=3,
        error="boom",
        next_retry_at=now + timedelta(hours=6),
    )
    replay_esplora(mocked, BTC_THIRD)
    add_address(alice_api, pid, BTC_THIRD)

    with run_tasks():
        when = not_ready(alice_api.get(f"/api/portfolios/{pid}/balances"))

    # Then the client is told to come back when the new one is fetched, not in 6 hours
    assert when < now + timedelta(minutes=1)
    rows = ok(alice_api.get(f"/api/portfolios/{pid}/balances"))
    assert rows[0]["balance"] == str(synthetic_balance(BTC_THIRD))


def test_an_address_failing_its_first_fetch_says_when_it_is_retried(alice_api, mocked, run_tasks):
    pid = make_portfolio(alice_api)
    address = add_address(alice_api, pid, BTC_OTHER)
    retry = timezone.now() + timedelta(minutes=10)
    AddressFetchState.objects.create(
        address_id=address, failures=1, error="HTTP 500", next_retry_at=retry
    )

    with run_tasks() as ran:
        when = not_ready(alice_api.get(f"/api/portfolios/{pid}/balances"))

    assert when == retry.replace(microsecond=0)
    assert ran.calls == []  # the backoff is respected


def test_a_rejected_address_does_not_block_the_totals(alice_api, mocked, run_tasks):
    pid = make_portfolio(alice_api)
    add_address(alice_api, pid, BTC_OTHER)
    mocked.get(
        f"http://esplora.test/api/address/{BTC_OTHER}", status=400, body="Invalid Bitcoin address"
    )
    add_offset(alice_api, pid, {"btc": "1"})

    with run_tasks():
        not_ready(alice_api.get(f"/api/portfolios/{pid}/balances"))
    rows = ok(alice_api.get(f"/api/portfolios/{pid}/balances"))

    assert [(r["currency"]["code"], r["balance"]) for r in rows] == [("btc", "1.0"), ("usd", "0.0")]


def _seed(portfolio_id: int, n_addresses: int, user) -> None:
    """``n`` fetched addresses with a balance, two offsets, fresh prices."""
    from addresses.models import Address
    from offsets.models import Offset, OffsetBalance

    btc, ltc, usd = (Currency.objects.get(code=c) for c in ("btc", "ltc", "usd"))
    now = timezone.now()
    for i in range(n_addresses):
        address = Address.objects.create(portfolio_id=portfolio_id, address=f"a{i}", currency=btc)
        AddressFetchState.objects.create(address=address, balances_fetched_at=now)
        AddressBalance.objects.create(
            address=address, currency=btc, balance=Decimal(i), source="esplora-btc"
        )
    for i in range(2):
        offset = Offset.objects.create(portfolio_id=portfolio_id, title=f"o{i}")
        OffsetBalance.objects.create(offset=offset, currency=ltc, balance=Decimal(1))
    for base in (btc, ltc):
        SpotPrice.objects.update_or_create(
            base=base,
            quote=usd,
            defaults={
                "price": Decimal(PRICES["bitcoin"]["usd"]),
                "at": now,
                "source": "coingecko",
                "fetched_at": now,
            },
        )


@pytest.mark.parametrize("endpoint", ["balances", "converted"])
def test_query_count_does_not_grow_with_addresses(alice, alice_api, endpoint):
    small, large = make_portfolio(alice_api, "small"), make_portfolio(alice_api, "large")
    _seed(small, 2, alice)
    _seed(large, 20, alice)

    counts = []
    for pid in (small, large):
        with CaptureQueriesContext(connection) as queries:
            ok(alice_api.get(f"/api/portfolios/{pid}/{endpoint}"))
        counts.append(len(queries))

    assert counts[0] == counts[1], counts
