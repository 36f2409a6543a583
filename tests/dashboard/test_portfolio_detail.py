"""The portfolio page: holdings from offsets, charts or their honest empty states, the
extension points, and a query count that does not grow with the rows."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from addresses.models import Address
from addresses.services import address_create
from currencies.models import Currency
from dashboard import totals as totals_module
from dashboard.totals import Holding, PortfolioTotals, offset_holdings
from offsets.services import offset_create
from portfolios.services import portfolio_create
from tests.dashboard.conftest import ETH_ADDRESS

pytestmark = pytest.mark.django_db


def page(client, portfolio) -> str:
    response = client.get(reverse("dashboard:portfolio-detail", args=[portfolio.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_owner_sees_currencies_addresses_offsets(alice_client, portfolio, address, offset):
    html = page(alice_client, portfolio)
    assert "<h1>Main</h1>" in html
    assert html.index(">usd<") < html.index(">btc<")
    assert "Cold wallet" in html and "1A1zP1eP5Q…DivfNa" in html
    assert reverse("dashboard:address-detail", args=[portfolio.pk, address.pk]) in html
    assert "Paper wallet" in html
    assert "1.5 BTC" in html and "-2 ETH" in html
    assert "Balances updated: not fetched yet" in html
    assert reverse("dashboard:offset-edit", args=[portfolio.pk, offset.pk]) in html
    assert reverse("dashboard:address-new", args=[portfolio.pk]) in html


def test_holdings_sum_offsets_per_currency(alice_client, portfolio, offset):
    offset_create(
        portfolio=portfolio,
        title="Exchange",
        balances=[{"currency": "btc", "balance": "0.25"}, {"currency": "ltc", "balance": "3"}],
        source="test",
    )
    response = alice_client.get(reverse("dashboard:portfolio-detail", args=[portfolio.pk]))
    holdings = {h.currency.code: h.quantity for h in response.context["holdings"]}
    assert holdings == {"btc": Decimal("1.75"), "eth": Decimal("-2"), "ltc": Decimal("3")}
    html = response.content.decode()
    assert "Summed from your offsets." in html


def test_offset_holdings_is_a_plain_sum():
    class Balances(list):
        def all(self):
            return self

    btc = Currency(code="btc", title="Bitcoin", decimals=8)
    eth = Currency(code="eth", title="Ethereum", decimals=18)

    class B:
        def __init__(self, currency, balance):
            self.currency, self.balance = currency, Decimal(balance)

    class Off:
        def __init__(self, *balances):
            self.balances = Balances(balances)

    offsets = [Off(B(eth, "1"), B(btc, "0.1")), Off(B(btc, "0.2")), Off(B(eth, "-1"))]
    assert offset_holdings(offsets) == [
        Holding(currency=btc, quantity=Decimal("0.3")),
        Holding(currency=eth, quantity=Decimal("0")),
    ]
    assert offset_holdings([]) == []


def test_addresses_say_balances_are_not_available_yet(alice_client, portfolio, address):
    html = page(alice_client, portfolio)
    assert "Balances of addresses are fetched in the background — not available yet" in html


def test_charts_show_honest_empty_states(alice_client, portfolio, offset):
    html = page(alice_client, portfolio)
    assert "Values appear once prices are fetched." in html
    assert "Not enough history yet" in html
    assert '<svg class="donut"' not in html and "chart-line" not in html


def test_capabilities_not_built_yet_say_so_without_links(alice_client, portfolio):
    html = page(alice_client, portfolio)
    later = html[html.index('id="later-heading"') :]
    later = later[: later.index("</section>")]
    assert "Connecting exchange accounts is not available yet" in later
    assert "Uploading an exchange statement (a Coinbase CSV file) is not available yet" in later
    assert "Cost basis and gains" in later and "not available yet" in later
    assert "<a " not in later


def test_invalid_address_and_fetch_age_in_plain_words(alice_client, portfolio, address):
    Address.objects.filter(pk=address.pk).update(valid=False)
    html = page(alice_client, portfolio)
    assert "Rejected by the explorer" in html
    Address.objects.filter(pk=address.pk).update(
        valid=True, txns_last_updated=timezone.now() - timedelta(hours=3)
    )
    html = page(alice_client, portfolio)
    assert "3\xa0hours ago" in html


def test_empty_portfolio_invites_to_add(alice_client, portfolio):
    html = page(alice_client, portfolio)
    assert "No addresses yet." in html and "No offsets yet." in html
    assert "Nothing held yet" in html


# --- extension points: other code fills them, the page renders them ---------------------------


def test_totals_extension_point_fills_the_table_and_the_donut(
    alice_client, portfolio, offset, monkeypatch
):
    usd = Currency.objects.get(code="usd")
    btc = Currency.objects.get(code="btc")
    eth = Currency.objects.get(code="eth")
    seen = {}

    def fake_totals(*, portfolio, holdings):
        seen["holdings"] = holdings
        return PortfolioTotals(
            currency=usd,
            holdings=[
                Holding(currency=btc, quantity=Decimal("1.5"), value=Decimal("90000")),
                Holding(currency=eth, quantity=Decimal("-2"), value=Decimal("-6000")),
            ],
            totals=[(usd, Decimal("84000")), (btc, Decimal("1.4"))],
            as_of=timezone.now(),
            problems=["No price for xyz yet."],
        )

    monkeypatch.setattr(totals_module, "portfolio_totals", fake_totals)
    html = page(alice_client, portfolio)
    assert [h.currency.code for h in seen["holdings"]] == ["btc", "eth"]  # offsets-only holdings in
    assert '<span class="big-number">$84,000.00</span>' in html
    assert "1.4 BTC" in html
    assert "$90,000.00" in html and "-$6,000.00" in html
    assert '<svg class="donut"' in html
    assert "Allocation by value in USD" in html
    assert "Not shown, because they are zero or negative: ETH." in html
    assert "No price for xyz yet." in html
    assert "Summed from your offsets." not in html


def test_value_history_extension_point_draws_the_line(alice_client, portfolio, monkeypatch):
    def fake_history(*, portfolio, currency):
        assert currency.code == "usd"  # the first reporting currency
        return [(date(2024, 1, 1), Decimal("100")), (date(2024, 1, 2), Decimal("120"))]

    monkeypatch.setattr(totals_module, "portfolio_value_history", fake_history)
    html = page(alice_client, portfolio)
    assert 'class="chart chart-line"' in html
    assert 'aria-label="Value over time in USD"' in html
    assert "Not enough history yet" not in html


# --- query count ------------------------------------------------------------------------------


def _queries(client, portfolio) -> int:
    url = reverse("dashboard:portfolio-detail", args=[portfolio.pk])
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_query_count_does_not_grow_with_addresses_and_offsets(alice, alice_client):
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
    for target, count in ((small, 2), (large, 20)):
        for i in range(count):
            address_create(
                portfolio=target,
                title=f"A{i}",
                address=ETH_ADDRESS,
                currency_code=codes[i],
                source="test",
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
    alice_client.get("/")  # warm the session
    assert _queries(alice_client, small) == _queries(alice_client, large)


def test_portfolio_page_query_budget(
    alice_client, portfolio, address, offset, django_assert_max_num_queries
):
    url = reverse("dashboard:portfolio-detail", args=[portfolio.pk])
    with django_assert_max_num_queries(12):
        alice_client.get(url)
