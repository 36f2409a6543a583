"""The stored totals (``PortfolioTotals``, issue 14): in the steady state ``balances`` and
``converted`` are answered from one query (the portfolio with its stored totals) with the same
JSON as a computed answer, and every change to what they are read from shows on the very next
request, never a stale total. Explorers and CoinGecko replayed (tests/live/conftest.py)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import responses
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from addresses.models import Address, AddressFetchState
from currencies.models import Currency
from portfolios.api_totals import total_rows_data
from portfolios.models import Portfolio
from portfolios.selectors import portfolio_valuation
from portfolios.selectors_totals import portfolio_get_with_totals, totals_counters
from portfolios.services_totals import portfolio_totals_store
from prices.services import prices_refresh_spot
from tests.conftest import client_for
from tests.ingest.conftest import statement, upload
from tests.live.conftest import (
    BTC_OTHER,
    ESPLORA,
    FETCH,
    PRICES,
    SPOT,
    add_address,
    add_offset,
    esplora_address_doc,
    make_portfolio,
    not_ready,
    ok,
    replay_coingecko,
    replay_esplora,
)

pytestmark = pytest.mark.django_db

# A computed answer: the portfolio, its reporting currencies, each source (addresses, offsets,
# ledger wallets, exchange accounts), the currency titles, and storing the answer; converted
# reads the spot prices too. A stored one: the portfolio joined with its stored totals.
COMPUTED = {"balances": 8, "converted": 9}
STORED = 1


# Authentication and throttling: the token (or, served from the token cache, its user), the
# database cache, django-axes.
NOT_OWN = ('"oauth2_provider_', '"cache_table"', "SAVEPOINT", '"axes_', 'FROM "users_user"')


def own_queries(queries: CaptureQueriesContext) -> int:
    """The request's queries but for authentication and throttling."""
    return sum(1 for q in queries.captured_queries if not any(word in q["sql"] for word in NOT_OWN))


def get(api, pid: int, endpoint: str, status: int = 200) -> tuple[dict, int]:
    """The whole answer (envelope without its ``time``) and the request's own query count."""
    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"/api/portfolios/{pid}/{endpoint}")
    assert response.status_code == status, response.content
    body = response.json()
    body.pop("time", None)
    return body, own_queries(queries)


def rows(api, pid: int, endpoint: str = "balances") -> dict[str, str]:
    body, _ = get(api, pid, endpoint)
    return {r["currency"]["code"]: r["balance"] for r in body["result"]}


def stored(api, pid: int, endpoint: str = "balances") -> dict:
    """Ask twice: the second answer comes from the stored totals."""
    get(api, pid, endpoint)
    body, count = get(api, pid, endpoint)
    assert count == STORED, count
    return body


@pytest.fixture
def steady(alice_api, mocked, run_tasks):
    """Btc and usd reporting; the fixture address (5.5535165 BTC, fetched) and an offset of
    0.5 btc and 2 ltc; prices fetched: nothing due."""
    replay_esplora(mocked)
    replay_coingecko(mocked)
    pid = make_portfolio(alice_api)
    address = add_address(alice_api, pid)
    offset = add_offset(alice_api, pid, {"btc": "0.5", "ltc": "2"})
    with run_tasks():
        not_ready(alice_api.get(f"/api/portfolios/{pid}/converted"))
    return {"id": pid, "address": address, "offset": offset}


@pytest.mark.parametrize("endpoint", ["balances", "converted"])
def test_the_second_request_is_one_query_with_the_same_answer(alice_api, steady, endpoint):
    first, computed = get(alice_api, steady["id"], endpoint)
    second, served = get(alice_api, steady["id"], endpoint)

    assert (computed, served) == (COMPUTED[endpoint], STORED)
    assert second == first
    expected = {
        "balances": [("btc", "6.0535165"), ("ltc", "2.0"), ("usd", "0.0")],
        # 6.0535165 + 2 * 0.0016 btc; 6.0535165 * 60000.5 + 2 * 100.25 usd
        "converted": [("btc", "6.0567165"), ("usd", "363414.51675825")],
    }[endpoint]
    assert [(r["currency"]["code"], r["balance"]) for r in second["result"]] == expected


