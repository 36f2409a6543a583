"""The targets page: the editor (percent in, fractions stored), current versus target, drift and
the trades back to target, the same numbers as GET /api/portfolios/ID/analytics."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from currencies.models import Currency
from dashboard.templatetags.ui import money, percent, quantity, signed_percent
from offsets.services import offset_create
from portfolios.selectors import portfolio_targets
from portfolios.services import portfolio_update
from tests.conftest import client_for
from tests.dashboard.conftest import spot

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(portfolio):
    """1 BTC at 60000 USD and 20 ETH at 2000: 100000 USD, 60 % / 40 %; targets half each."""
    offset_create(
        portfolio=portfolio,
        title="Paper",
        balances=[{"currency": "btc", "balance": "1"}, {"currency": "eth", "balance": "20"}],
        source="test",
    )
    spot("btc", "usd", "60000")
    spot("eth", "usd", "2000")
    portfolio_update(
        portfolio=portfolio,
        fields={"target_allocations": {"btc": Decimal("0.5"), "eth": Decimal("0.5")}},
    )
    return portfolio


def url(portfolio) -> str:
    return reverse("dashboard:portfolio-targets", args=[portfolio.pk])


def test_the_page_shows_the_numbers_the_api_answers(held, alice, alice_client):
    api = client_for(alice, "read").get(f"/api/portfolios/{held.pk}/analytics").json()["result"]
    page = alice_client.get(url(held))
    html = page.content.decode()

    assert page.status_code == 200
    usd = Currency.objects.get(code="usd")
    # drift +10 % / -10 %, total drift 10 %; sell 1/6 BTC and buy 5 ETH, 10000 USD each
    assert [a["drift"] for a in api["allocations"]] == ["0.1", "-0.1"]
    for row in api["allocations"]:
        assert money(Decimal(row["value"]), usd) in html
        assert percent(Decimal(row["current"])) in html
        assert signed_percent(Decimal(row["drift"])) in html
    assert percent(Decimal(api["total_drift"])) in html
    assert [(t["side"], t["quantity"]) for t in api["trades"]] == [
        ("sell", "0.166666666666666667"),
        ("buy", "5.0"),
    ]
    for trade in api["trades"]:
        asset = Currency.objects.get(code=trade["currency"]["code"])
        assert quantity(Decimal(trade["quantity"]), asset) in html
        assert money(Decimal(trade["value"]), usd) in html
    assert 'value="50"' in html  # the stored target, in percent
    # scripts from static files only (the CSP allows no inline script)
    assert "<script>" not in html and "js/targets.js" in html


def test_saving_percents_stores_fractions(held, alice_client):
    body = {"asset": ["btc", "eth", "sol", ""], "percent": ["62.5", "30", "7.5", ""]}
    response = alice_client.post(url(held), body)

    assert response.status_code == 302
    assert portfolio_targets(held) == {
        "btc": Decimal("0.625"),
        "eth": Decimal("0.3"),
        "sol": Decimal("0.075"),
    }
    # every percent empty removes the targets
    alice_client.post(url(held), {"asset": ["btc", "eth"], "percent": ["", ""]})
    assert portfolio_targets(held) == {}


@pytest.mark.parametrize(
    ("body", "sentence"),
    [
        (
            {"asset": ["btc", "eth"], "percent": ["60", "30"]},
            "The targets add up to 90 %, not 100 %.",
        ),
        (
            {"asset": ["btc", "xyz"], "percent": ["50", "50"]},
            "target_allocations names an unknown asset &#x27;xyz&#x27;",
        ),
        ({"asset": ["btc", "btc"], "percent": ["50", "50"]}, "btc has two targets; give it one."),
        (
            {"asset": ["btc", "eth"], "percent": ["150", "-50"]},
            "The target of btc must be between 0 and 100 %.",
        ),
        ({"asset": ["btc", ""], "percent": ["50", "50"]}, "The target of 50 % names no asset."),
        (
            {"asset": ["btc"], "percent": ["lots"]},
            "The target of btc (&#x27;lots&#x27;) is not a number.",
        ),
    ],
)
def test_bad_targets_are_explained_and_change_nothing(held, alice_client, body, sentence):
    response = alice_client.post(url(held), body)

    assert response.status_code == 200
    assert sentence in response.content.decode()
    assert portfolio_targets(held) == {"btc": Decimal("0.5"), "eth": Decimal("0.5")}


def test_another_users_portfolio_is_404(held, bob_client):
    assert bob_client.get(url(held)).status_code == 404
    assert bob_client.post(url(held), {"asset": ["btc"], "percent": ["100"]}).status_code == 404
    assert portfolio_targets(held) == {"btc": Decimal("0.5"), "eth": Decimal("0.5")}


def test_the_edit_form_writes_the_other_settings(portfolio, alice, alice_client):
    from portfolios.services import portfolio_create

    other = portfolio_create(
        user=alice, title="Other", currency_codes=["usd"], source="t", fields={"is_default": True}
    )
    edit = reverse("dashboard:portfolio-edit", args=[portfolio.pk])
    assert 'name="risk_tolerance"' in alice_client.get(edit).content.decode()
    body = {
        "title": "Main",
        "currencies": "usd, btc",
        "settings_shown": "on",
        "description": "Savings",
        "risk_tolerance": "conservative",
        "status": "active",
        "tags": "core, long term, core",
        "is_default": "on",
    }
    assert alice_client.post(edit, body).status_code == 302

    portfolio.refresh_from_db()
    other.refresh_from_db()
    assert (portfolio.description, portfolio.risk_tolerance, portfolio.status) == (
        "Savings",
        "conservative",
        "active",
    )
    assert portfolio.tags == ["core", "long term"]
    assert (portfolio.is_default, portfolio.is_active, other.is_default) == (True, False, False)
    # a post without the settings (only title and currencies) leaves them as they are
    alice_client.post(edit, {"title": "Renamed", "currencies": "usd"})
    portfolio.refresh_from_db()
    assert (portfolio.title, portfolio.is_default, portfolio.tags) == (
        "Renamed",
        True,
        ["core", "long term"],
    )
