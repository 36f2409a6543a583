"""The holdings sources (addresses, offsets, ledger, accounts) that register with portfolios in their
``AppConfig.ready()``: every app holding a portfolio's balances is registered, and a missing
registration fails loudly instead of silently dropping that app's holdings from the totals."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from offsets.services import offset_create
from portfolios import sources
from portfolios.history_selectors import portfolio_first_day
from portfolios.selectors import SPOT, portfolio_valuation
from portfolios.services import portfolio_create
from portfolios.services_refresh import portfolio_refresh
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio(alice):
    portfolio = portfolio_create(user=alice, title="Main", currency_codes=["usd"], source="t")
    offset_create(
        portfolio=portfolio,
        title="Paper",
        balances=[{"currency": "btc", "balance": "1.5"}],
        source="t",
    )
    return portfolio


def test_every_app_holding_balances_is_registered_in_app_order():
    assert [s.name for s in sources.holdings_sources()] == [
        "addresses",
        "offsets",
        "ledger",
        "accounts",
    ]


def test_registered_sources_feed_the_valuation(portfolio):
    valuation = portfolio_valuation(portfolio, prices=SPOT)
    # The offset's BTC, and the reporting currency at zero.
    assert [(b.currency, b.balance) for b in valuation.balances] == [
        ("btc", D("1.5")),
        ("usd", D("0")),
    ]


def test_a_missing_source_fails_loudly_instead_of_an_empty_holding(portfolio, monkeypatch):
    monkeypatch.delitem(sources._sources, "offsets")
    with pytest.raises(ImproperlyConfigured, match="offsets"):
        portfolio_valuation(portfolio, prices=SPOT)
    with pytest.raises(ImproperlyConfigured, match="offsets"):
        portfolio_first_day(portfolio=portfolio)


def test_a_missing_balance_fetcher_fails_loudly(portfolio, monkeypatch):
    monkeypatch.setattr(sources, "_fetchers", {})
    with pytest.raises(ImproperlyConfigured, match="fetcher"):
        portfolio_refresh(portfolio=portfolio)


def test_the_portfolio_admin_page_shows_the_registered_inlines(portfolio):
    staff = User.objects.create_superuser(email="ops@example.com", password="ops-password-1")
    client = Client()
    client.force_login(staff)
    page = client.get(reverse("admin:portfolios_portfolio_change", args=[portfolio.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Paper" in html  # the offset inline
    assert 'id="addresses-group"' in html and 'id="offsets-group"' in html
