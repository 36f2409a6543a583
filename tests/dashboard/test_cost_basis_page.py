"""The cost-basis page: computing for the first time, then positions, realized gains and
income by year (with the year's CSV), open lots, the settings form and a rebuild."""

from __future__ import annotations

import pytest
from django.urls import reverse

from costbasis import services as store
from costbasis.build import costbasis_rebuild_now
from tests.dashboard.conftest import assert_login_redirect, import_statement

pytestmark = pytest.mark.django_db


def url(name: str, portfolio, *args) -> str:
    return reverse(f"dashboard:{name}", args=[portfolio.pk, *args])


@pytest.fixture
def built(alice, portfolio):
    """The demo statement imported and its cost basis computed (as the worker would)."""
    import_statement(portfolio, alice)
    costbasis_rebuild_now(portfolio=portfolio)
    return portfolio


def test_signed_out_and_other_users(anon_client, bob_client, built):
    for page in (url("cost-basis", built), url("cost-basis-report", built, 2024)):
        assert_login_redirect(anon_client.get(page), page)
    page = url("cost-basis", built)
    assert bob_client.get(page).status_code == 404
    assert bob_client.get(url("cost-basis-report", built, 2024)).status_code == 404
    for name in ("cost-basis-settings", "cost-basis-rebuild"):
        target = url(name, built)
        assert_login_redirect(anon_client.post(target), target)
        assert (
            bob_client.post(target, {"method": "hifo", "pooling": "universal"}).status_code == 404
        )
    assert store.costbasis_settings_get(portfolio=built).method == "fifo"


def test_first_computation_is_said_and_enqueued(alice_client, portfolio):
    from django.core.cache import cache

    html = alice_client.get(url("cost-basis", portfolio)).content.decode()
    assert "Computing the cost basis for the first time" in html
    assert cache.get(f"enqueued:costbasis:{portfolio.pk}") is not None
    assert "How it is computed" in html  # the settings can be chosen meanwhile


def test_positions_realized_gains_income_and_lots(alice_client, built):
    response = alice_client.get(url("cost-basis", built))
    assert response.status_code == 200
    summary = response.context["summary"]
    html = response.content.decode()
    assert "with <strong>FIFO</strong>, universal pooling, in USD" in html
    for position in summary.positions:
        assert f'<span class="cell-title">{position.currency.code.upper()}</span>' in html
    for realized in summary.realized:
        assert url("cost-basis-report", built, realized.year) in html
    assert summary.income and "Income by year" in html
    lots = response.context["lots"].paginator.count
    assert lots == summary.build.summary["counts"]["lots"] and lots > 0
    assert f"{lots} lots" in html


def test_the_years_report_downloads_as_csv(alice_client, built):
    year = alice_client.get(url("cost-basis", built)).context["summary"].realized[0].year
    response = alice_client.get(url("cost-basis-report", built, year))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"cost-basis-{built.pk}-{year}.csv" in response["Content-Disposition"]
    assert response.content.decode().count("\n") >= 2


def test_settings_are_saved_and_a_rebuild_enqueued(alice, alice_client, built):
    html = alice_client.get(url("cost-basis", built)).content.decode()
    assert '<option value="UTC" selected>' in html  # the tax time zone, UTC by default
    response = alice_client.post(
        url("cost-basis-settings", built),
        {
            "method": "hifo",
            "pooling": "per_wallet",
            "unclassified_out_to_elsewhere": "",
            "tax_time_zone": "America/New_York",
        },
    )
    assert response.status_code == 302 and response["Location"] == url("cost-basis", built)
    settings = store.costbasis_settings_get(portfolio=built)
    assert (settings.method, settings.pooling) == ("hifo", "per_wallet")
    assert settings.unclassified_out_to_elsewhere is False
    alice.refresh_from_db()
    assert alice.tax_time_zone == "America/New_York"
    html = alice_client.get(response["Location"]).content.decode()
    assert "Settings saved." in html
    assert '<option value="hifo" selected>' in html
    assert '<option value="America/New_York" selected>' in html


def test_settings_errors_keep_the_input(alice_client, built):
    response = alice_client.post(
        url("cost-basis-settings", built),
        {"method": "magic", "pooling": "per_wallet", "tax_time_zone": "Mars/Olympus"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "method" in form.errors and form["pooling"].value() == "per_wallet"
    assert "tax_time_zone" in form.errors
    assert store.costbasis_settings_get(portfolio=built).method == "fifo"


def test_rebuild(alice_client, built):
    response = alice_client.post(url("cost-basis-rebuild", built))
    assert response.status_code == 302
    page = alice_client.get(response["Location"]).content.decode()
    assert "computed again from scratch" in page or "already on its way" in page


def test_gains_and_income_by_asset(alice_client, portfolio):
    import re

    from tests.costbasis.conftest import day, make_entry, make_wallet

    # Given 1 BTC bought for 10,000 and half of it sold more than a year later for 30,000
    # (gain 30,000 - 5,000 = 25,000, long term), and 0.1 ETH of staking income worth 300
    wallet = make_wallet(portfolio)
    make_entry(wallet, "buy", "1", day("2023-01-10"), value="10000")
    make_entry(wallet, "sell", "0.5", day("2024-03-01"), value="30000")
    make_entry(wallet, "income", "0.1", day("2024-04-01"), "eth", value="300")
    costbasis_rebuild_now(portfolio=portfolio)

    html = alice_client.get(url("cost-basis", portfolio)).content.decode()

    section = html.split('id="by-asset-heading"')[1].split("<tbody>")[1].split("</tbody>")[0]
    cells = [
        re.sub(r"<[^>]+>", "", row).split()
        for row in re.findall(r"<tr>(.*?)</tr>", section, flags=re.S)
    ]
    assert cells == [
        ["btc", "2024", "$30,000.00", "$5,000.00", "$0.00", "+$25,000.00", "+$25,000.00", "$0.00"],
        ["eth", "2024", "$0.00", "$0.00", "$0.00", "$0.00", "$0.00", "$300.00"],
    ]
