"""The admin's address and portfolio lists (with fetch-state columns) load in a constant number
of queries, and their "Refresh now" actions enqueue fetches."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from addresses.models import Address, AddressFetchState
from currencies.models import Currency
from portfolios.models import Portfolio
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_() -> Client:
    admin = User.objects.create_superuser(email="root@example.com", password="root-password-1")
    client = Client()
    client.force_login(admin)
    return client


def seed(n: int, prefix: str) -> list[Portfolio]:
    """``n`` users, each with a portfolio holding one address with a fetch state (half failing)."""
    btc = Currency.objects.get(code="btc")
    portfolios = []
    for i in range(n):
        user = User.objects.create_user(email=f"{prefix}{i}@example.com", password="x-password-1")
        portfolio = Portfolio.objects.create(user=user, title=f"{prefix} {i}")
        address = Address.objects.create(
            portfolio=portfolio, address=f"{prefix}addr{i}", currency=btc
        )
        AddressFetchState.objects.create(
            address=address,
            balances_fetched_at=timezone.now() - timedelta(minutes=i),
            failures=i % 2,
            error="HTTP 500 " * (i % 2) * 20,
        )
        portfolios.append(portfolio)
    return portfolios


def queries_for(client: Client, url: str) -> tuple[int, int]:
    """(queries, rows listed)"""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), len(response.context["cl"].result_list)


@pytest.mark.parametrize("url", ["/admin/addresses/address/", "/admin/portfolios/portfolio/"])
def test_changelist_queries_do_not_grow_with_rows(admin_client_, url):
    seed(2, "a")
    small, rows = queries_for(admin_client_, url)
    assert rows == 2

    seed(18, "b")
    large, rows = queries_for(admin_client_, url)

    assert rows == 20
    assert small == large, (small, large)


def test_address_list_shows_fetch_state(admin_client_):
    seed(2, "s")
    page = admin_client_.get("/admin/addresses/address/").content.decode()
    assert "saddr0" in page and "saddr1" in page
    assert "HTTP 500" in page  # the last error column


def test_address_refresh_action_enqueues(admin_client_, enqueued, run_tasks):
    ids = [p.addresses.get().pk for p in seed(3, "r")]

    with run_tasks():
        response = admin_client_.post(
            "/admin/addresses/address/",
            {"action": "refresh_now", "_selected_action": ids[:2]},
            follow=True,
        )

    assert response.status_code == 200
    assert sorted(enqueued.of("addresses.tasks.address_fetch")) == [(i,) for i in sorted(ids[:2])]
    assert "2 fetch(es) enqueued" in response.content.decode()


def test_portfolio_refresh_action_enqueues(admin_client_, enqueued, run_tasks):
    portfolios = seed(2, "p")

    with run_tasks():
        response = admin_client_.post(
            "/admin/portfolios/portfolio/",
            {"action": "refresh_now", "_selected_action": [portfolios[0].pk]},
            follow=True,
        )

    assert response.status_code == 200
    assert enqueued.of("addresses.tasks.address_fetch") == [(portfolios[0].addresses.get().pk,)]
    assert enqueued.of("prices.tasks.prices_refresh_spot") == [()]


def test_change_pages_with_fetch_state_and_balances_load(admin_client_):
    portfolio = seed(1, "c")[0]
    address = portfolio.addresses.get()
    page = admin_client_.get(f"/admin/addresses/address/{address.pk}/change/")
    assert page.status_code == 200 and "HTTP 500" not in page.content.decode()
    assert (
        admin_client_.get(f"/admin/portfolios/portfolio/{portfolio.pk}/change/").status_code == 200
    )