def test_the_stored_answer_equals_the_computed_one_field_for_field(alice_api, steady):
    # The computed answer rendered the way the API always did, from the selector
    portfolio = Portfolio.objects.get(pk=steady["id"])
    valuation = portfolio_valuation(portfolio, prices="spot")
    balances = stored(alice_api, steady["id"], "balances")
    converted = stored(alice_api, steady["id"], "converted")

    assert balances["result"] == total_rows_data(valuation.balances)
    assert converted["result"] == total_rows_data(valuation.totals)
    assert converted["unpriced"] == valuation.unpriced == []


def test_a_reporting_currency_nobody_holds_is_as_old_as_the_request(alice_api, run_tasks):
    # Nothing held: the row's age is "now", filled in per request, not frozen when stored
    pid = make_portfolio(alice_api, currencies=["usd"])
    first = stored(alice_api, pid)["result"]
    later = timezone.now()
    again, count = get(alice_api, pid, "balances")
    assert count == STORED and first[0]["balance"] == again["result"][0]["balance"] == "0.0"
    assert again["result"][0]["balance_at"] >= later.replace(microsecond=0).isoformat()


# --- every change shows on the next request -----------------------------------------------------


def test_an_offset_created_edited_and_deleted(alice_api, steady):
    pid = steady["id"]
    stored(alice_api, pid)

    new = add_offset(alice_api, pid, {"btc": "1"})
    assert rows(alice_api, pid)["btc"] == "7.0535165"

    stored(alice_api, pid)
    ok(
        alice_api.patch(
            f"/api/portfolios/{pid}/offsets/{new}",
            {"balances": [{"currency": "btc", "balance": "2"}]},
            format="json",
        )
    )
    assert rows(alice_api, pid)["btc"] == "8.0535165"

    stored(alice_api, pid)
    assert alice_api.delete(f"/api/portfolios/{pid}/offsets/{new}").status_code == 200
    assert rows(alice_api, pid)["btc"] == "6.0535165"


def test_converted_follows_an_offset_too(alice_api, steady):
    stored(alice_api, steady["id"], "converted")
    add_offset(alice_api, steady["id"], {"ltc": "1000"})
    # 6.0567165 + 1000 * 0.0016
    assert rows(alice_api, steady["id"], "converted")["btc"] == "7.6567165"


def test_an_address_added_is_awaited_again(alice_api, steady, mocked, run_tasks):
    stored(alice_api, steady["id"])
    replay_esplora(mocked, BTC_OTHER)
    other = add_address(alice_api, steady["id"], BTC_OTHER)

    with run_tasks() as ran:
        not_ready(alice_api.get(f"/api/portfolios/{steady['id']}/balances"))
    assert ran.of(FETCH) == [(other,)]
    # 5.5535165 + 0.5 + 0.25000xxx of the synthetic address
    assert Decimal(rows(alice_api, steady["id"])["btc"]) > Decimal("6.25")


def test_an_address_edited_and_deleted(alice_api, steady, mocked, run_tasks):
    pid, address = steady["id"], steady["address"]
    stored(alice_api, pid)

    # A new title changes nothing in the totals; they are still right
    ok(alice_api.patch(f"/api/portfolios/{pid}/addresses/{address}", {"title": "cold"}))
    assert rows(alice_api, pid)["btc"] == "6.0535165"

    # Another address: what was fetched for the old one is forgotten, the new one awaited
    stored(alice_api, pid)
    replay_esplora(mocked, BTC_OTHER)
    ok(alice_api.patch(f"/api/portfolios/{pid}/addresses/{address}", {"address": BTC_OTHER}))
    with run_tasks() as ran:
        not_ready(alice_api.get(f"/api/portfolios/{pid}/balances"))
    assert ran.of(FETCH) == [(address,)]

    stored(alice_api, pid)
    assert alice_api.delete(f"/api/portfolios/{pid}/addresses/{address}").status_code == 200
    assert rows(alice_api, pid)["btc"] == "0.5"


def test_an_address_moved_to_another_portfolio_changes_both(alice_api, steady):
    pid, address = steady["id"], steady["address"]
    other = make_portfolio(alice_api, "Other")
    stored(alice_api, pid)
    stored(alice_api, other)

    # No service moves addresses: a change by hand (the admin, a data fix) is seen all the same
    Address.objects.filter(pk=address).update(portfolio_id=other)

    assert rows(alice_api, pid)["btc"] == "0.5"
    assert rows(alice_api, other)["btc"] == "5.5535165"


