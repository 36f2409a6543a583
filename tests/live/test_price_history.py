"""When an asset first appears in a portfolio (a statement import, an address whose history is
fetched, "refresh now"), its daily prices over the whole held period are fetched at once from
CoinGecko (replayed), not at the nightly run; each backfill is enqueued once."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from portfolios.history_fetch import portfolio_price_history_ensure
from prices.models import Price
from tests.live.conftest import (
    COINGECKO,
    ESPLORA,
    Enqueued,
    esplora_address_doc,
    esplora_receipt,
    fixture_text,
    make_portfolio,
    ok,
    replay_coingecko,
)

pytestmark = pytest.mark.django_db

PRO = "https://pro-api.coingecko.com/api/v3"
HEAD = (
    "\nTransactions\nUser,Jane Doe,1d5ebcbd-f257-5d9c-9fc2-d433a527aa71\n"
    "ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,"
    "Price at Transaction,Subtotal,Total (inclusive of fees and/or spread),"
    "Fees and/or Spread,Notes\n"
)
# A daily close per coin and vs currency, plus the day's ordinal in cents: every day differs.
BASE_PRICE = {("bitcoin", "usd"): 50000, ("ethereum", "usd"): 3000, ("bitcoin", "eur"): 46000}


def close(coin: str, vs: str, day: date) -> Decimal:
    return Decimal(BASE_PRICE[(coin, vs)]) + Decimal(day.toordinal() % 1000) / 100


def today() -> date:
    return datetime.now(UTC).date()


def midnight(day: date) -> int:
    return int(datetime.combine(day, time.min, UTC).timestamp())


def replay_market_chart(rsps: responses.RequestsMock, base: str = COINGECKO) -> None:
    """``/coins/{id}/market_chart/range`` as CoinGecko answers a range of more than 90 days:
    one point per day at 00:00 UTC (milliseconds), numbers as JSON numbers. Hand-made, since
    the held period ends today and a recording would not; the published answer is checked in
    tests/prices/test_coingecko.py (coingecko/market_chart_range_docs_example.json)."""

    def answer(request):
        url = urlsplit(request.url)
        coin = url.path.split("/coins/")[1].split("/")[0]
        query = parse_qs(url.query)
        vs, start, end = query["vs_currency"][0], int(query["from"][0]), int(query["to"][0])
        day = datetime.fromtimestamp(start, UTC).date()
        points = []
        while midnight(day) <= end:
            points.append(f"[{midnight(day) * 1000}, {close(coin, vs, day)}]")
            day += timedelta(days=1)
        body = f'{{"prices": [{", ".join(points)}], "market_caps": [], "total_volumes": []}}'
        return (200, {"Content-Type": "application/json"}, body)

    for coin in ("bitcoin", "ethereum"):
        rsps.add_callback(responses.GET, f"{base}/coins/{coin}/market_chart/range", callback=answer)


def chart_calls(rsps: responses.RequestsMock) -> list[tuple[str, str, int, int]]:
    """(coin, vs currency, from, to) of every history request, in order."""
    calls = []
    for call in rsps.calls:
        url = urlsplit(str(call.request.url))
        if "/market_chart/range" in url.path:
            query = parse_qs(url.query)
            coin = url.path.split("/coins/")[1].split("/")[0]
            calls.append(
                (coin, query["vs_currency"][0], int(query["from"][0]), int(query["to"][0]))
            )
    return calls


def stored_days(code: str, quote: str) -> list[date]:
    return [
        at.date()
        for at in Price.objects.filter(
            base__code=code, quote__code=quote, kind=Price.DAILY, source="coingecko"
        )
        .order_by("at")
        .values_list("at", flat=True)
    ]


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def buy(row_id: int, code: str, quantity: str, price: str, days_ago: int) -> str:
    when = datetime.combine(today() - timedelta(days=days_ago), time(10), UTC)
    return (
        f"67e4692a51067e1c6429{row_id:04d},{when:%Y-%m-%d %H:%M:%S} UTC,Buy,{code},{quantity},"
        f"USD,${price},$1,$1,$0.00,\n"
    )


def upload(api, pid: int, text: str):
    file = io.BytesIO(text.encode())
    file.name = "statement.csv"
    return api.post(f"/api/portfolios/{pid}/ingest/csv", {"file": file}, format="multipart")


def last_second(day: date) -> int:
    return midnight(day + timedelta(days=1)) - 1


def test_a_statement_import_fetches_each_new_assets_daily_prices_over_its_held_period(
    alice_api, mocked, run_tasks
):
    # Given CoinGecko's history and a USD portfolio
    replay_market_chart(mocked)
    pid = make_portfolio(alice_api, currencies=("usd",))
    yesterday = today() - timedelta(days=1)

    # When a statement buying BTC 40 days ago and ETH 20 days ago is imported
    with run_tasks():
        ok(
            upload(
                alice_api,
                pid,
                HEAD + buy(1, "BTC", "0.5", "50000", 40) + buy(2, "ETH", "2", "3000", 20),
            ),
            201,
        )

    # Then each asset's history was asked for at once, from its first day to yesterday
    btc_from, eth_from = today() - timedelta(days=40), today() - timedelta(days=20)
    assert sorted(chart_calls(mocked)) == [
        ("bitcoin", "usd", midnight(btc_from), last_second(yesterday)),
        ("ethereum", "usd", midnight(eth_from), last_second(yesterday)),
    ]
    # And one daily close is stored for every day of the held period
    assert stored_days("btc", "usd") == days_between(btc_from, yesterday)
    assert stored_days("eth", "usd") == days_between(eth_from, yesterday)

    # And the value history is built on them: 0.5 BTC + 2 ETH ten days ago
    ten_days_ago = today() - timedelta(days=10)
    rows = ok(alice_api.get(f"/api/portfolios/{pid}/converted/history?days=11"))
    assert rows[0]["date"] == ten_days_ago.isoformat() and rows[0]["unpriced"] == []
    expected = Decimal("0.5") * close("bitcoin", "usd", ten_days_ago) + 2 * close(
        "ethereum", "usd", ten_days_ago
    )
    assert Decimal(rows[0]["balance"]) == expected

    # And a second statement of the same assets asks nothing more: the days are stored
    mocked.calls.reset()
    with run_tasks():
        ok(upload(alice_api, pid, HEAD + buy(3, "BTC", "0.1", "50000", 30)), 201)
    assert chart_calls(mocked) == []


def test_an_address_fetches_its_currencys_prices_from_its_first_transaction(
    alice_api, mocked, run_tasks
):
    # Given a Bitcoin address whose one receipt is 25 days old, and CoinGecko
    address = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
    received = datetime.combine(today() - timedelta(days=25), time(8), UTC)
    mocked.get(f"{ESPLORA}/address/{address}", json=esplora_address_doc(address, funded=10**8))
    mocked.get(
        f"{ESPLORA}/address/{address}/txs",
        json=[esplora_receipt(address, "ab" * 32, 10**8, int(received.timestamp()), 870_000)],
    )
    replay_coingecko(mocked)
    replay_market_chart(mocked)
    pid = make_portfolio(alice_api, currencies=("usd",))

    # When the address is added and its first fetch runs
    with run_tasks():
        body = {"title": "cold", "address": address, "currency": "btc"}
        aid = ok(alice_api.post(f"/api/portfolios/{pid}/addresses", body, format="json"), 201)["id"]
        alice_api.get(f"/api/portfolios/{pid}/addresses/{aid}/balances")

    # Then BTC's daily prices were fetched from the receipt's day to yesterday and stored
    yesterday = today() - timedelta(days=1)
    assert chart_calls(mocked) == [
        ("bitcoin", "usd", midnight(received.date()), last_second(yesterday))
    ]
    assert stored_days("btc", "usd") == days_between(received.date(), yesterday)


@pytest.mark.parametrize(
    "base, first_day",
    [
        (COINGECKO, lambda: today() - timedelta(days=364)),  # keyless: the last 365 days
        (PRO, lambda: today() - timedelta(days=500)),  # a paid plan reaches further back
    ],
    ids=["keyless", "pro"],
)
def test_days_beyond_the_plans_reach_are_not_asked_for(
    alice_api, mocked, run_tasks, live_settings, base, first_day
):
    live_settings.COINGECKO_URL = base
    replay_market_chart(mocked, base)
    pid = make_portfolio(alice_api, currencies=("usd",))

    with run_tasks():
        ok(upload(alice_api, pid, HEAD + buy(1, "BTC", "1", "20000", 500)), 201)

    yesterday = today() - timedelta(days=1)
    assert chart_calls(mocked) == [
        ("bitcoin", "usd", midnight(first_day()), last_second(yesterday))
    ]
    assert stored_days("btc", "usd") == days_between(first_day(), yesterday)


def test_a_refused_history_fetch_stores_nothing_and_breaks_nothing(alice_api, mocked, run_tasks):
    # CoinGecko refuses (its 401 for a range its plan does not serve, error 10012): the import
    # still succeeds, and the refusal is logged for the next trigger to try again
    mocked.get(
        f"{COINGECKO}/coins/bitcoin/market_chart/range",
        status=401,
        body=fixture_text("coingecko/error_365_days.json"),
        content_type="application/json",
    )
    pid = make_portfolio(alice_api, currencies=("usd",))
    with run_tasks():
        ok(upload(alice_api, pid, HEAD + buy(1, "BTC", "1", "20000", 10)), 201)
    assert len(chart_calls(mocked)) == 1 and stored_days("btc", "usd") == []


def test_an_unreachable_coingecko_is_asked_once_not_once_per_asset(alice_api, mocked, run_tasks):
    # Given CoinGecko failing (500) and a statement of two new assets
    for coin in ("bitcoin", "ethereum"):
        mocked.get(f"{COINGECKO}/coins/{coin}/market_chart/range", status=500, json={})
    pid = make_portfolio(alice_api, currencies=("usd",))
    with run_tasks():
        ok(
            upload(
                alice_api,
                pid,
                HEAD + buy(1, "BTC", "1", "20000", 15) + buy(2, "ETH", "1", "2000", 9),
            ),
            201,
        )
    # Then one request is all that was sent: no in-process retries, and the second backfill
    # pauses instead of spending a worker and the shared rate limit on it
    assert len(chart_calls(mocked)) == 1
    assert stored_days("btc", "usd") == stored_days("eth", "usd") == []


def test_refresh_now_fetches_the_history_a_failed_fetch_missed(alice_api, mocked, run_tasks):
    from django.core.cache import cache

    from prices.history import PAUSE_KEY

    # Given a statement imported while CoinGecko failed (nothing stored)
    mocked.get(f"{COINGECKO}/coins/bitcoin/market_chart/range", status=500, json={})
    pid = make_portfolio(alice_api, currencies=("usd",))
    with run_tasks():
        ok(upload(alice_api, pid, HEAD + buy(1, "BTC", "1", "20000", 15)), 201)
    assert stored_days("btc", "usd") == []

    # When, after the pause, CoinGecko answers again and the user presses "refresh now"
    cache.delete(PAUSE_KEY)
    mocked.reset()
    replay_coingecko(mocked)
    replay_market_chart(mocked)
    with run_tasks():
        ok(alice_api.post(f"/api/portfolios/{pid}/refresh"))

    # Then the held period's prices are fetched
    yesterday = today() - timedelta(days=1)
    assert stored_days("btc", "usd") == days_between(today() - timedelta(days=15), yesterday)


def test_a_backfill_is_enqueued_once_across_processes(
    alice_api, monkeypatch, settings, django_capture_on_commit_callbacks
):
    """Two processes (sharing the cache) seeing the same new asset enqueue one fetch."""
    from prices.tasks import prices_backfill_history

    settings.TASKS_SYNC = False
    settings.TASKS_IN_PROCESS = False
    record = Enqueued()
    monkeypatch.setattr(
        prices_backfill_history, "apply_async", record.record(prices_backfill_history.name)
    )
    pid = make_portfolio(alice_api, currencies=("usd", "eur"))
    ok(upload(alice_api, pid, HEAD + buy(1, "BTC", "1", "20000", 12)), 201)

    with django_capture_on_commit_callbacks(execute=True):
        first = portfolio_price_history_ensure(portfolio_id=pid)
        second = portfolio_price_history_ensure(portfolio_id=pid)

    start = today() - timedelta(days=12)
    assert first == {"btc": start} and second == {}
    assert record.of(prices_backfill_history.name) == [("btc", ["eur", "usd"], start.isoformat())]


def test_a_crypto_reporting_currency_is_fetched_over_the_portfolios_period(
    alice_api, mocked, run_tasks
):
    # ETH held in a portfolio reporting in BTC: ETH -> BTC bridges through USD, so BTC's
    # daily USD prices are needed over the same days.
    replay_market_chart(mocked)
    pid = make_portfolio(alice_api, currencies=("btc",))
    with run_tasks():
        ok(upload(alice_api, pid, HEAD + buy(1, "ETH", "3", "3000", 8)), 201)
    yesterday = today() - timedelta(days=1)
    first = today() - timedelta(days=8)
    assert stored_days("eth", "usd") == days_between(first, yesterday)
    assert stored_days("btc", "usd") == days_between(first, yesterday)
    # and the history in BTC is priced on those days, hand-computed through USD
    day = today() - timedelta(days=3)
    row = ok(alice_api.get(f"/api/portfolios/{pid}/converted/history?days=4"))[0]
    assert row["date"] == day.isoformat() and row["unpriced"] == []
    expected = 3 * close("ethereum", "usd", day) / close("bitcoin", "usd", day)
    assert abs(Decimal(row["balance"]) - expected) < Decimal("1e-17")


def test_the_nightly_check_fetches_what_a_failed_backfill_missed(alice_api, mocked, run_tasks):
    from celery import current_app
    from django.core.cache import cache

    from portfolios.tasks import portfolios_price_history_ensure
    from prices.history import PAUSE_KEY

    # Given a statement imported while CoinGecko failed
    mocked.get(f"{COINGECKO}/coins/ethereum/market_chart/range", status=503, json={})
    pid = make_portfolio(alice_api, currencies=("usd",))
    with run_tasks():
        ok(upload(alice_api, pid, HEAD + buy(1, "ETH", "1", "2000", 6)), 201)
    assert stored_days("eth", "usd") == []

    # When the nightly check runs (scheduled after the nightly history) and CoinGecko answers
    schedule = current_app.conf.beat_schedule["portfolios-price-history-ensure"]
    assert schedule["task"] == portfolios_price_history_ensure.name
    cache.delete(PAUSE_KEY)
    mocked.reset()
    replay_market_chart(mocked)
    with run_tasks():
        assert portfolios_price_history_ensure.apply().get() == 1

    # Then the held period is stored
    yesterday = today() - timedelta(days=1)
    assert stored_days("eth", "usd") == days_between(today() - timedelta(days=6), yesterday)
