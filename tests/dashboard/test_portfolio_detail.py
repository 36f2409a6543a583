"""The portfolio page: live totals from every source (addresses, offsets, imported wallets),
valued with the stored prices; "fetching…" states instead of errors; data age and fetch
failures in plain words; the charts or their honest empty states; and a query count that does
not grow with the addresses."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from addresses.models import Address
from addresses.services import address_create
from currencies.models import Currency
from dashboard.costbasis import Gain, GainsSource
from offsets.services import offset_create
from portfolios.models import Portfolio
from portfolios.services import portfolio_create
from tests.dashboard.conftest import (
    ETH_ADDRESS,
    daily,
    fetched,
    import_statement,
    spot,
)

pytestmark = pytest.mark.django_db


def get(client, portfolio, query: str = ""):
    response = client.get(reverse("dashboard:portfolio-detail", args=[portfolio.pk]) + query)
    assert response.status_code == 200
    return response


def page(client, portfolio, query: str = "") -> str:
    return get(client, portfolio, query).content.decode()


def text(html: str) -> str:
    """The page's words, without tags and with spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_owner_sees_currencies_addresses_offsets(alice_client, portfolio, address, offset):
    html = page(alice_client, portfolio)
    assert "<h1>Main</h1>" in html
    assert html.index(">usd<") < html.index(">btc<")
    assert "Cold wallet" in html and "1A1zP1eP5Q…DivfNa" in html
    assert reverse("dashboard:address-detail", args=[portfolio.pk, address.pk]) in html
    assert "Paper wallet" in html
    assert "1.5 BTC" in html and "-2 ETH" in html
    assert reverse("dashboard:offset-edit", args=[portfolio.pk, offset.pk]) in html
    assert reverse("dashboard:address-new", args=[portfolio.pk]) in html
    assert reverse("dashboard:import-new", args=[portfolio.pk]) in html


def test_holdings_sum_every_source_and_value_them_with_spot_prices(
    alice, alice_client, portfolio, address, offset
):
    # Given an address fetched with 0.5 BTC, the offset (1.5 BTC, -2 ETH), an imported
    # statement and spot prices in USD
    fetched(address, "0.5")
    import_statement(portfolio, alice)
    for code, price in (("btc", "60000"), ("eth", "3000"), ("sol", "150"), ("usdc", "1")):
        spot(code, "usd", price)
    spot("grt", "usd", "0.1")
    response = get(alice_client, portfolio)
    holdings = {h.currency.code: h for h in response.context["holdings"]}
    # Then each currency is the sum of its sources (0.5 + 1.5 + 0.03519 BTC imported)
    assert holdings["btc"].quantity == Decimal("2.03519")
    assert holdings["eth"].quantity == Decimal("-2") + Decimal("0.9085")
    assert holdings["btc"].price == Decimal("60000")
    assert holdings["btc"].value == Decimal("122111.4")
    assert not holdings["btc"].estimated
    totals = response.context["totals"]
    # And the totals come in the user's order: USD first, then BTC
    assert [c.code for c, _ in totals.totals] == ["usd", "btc"]
    usd_total = totals.totals[0][1]
    assert usd_total == sum(h.value for h in holdings.values())
    shares = [h.share for h in holdings.values() if h.share is not None]
    assert sum(shares) == pytest.approx(Decimal(1), abs=Decimal("1e-20"))
    html = response.content.decode()
    assert '<span class="big-number">$' in html
    assert "$122,111.40" in html
    assert '<svg class="donut"' in html


def test_without_prices_the_page_says_it_is_fetching_them(alice_client, portfolio, offset):
    html = text(page(alice_client, portfolio))
    assert "Fetching prices of BTC, ETH…" in html
    assert "Values appear once prices are fetched." in html
    assert cache.get("enqueued:prices:spot") is not None  # the fetch was enqueued


def test_an_address_never_fetched_is_fetched_and_said_so(alice_client, portfolio, address):
    html = text(page(alice_client, portfolio))
    assert "Fetching the balance of 1 address for the first time — not counted yet." in html
    assert "Not fetched yet — fetching now." in html
    assert cache.get(f"enqueued:address:{address.pk}") is not None


def test_last_known_price_when_no_live_price_was_fetched(alice_client, portfolio, offset):
    daily("btc", "usd", timezone.now().date() - timedelta(days=400), "20000", kind="observed")
    daily("eth", "usd", timezone.now().date() - timedelta(days=3), "2500")
    response = get(alice_client, portfolio)
    btc = next(h for h in response.context["holdings"] if h.currency.code == "btc")
    assert btc.estimated and btc.price == Decimal("20000") and btc.value == Decimal("30000")
    html = text(response.content.decode())
    assert "last known" in html
    assert "No live price fetched yet for BTC, ETH: valued at the last price stored" in html
    assert "≈ $25,000.00" in html  # 1.5 x 20000 - 2 x 2500