def test_an_address_fetch_that_brings_a_new_balance(alice_api, mocked, run_tasks):
    replay_coingecko(mocked)
    replay_esplora(mocked, BTC_OTHER)
    pid = make_portfolio(alice_api)
    add_address(alice_api, pid, BTC_OTHER)
    with run_tasks():
        not_ready(alice_api.get(f"/api/portfolios/{pid}/converted"))
    stored(alice_api, pid)

    # The explorer answers 3 BTC now; the user asks for a refresh, the worker fetches
    mocked.replace(
        responses.GET,
        f"{ESPLORA}/address/{BTC_OTHER}",
        json=esplora_address_doc(BTC_OTHER, funded=300_000_000),
    )
    with run_tasks() as ran:
        ok(alice_api.post(f"/api/portfolios/{pid}/refresh"))
    assert ran.of(FETCH)

    assert rows(alice_api, pid)["btc"] == "3.0"


def test_the_reporting_currencies_changed(alice_api, steady, run_tasks):
    pid = steady["id"]
    stored(alice_api, pid)
    stored(alice_api, pid, "converted")

    ok(alice_api.patch(f"/api/portfolios/{pid}", {"currencies": ["eur", "btc"]}, format="json"))

    assert list(rows(alice_api, pid)) == ["btc", "eur", "ltc"]
    # No euro price was fetched yet (none was in use): unpriced until the next refresh
    body, _ = get(alice_api, pid, "converted")
    assert body["unpriced"] == ["btc", "ltc"]
    stored(alice_api, pid, "converted")
    with run_tasks():
        prices_refresh_spot()
    # The portfolio's own settings change nothing in the totals
    ok(alice_api.patch(f"/api/portfolios/{pid}", {"title": "Renamed"}, format="json"))
    # 6.0535165 + 2 * 0.0016 btc; 6.0535165 * 55000.25 + 2 * 92.5 eur
    assert rows(alice_api, pid, "converted") == {"btc": "6.0567165", "eur": "333129.920879125"}


def test_new_spot_prices(alice_api, steady, mocked):
    pid = steady["id"]
    stored(alice_api, pid, "converted")

    dearer = {**PRICES, "bitcoin": {**PRICES["bitcoin"], "usd": "70000"}}
    mocked.reset()
    replay_coingecko(mocked, dearer)
    prices_refresh_spot()

    # 6.0535165 * 70000 + 2 * 100.25
    assert rows(alice_api, pid, "converted")["usd"] == "423946.655"


def test_a_currency_renamed(alice_api, steady):
    pid = steady["id"]
    stored(alice_api, pid)
    stored(alice_api, pid, "converted")

    Currency.objects.filter(code="btc").update(title="Bitcoin (BTC)")

    for endpoint in ("balances", "converted"):
        body, count = get(alice_api, pid, endpoint)
        assert count == COMPUTED[endpoint]
        assert body["result"][0]["currency"] == {"code": "btc", "title": "Bitcoin (BTC)"}


def test_a_statement_imported(alice_api, steady):
    pid = steady["id"]
    stored(alice_api, pid)

    answer = upload(alice_api, Portfolio.objects.get(pk=pid), statement("l2_tax_report.csv"))
    assert answer.status_code == 201, answer.content

    held = rows(alice_api, pid)
    # the Coinbase wallet's 0.25 btc and 5 eth count
    assert (held["btc"], held["eth"]) == ("6.3035165", "5.0")


def test_a_portfolio_deleted_and_its_user_deleted(alice, alice_api, steady):
    pid = steady["id"]
    stored(alice_api, pid)
    assert alice_api.delete(f"/api/portfolios/{pid}").status_code == 200
    get(alice_api, pid, "balances", status=404)

    other = make_portfolio(alice_api, "Other")
    stored(alice_api, other)
    alice.delete()
    get(alice_api, other, "balances", status=401)


def test_another_users_portfolio_stays_404(alice_api, bob, steady):
    stored(alice_api, steady["id"])
    stored(alice_api, steady["id"], "converted")
    bob_api = client_for(bob, "read write delete")
    for endpoint in ("balances", "converted"):
        body, _ = get(bob_api, steady["id"], endpoint, status=404)
        assert "result" not in body


# --- time: the async contract is unchanged ------------------------------------------------------


@pytest.fixture
def later(monkeypatch):
    """``later(minutes)``: every clock of the request that many minutes ahead."""

    def move(minutes: int) -> None:
        moment = timezone.now() + timedelta(minutes=minutes)
        monkeypatch.setattr("django.utils.timezone.now", lambda: moment)

    return move


