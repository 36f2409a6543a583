"""Portfolio list, create, edit and delete pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portfolios.models import Portfolio
from portfolios.selectors import reporting_currencies
from tests.dashboard.conftest import assert_login_redirect

pytestmark = pytest.mark.django_db


def codes(portfolio: Portfolio) -> list[str]:
    return [c.code for c in reporting_currencies(portfolio)]


# --- signed out: every page sends to the sign-in page -------------------------------------


@pytest.mark.parametrize(
    ("name", "needs_id"),
    [
        ("portfolio-list", False),
        ("portfolio-new", False),
        ("portfolio-detail", True),
        ("portfolio-edit", True),
        ("portfolio-delete", True),
    ],
)
def test_signed_out_goes_to_sign_in(anon_client, portfolio, name, needs_id):
    url = reverse(f"dashboard:{name}", args=[portfolio.pk] if needs_id else [])
    assert_login_redirect(anon_client.get(url), url)
    assert_login_redirect(anon_client.post(url, {"title": "x"}), url)
    assert Portfolio.objects.count() == 1


def test_home_signed_out_shows_the_way_in(anon_client):
    response = anon_client.get("/")
    assert response.status_code == 200
    assert b"Create an account" in response.content
    assert reverse("api:docs").encode() in response.content  # footer link


def test_home_signed_in_goes_to_the_portfolios(alice_client):
    response = alice_client.get("/")
    assert response.status_code == 302 and response["Location"] == reverse(
        "dashboard:portfolio-list"
    )


# --- another user's portfolio: 404 everywhere ---------------------------------------------


@pytest.mark.parametrize("name", ["portfolio-detail", "portfolio-edit", "portfolio-delete"])
def test_another_users_portfolio_is_not_found(bob_client, portfolio, name):
    url = reverse(f"dashboard:{name}", args=[portfolio.pk])
    assert bob_client.get(url).status_code == 404
    assert bob_client.post(url, {"title": "Stolen", "currencies": "usd"}).status_code == 404
    portfolio.refresh_from_db()
    assert portfolio.title == "Main"


def test_missing_portfolio_is_not_found(alice_client):
    response = alice_client.get(reverse("dashboard:portfolio-detail", args=[999999]))
    assert response.status_code == 404
    assert b"Page not found" in response.content


# --- list --------------------------------------------------------------------------------


def test_list_shows_each_portfolio_with_currencies_counts_and_age(
    alice_client, portfolio, address, offset, bob
):
    Portfolio.objects.create(user=bob, title="Bob's secret", source="test")
    response = alice_client.get(reverse("dashboard:portfolio-list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Main" in html and "Bob&#x27;s secret" not in html and "Bob's secret" not in html
    assert html.index('class="chip" title="United States dollar">usd<') < html.index(
        'class="chip" title="Bitcoin">btc<'
    )
    assert "<dt>Address</dt><dd>1</dd>" in html
    assert "<dt>Offset</dt><dd>1</dd>" in html
    assert "<dt>Currencies</dt><dd>2</dd>" in html
    assert "Last updated: <time" in html  # the offset, just now
    assert "Fetching balances and prices…" in html  # nothing priced yet: never an error


def test_list_shows_total_and_its_change_over_a_day_and_a_month(alice_client, portfolio):
    from datetime import timedelta

    from django.utils import timezone

    from offsets.models import Offset, OffsetBalance
    from offsets.services import offset_create
    from tests.dashboard.conftest import daily, spot

    # Given 2 BTC held for 40 days, a daily price over the last month and a spot price now
    offset = offset_create(
        portfolio=portfolio,
        title="Old coins",
        balances=[{"currency": "btc", "balance": "2"}],
        source="test",
    )
    long_ago = timezone.now() - timedelta(days=40)
    Offset.objects.filter(pk=offset.pk).update(created_at=long_ago)
    OffsetBalance.objects.filter(offset=offset).update(created_at=long_ago)
    today = timezone.now().date()
    daily("btc", "usd", today - timedelta(days=30), "40000")
    daily("btc", "usd", today - timedelta(days=1), "49000")
    spot("btc", "usd", "50000")
    response = alice_client.get(reverse("dashboard:portfolio-list"))
    summary = response.context["portfolios"][0][1]
    # Then the total is today's value, up 2 x 1000 over a day and 2 x 10000 over the month
    assert summary.total == 100000
    assert summary.day.amount == 2000 and summary.month.amount == 20000
    html = response.content.decode()
    assert "$100,000.00" in html
    assert "+$2,000.00" in html and "+2.0%" in html
    assert "+$20,000.00" in html and "+25.0%" in html


def test_list_shows_when_balances_were_updated(alice_client, portfolio):
    from django.utils import timezone

    Portfolio.objects.filter(pk=portfolio.pk).update(balances_last_updated=timezone.now())
    html = alice_client.get(reverse("dashboard:portfolio-list")).content.decode()
    assert "not fetched yet" not in html
    assert "<time datetime=" in html


def test_list_empty_invites_to_create(alice_client):
    html = alice_client.get(reverse("dashboard:portfolio-list")).content.decode()
    assert "No portfolios yet" in html
    assert reverse("dashboard:portfolio-new") in html


def test_top_bar_lists_own_portfolios_only(alice_client, portfolio, bob):
    Portfolio.objects.create(user=bob, title="Bob's other", source="test")
    html = alice_client.get(reverse("dashboard:portfolio-list")).content.decode()
    menu = html[html.index('id="portfolio-menu"') : html.index('id="account-menu"')]
    assert reverse("dashboard:portfolio-detail", args=[portfolio.pk]) in menu
    assert "Bob" not in menu
    assert "alice@example.com" in html  # account menu


# --- create --------------------------------------------------------------------------------


def test_create_form_renders_with_csrf(alice_client):
    response = alice_client.get(reverse("dashboard:portfolio-new"))
    assert response.status_code == 200
    assert b"csrfmiddlewaretoken" in response.content
    assert b'value="usd, btc"' in response.content


def test_create_portfolio_from_the_web(alice, alice_client):
    response = alice_client.post(
        reverse("dashboard:portfolio-new"), {"title": " Savings ", "currencies": "EUR, btc usd"}
    )
    portfolio = Portfolio.objects.get(user=alice)
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:portfolio-detail", args=[portfolio.pk])
    assert portfolio.title == "Savings"
    assert portfolio.source == Portfolio.SOURCE_WEB
    assert codes(portfolio) == ["eur", "btc", "usd"]
    page = alice_client.get(response["Location"]).content.decode()
    assert "Portfolio “Savings” created." in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": "", "currencies": "usd"}, "title", "Title must not be empty."),
        (
            {"title": "x" * 101, "currencies": "usd"},
            "title",
            "Title must be at most 100 characters.",
        ),
        (
            {"title": "New", "currencies": ""},
            "currencies",
            "Must have at least one reporting currency selected.",
        ),
        (
            {"title": "New", "currencies": "usd, xyz, abc"},
            "currencies",
            "Unknown currency &#x27;xyz&#x27;.",
        ),
    ],
)
def test_create_errors_rerender_with_the_input_kept(alice_client, portfolio, data, field, message):
    response = alice_client.post(reverse("dashboard:portfolio-new"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    form = response.context["form"]
    assert form.errors[field]
    for name, value in data.items():
        assert form[name].value() == value  # the input is kept
    if data["currencies"]:
        assert f'value="{data["currencies"]}"' in html
    assert Portfolio.objects.count() == 1


def test_create_reports_every_unknown_currency(alice_client):
    response = alice_client.post(
        reverse("dashboard:portfolio-new"), {"title": "New", "currencies": "usd xyz abc"}
    )
    assert response.context["form"].errors["currencies"] == [
        "Unknown currency 'xyz'.",
        "Unknown currency 'abc'.",
    ]


def test_create_same_title_as_another_user_is_fine(bob, bob_client, portfolio):
    response = bob_client.post(
        reverse("dashboard:portfolio-new"), {"title": "Main", "currencies": "usd"}
    )
    assert response.status_code == 302
    assert Portfolio.objects.filter(user=bob, title="Main").exists()


def test_post_without_csrf_token_is_refused(alice):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(
        reverse("dashboard:portfolio-new"), {"title": "New", "currencies": "usd"}
    )
    assert response.status_code == 403
    assert not Portfolio.objects.exists()


# --- edit ------------------------------------------------------------------------------------


def test_edit_form_shows_current_values(alice_client, portfolio):
    html = alice_client.get(
        reverse("dashboard:portfolio-edit", args=[portfolio.pk])
    ).content.decode()
    assert 'value="Main"' in html and 'value="usd, btc"' in html


def test_edit_changes_title_and_currency_order(alice_client, portfolio):
    url = reverse("dashboard:portfolio-edit", args=[portfolio.pk])
    response = alice_client.post(url, {"title": "Renamed", "currencies": "btc, eur"})
    assert response.status_code == 302
    portfolio.refresh_from_db()
    assert portfolio.title == "Renamed"
    assert codes(portfolio) == ["btc", "eur"]


def test_edit_errors_keep_input_and_change_nothing(alice, alice_client, portfolio):
    url = reverse("dashboard:portfolio-edit", args=[portfolio.pk])
    response = alice_client.post(url, {"title": "Main 2", "currencies": "eur, nope"})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {"currencies": ["Unknown currency 'nope'."]}
    assert form["title"].value() == "Main 2" and form["currencies"].value() == "eur, nope"
    portfolio.refresh_from_db()
    assert portfolio.title == "Main" and codes(portfolio) == ["usd", "btc"]  # nothing half-saved


def test_a_title_another_portfolio_has_is_saved_with_a_warning(alice, alice_client, portfolio):
    # Given alice's portfolio "Main", when she creates another "Main" and renames a third to it
    from portfolios.services import portfolio_create

    created = alice_client.post(
        reverse("dashboard:portfolio-new"), {"title": "Main", "currencies": "eur"}, follow=True
    )
    third = portfolio_create(user=alice, title="Other", currency_codes=["usd"], source="test")
    renamed = alice_client.post(
        reverse("dashboard:portfolio-edit", args=[third.pk]),
        {"title": "Main", "currencies": "usd"},
        follow=True,
    )

    # Then both are saved, and each page says the title is shared (a warning, not an error)
    assert Portfolio.objects.filter(user=alice, title="Main").count() == 3
    for response in (created, renamed):
        assert response.status_code == 200
        warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
        assert warnings == [
            "Another of your portfolios is also called “Main”. That is allowed; a different "
            "title makes them easier to tell apart."
        ]
    # and a title nobody else has gets no warning
    response = alice_client.post(
        reverse("dashboard:portfolio-edit", args=[third.pk]),
        {"title": "Unique", "currencies": "usd"},
        follow=True,
    )
    assert not [m for m in response.context["messages"] if m.level_tag == "warning"]


# --- delete ------------------------------------------------------------------------------------


def test_delete_asks_first_then_deletes(alice_client, portfolio, address, offset):
    url = reverse("dashboard:portfolio-delete", args=[portfolio.pk])
    page = alice_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Delete the portfolio “Main”?" in html
    assert "Its 1 address and 1 offset are deleted with it." in html
    assert Portfolio.objects.filter(pk=portfolio.pk).exists()

    response = alice_client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse(
        "dashboard:portfolio-list"
    )
    assert not Portfolio.objects.filter(pk=portfolio.pk).exists()
    assert "Portfolio “Main” deleted." in alice_client.get(response["Location"]).content.decode()


def test_list_queries_do_not_grow_with_addresses(alice, alice_client):
    """Each portfolio costs a fixed number of queries (totals and a month of history),
    whatever it holds."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from addresses.services import address_create
    from currencies.models import Currency
    from portfolios.services import portfolio_create
    from tests.dashboard.conftest import ETH_ADDRESS, fetched, spot

    spot("eth", "usd", "3000")
    target = portfolio_create(user=alice, title="One", currency_codes=["usd"], source="test")
    codes = ["eth", *Currency.objects.filter(is_ethereum_token=True).values_list("code", flat=True)]
    counts = []
    for total in (2, 20):
        while target.addresses.count() < total:
            i = target.addresses.count()
            fetched(
                address_create(
                    portfolio=target,
                    title=f"A{i}",
                    address=ETH_ADDRESS,
                    currency_code=codes[i],
                    source="test",
                ),
                "1",
            )
        alice_client.get(reverse("dashboard:portfolio-list"))
        with CaptureQueriesContext(connection) as captured:
            assert alice_client.get(reverse("dashboard:portfolio-list")).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