def test_a_price_fetch_that_failed_is_said_in_plain_words(alice_client, portfolio, offset):
    from prices.services import LAST_ATTEMPT_KEY

    cache.set(
        LAST_ATTEMPT_KEY,
        {
            "at": timezone.now().isoformat(),
            "error": "coingecko: GET http://x failed after 3 attempts: ReadTimeout: read timed out",
        },
    )
    html = text(page(alice_client, portfolio))
    assert "The last price update failed at" in html
    assert "the price service did not answer (timeout)" in html
    assert "Trying again to fetch prices of BTC, ETH…" in html


def test_unpriced_currency_is_left_out_and_named(alice_client, portfolio):
    offset_create(
        portfolio=portfolio,
        title="Mixed",
        balances=[{"currency": "btc", "balance": "1"}, {"currency": "ltc", "balance": "2"}],
        source="test",
    )
    spot("btc", "usd", "50000")
    html = text(page(alice_client, portfolio))
    assert "No price known for LTC: left out of the values." in html
    assert "$50,000.00" in html


def test_data_age_and_fetch_errors_in_plain_words(alice_client, portfolio, address):
    now = timezone.now()
    fetched(address, "0.25", at=now - timedelta(minutes=12))
    html = text(page(alice_client, portfolio))
    assert "Balance from 12 minutes ago" in html
    fetched(
        address,
        at=now - timedelta(hours=1),
        error="esplora-btc: GET https://x failed after 3 attempts: ReadTimeout: timed out",
        error_at=now - timedelta(minutes=2),
        failures=3,
        next_retry_at=now.replace(hour=14, minute=5) + timedelta(days=0),
    )
    html = text(page(alice_client, portfolio))
    assert "Fetch failing" in html
    assert "Fetching failed 3 times: the explorer did not answer (timeout)." in html
    assert "Next try at" in html and "14:05 UTC." in html
    Address.objects.filter(pk=address.pk).update(valid=False)
    html = text(page(alice_client, portfolio))
    assert "Rejected by the explorer" in html


def test_value_history_is_drawn_from_stored_prices(alice_client, portfolio):
    # Given an offset held for 10 days and daily BTC prices over those days
    offset = offset_create(
        portfolio=portfolio,
        title="Old",
        balances=[{"currency": "btc", "balance": "1"}],
        source="test",
    )
    today = timezone.now().date()
    type(offset).objects.filter(pk=offset.pk).update(created_at=timezone.now() - timedelta(days=10))
    from offsets.models import OffsetBalance

    OffsetBalance.objects.filter(offset=offset).update(
        created_at=timezone.now() - timedelta(days=10)
    )
    for n in range(12):
        daily("btc", "usd", today - timedelta(days=n), str(40000 + 100 * n))
    html = page(alice_client, portfolio, "?range=1m")
    assert 'class="chart chart-line"' in html
    assert 'aria-label="Value over time in USD"' in html
    assert "Not enough history yet" not in html
    assert 'href="?range=all#value-history"' in html
    assert 'aria-current="true">1 month</a>' in html


def test_value_history_without_history_says_so(alice_client, portfolio, offset):
    html = page(alice_client, portfolio)
    assert "Not enough history yet" in html
    assert "chart-line" not in html


def test_unrealized_gain_column_from_the_cost_basis(alice_client, portfolio, offset, monkeypatch):
    spot("btc", "usd", "60000")
    spot("eth", "usd", "3000")
    gains = GainsSource("usd", {"btc": (Decimal("1"), Decimal("20000"))}, stale=False)
    monkeypatch.setattr("dashboard.totals.unrealized_gains", lambda **kwargs: gains)
    response = get(alice_client, portfolio)
    btc = next(h for h in response.context["holdings"] if h.currency.code == "btc")
    assert btc.cost == Decimal("20000") and btc.unrealized == Decimal("40000")
    html = response.content.decode()
    assert "Unrealized gain" in html and "+$40,000.00" in html


def test_gains_cover_only_what_the_lots_know():
    gains = GainsSource("usd", {"btc": (Decimal("2"), Decimal("100"))}, stale=False)
    # 1 of the 2 lotted BTC: half their cost, 80 - 50
    assert gains.gain("btc", Decimal("1"), Decimal("80"), valued_in="usd") == Gain(
        Decimal("1"), Decimal("50"), Decimal("30")
    )
    # 3 held, 2 with lots: the gain is of those 2 (160 - 100)
    assert gains.gain("btc", Decimal("3"), Decimal("80"), valued_in="usd") == Gain(
        Decimal("2"), Decimal("100"), Decimal("60")
    )
    assert gains.gain("btc", Decimal("1"), None, valued_in="usd") is None
    assert gains.gain("btc", Decimal("1"), Decimal("80"), valued_in="eur") is None
    assert gains.gain("eth", Decimal("1"), Decimal("80"), valued_in="usd") is None