def test_a_source_turning_stale_by_time_alone_is_refreshed(alice_api, steady, run_tasks, later):
    # Given the stored totals, nothing written since
    stored(alice_api, steady["id"])

    # When the address's data grows older than its refresh interval (10 minutes)
    later(11)

    # Then the stored data is answered with its age and a refresh enqueued, as before
    with run_tasks() as ran:
        body, count = get(alice_api, steady["id"], "balances")
    assert count > STORED
    assert ran.of(FETCH) == [(steady["address"],)]


def test_prices_turning_stale_by_time_alone_are_refreshed(alice_api, steady, run_tasks, later):
    stored(alice_api, steady["id"], "converted")
    later(4)  # within every interval: still the stored answer
    _, count = get(alice_api, steady["id"], "converted")
    assert count == STORED

    # Past twice the price refresh interval (5 minutes) and the address's 10 minutes
    later(11)
    with run_tasks() as ran:
        get(alice_api, steady["id"], "converted")
    assert ran.of(SPOT) == [()]


def test_a_source_made_stale_by_hand_is_refreshed(alice_api, steady, run_tasks):
    stored(alice_api, steady["id"])
    old = timezone.now().replace(microsecond=0) - timedelta(hours=3)
    AddressFetchState.objects.filter(address_id=steady["address"]).update(balances_fetched_at=old)

    with run_tasks() as ran:
        body, _ = get(alice_api, steady["id"], "balances")
    btc = next(r for r in body["result"] if r["currency"]["code"] == "btc")
    assert btc["balance_at"] == old.isoformat()
    assert ran.of(FETCH) == [(steady["address"],)]


def test_an_unpriced_asset_whose_attempt_was_forgotten_is_awaited_again(
    alice_api, mocked, run_tasks
):
    # Given a stored answer listing an asset CoinGecko does not know as unpriced
    Currency.objects.create(code="zzz", title="Unlisted coin", is_cryptocurrency=True)
    replay_coingecko(mocked)
    pid = make_portfolio(alice_api, currencies=["usd"])
    add_offset(alice_api, pid, {"btc": "0.5", "zzz": "1000"})
    with run_tasks():
        not_ready(alice_api.get(f"/api/portfolios/{pid}/converted"))
    assert stored(alice_api, pid, "converted")["unpriced"] == ["zzz"]

    # When the cache no longer remembers the attempt, the answer waits for one, as before
    from django.core.cache import cache

    cache.clear()
    with run_tasks() as ran:
        not_ready(alice_api.get(f"/api/portfolios/{pid}/converted"))
    assert ran.of(SPOT) == [()]


# --- races ---------------------------------------------------------------------------------------


def test_an_answer_computed_before_a_change_and_stored_after_it_is_not_served(
    alice, alice_api, steady
):
    pid = steady["id"]
    # A request reads the counters and computes the totals...
    portfolio = portfolio_get_with_totals(user=alice, portfolio_id=pid)
    counters = totals_counters(portfolio)
    assert counters is not None
    before = portfolio_valuation(portfolio, prices=None, enqueue=True)
    assert before.settled is not None

    # ...meanwhile another request changes an offset...
    ok(
        alice_api.patch(
            f"/api/portfolios/{pid}/offsets/{steady['offset']}",
            {"balances": [{"currency": "btc", "balance": "1.5"}]},
            format="json",
        )
    )

    # ...and the first stores its (older) answer last
    portfolio_totals_store(
        portfolio_id=pid,
        counters=counters,
        balances=total_rows_data(before.settled.balances),
        balances_until=None,
    )

    body, count = get(alice_api, pid, "balances")
    assert count == COMPUTED["balances"]
    assert {r["currency"]["code"]: r["balance"] for r in body["result"]}["btc"] == "7.0535165"


def test_a_portfolio_saved_from_an_older_read_does_not_bring_old_totals_back(alice_api, steady):
    pid = steady["id"]
    read_before = Portfolio.objects.get(pk=pid)  # as a service holding it for a while
    stored(alice_api, pid)

    add_offset(alice_api, pid, {"btc": "1"})
    read_before.title = "Renamed"
    read_before.save()  # writes every column, the generation it read among them

    assert rows(alice_api, pid)["btc"] == "7.0535165"