def test_before_the_cost_basis_is_built_there_is_no_gain_column(alice_client, portfolio, offset):
    spot("btc", "usd", "60000")
    assert "Unrealized gain" not in page(alice_client, portfolio)


def test_exchange_accounts_invite_to_connect_one(alice_client, portfolio):
    html = text(page(alice_client, portfolio))
    assert "not available yet" not in html
    assert "No exchange accounts yet." in html and "Connect account" in html


def test_empty_portfolio_invites_to_add(alice_client, portfolio):
    html = page(alice_client, portfolio)
    assert "No addresses yet." in html and "No offsets yet." in html
    assert "Nothing held yet" in html


def test_demo_portfolio_says_it_is_demo_data(alice, alice_client, portfolio):
    assert "Demo data." not in page(alice_client, portfolio)
    demo = portfolio_create(
        user=alice, title="Demo", currency_codes=["usd"], source=Portfolio.SOURCE_DEMO
    )
    assert "Demo data." in page(alice_client, demo)


def test_demo_user_sees_the_banner_everywhere(db, client):
    from demo.loader import DEMO_EMAIL
    from users.models import User

    user = User.objects.create_user(email=DEMO_EMAIL, password="x-password-1")
    client.force_login(user)
    assert "Demo data." in client.get(reverse("dashboard:portfolio-list")).content.decode()


def test_refresh_now_button_posts(alice_client, portfolio):
    html = page(alice_client, portfolio)
    url = reverse("dashboard:portfolio-refresh", args=[portfolio.pk])
    assert f'action="{url}"' in html


# --- query count ------------------------------------------------------------------------------


def _queries(client, portfolio) -> int:
    url = reverse("dashboard:portfolio-detail", args=[portfolio.pk])
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_query_count_does_not_grow_with_addresses_and_offsets(alice, alice_client):
    """Addresses fetched, failing (waiting for their retry) and rejected, with offsets. (An
    address never fetched costs one deduplicated enqueue in the shared cache per request
    until its first fetch, as in the API: that is the async contract, not the page.)"""
    small = portfolio_create(
        user=alice, title="Small", currency_codes=["usd", "eur"], source="test"
    )
    large = portfolio_create(
        user=alice, title="Large", currency_codes=["usd", "eur"], source="test"
    )
    tokens = (
        Currency.objects.filter(is_ethereum_token=True)
        .order_by("code")
        .values_list("code", flat=True)
    )
    codes = ["eth", *tokens]  # one Ethereum address, a different currency each time
    spot("eth", "usd", "3000")
    spot("btc", "usd", "60000")
    for target, count in ((small, 2), (large, 20)):
        for i in range(count):
            address = address_create(
                portfolio=target,
                title=f"A{i}",
                address=ETH_ADDRESS,
                currency_code=codes[i],
                source="test",
            )
            # fetched ones with a balance, failing ones, rejected ones
            if i % 3 == 0:
                fetched(address, str(i + 1))
            elif i % 3 == 2:
                fetched(
                    address, "1", error="HTTP 404 rejected the address", error_at=timezone.now()
                )
                Address.objects.filter(pk=address.pk).update(valid=False)
            else:
                fetched(
                    address,
                    at=None,
                    balances_fetched_at=None,
                    error="timeout",
                    error_at=timezone.now(),
                    failures=1,
                    next_retry_at=timezone.now() + timedelta(minutes=5),
                )
            offset_create(
                portfolio=target,
                title=f"O{i}",
                balances=[
                    {"currency": "btc", "balance": str(i + 1)},
                    {"currency": "ltc", "balance": "1"},
                ],
                source="test",
            )
    for target in (small, large):  # first visits enqueue the cost-basis builds and prices
        _queries(alice_client, target)
    assert _queries(alice_client, small) == _queries(alice_client, large)


def test_portfolio_page_query_budget(
    alice, alice_client, portfolio, address, offset, django_assert_max_num_queries
):
    import_statement(portfolio, alice)
    fetched(address, "0.5")
    spot("btc", "usd", "60000")
    url = reverse("dashboard:portfolio-detail", args=[portfolio.pk])
    alice_client.get(url)
    # session and user 2, portfolio with its addresses and offsets 8, history start 3, totals
    # 9, enqueueing what is due through the shared cache (prices, cost basis) about 15, value
    # history 7, menu 1, performance panel 2 (its series state and days; 3 with the enqueue
    # of the first build, which this test's uncommitted transaction never runs), exchange
    # accounts in the totals (accounts, their balances, shared movements) 5 and their list 1
    with django_assert_max_num_queries(59):
        alice_client.get(url)
