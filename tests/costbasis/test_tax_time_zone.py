"""The holding period and the tax year in the user's tax time zone, through the API.

Long term means held more than one year: sold on a calendar date after the first anniversary
of the acquisition's date (an acquisition on 29 February has its anniversary on 28 February),
both dates read in the user's tax time zone (default UTC). New York is UTC-5 in winter, so
2022-01-02T03:00Z is 2022-01-01 22:00 there.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from costbasis.models import CostBasisBuild
from tests.api.conftest import ok
from tests.costbasis.conftest import build, make_entry, make_portfolio, make_wallet

P = "/api/portfolios/{}/cost-basis"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(f"{text}+00:00")


def buy_then_sell(portfolio, acquired: str, sold: str) -> None:
    wallet = make_wallet(portfolio)
    make_entry(wallet, "buy", "1", utc(acquired), value="100")
    make_entry(wallet, "sell", "1", utc(sold), value="150")


def set_zone(api, portfolio, zone: str) -> dict:
    return ok(api.patch(P.format(portfolio.pk) + "/settings", {"tax_time_zone": zone}))


@pytest.mark.parametrize(
    ("zone", "acquired", "sold", "term"),
    [
        ("UTC", "2021-01-01T12:00:00", "2022-01-01T12:00:00", "short"),  # exactly a year
        ("UTC", "2021-01-01T12:00:00", "2022-01-02T12:00:00", "long"),  # a year and a day
        ("UTC", "2020-02-29T12:00:00", "2021-02-28T12:00:00", "short"),  # anniversary 28 Feb
        ("UTC", "2020-02-29T12:00:00", "2021-03-01T12:00:00", "long"),
        # 2022-01-02 in UTC, but still 2022-01-01 in New York
        ("UTC", "2021-01-01T12:00:00", "2022-01-02T03:00:00", "long"),
        ("America/New_York", "2021-01-01T12:00:00", "2022-01-02T03:00:00", "short"),
        ("America/New_York", "2021-01-01T12:00:00", "2022-01-02T05:00:00", "long"),  # midnight
        # acquired 2020-02-29 in New York (2020-03-01T03:00Z): sold 2021-02-28 there is short
        ("America/New_York", "2020-03-01T03:00:00", "2021-03-01T04:59:59", "short"),
        ("America/New_York", "2020-03-01T03:00:00", "2021-03-01T05:00:00", "long"),
    ],
)
def test_term_at_each_boundary(api, alice, zone, acquired, sold, term):
    portfolio = make_portfolio(alice)
    buy_then_sell(portfolio, acquired, sold)
    if zone != "UTC":
        assert set_zone(api, portfolio, zone)["tax_time_zone"] == zone
    build(portfolio)

    (disposal,) = ok(api.get(P.format(portfolio.pk) + "/disposals"))

    assert [lot["term"] for lot in disposal["lots"]] == [term]


def test_the_tax_year_is_that_of_the_zone(api, alice):
    # Given a sale at 2023-01-01T03:00Z: 2023 in UTC, 2022-12-31 in New York
    portfolio = make_portfolio(alice)
    buy_then_sell(portfolio, "2022-06-01T12:00:00", "2023-01-01T03:00:00")
    url = P.format(portfolio.pk)
    set_zone(api, portfolio, "America/New_York")
    build(portfolio)

    # Then its gain (150 - 100, short term) is of 2022 in the summary, the year filter and the
    # report, whose dates are New York's
    realized = ok(api.get(url))["realized"]
    assert [(r["year"], r["short_term"]) for r in realized] == [(2022, "50.0")]
    assert len(ok(api.get(url + "/disposals?year=2022"))) == 1
    assert ok(api.get(url + "/disposals?year=2023")) == []
    report = api.get(url + "/report.csv?year=2022").content.decode().splitlines()
    assert report[1].split(",")[1:3] == ["2022-06-01", "2022-12-31"]
    assert api.get(url + "/report.csv?year=2023").content.decode().count("\n") == 4  # totals


def test_changing_the_zone_rebuilds_every_portfolio_of_the_user(
    api, alice, django_capture_on_commit_callbacks
):
    # Given two portfolios built in UTC: the sale is long term there
    first, second = make_portfolio(alice), make_portfolio(alice, title="Second")
    for portfolio in (first, second):
        buy_then_sell(portfolio, "2021-01-01T12:00:00", "2022-01-02T03:00:00")
        build(portfolio)

    # When the zone is changed through one of them (in any case)
    with django_capture_on_commit_callbacks(execute=True):
        answer = set_zone(api, first, "america/new_york")

    # Then it is stored as the zone database spells it, and both were rebuilt in it
    assert answer["tax_time_zone"] == "America/New_York"
    alice.refresh_from_db()
    assert alice.tax_time_zone == "America/New_York"
    for portfolio in (first, second):
        stored = CostBasisBuild.objects.get(portfolio=portfolio)
        assert (stored.mode, stored.reason) == ("full", "settings changed")
        assert ok(api.get(P.format(portfolio.pk) + "/settings"))["tax_time_zone"] == (
            "America/New_York"
        )
        (disposal,) = ok(api.get(P.format(portfolio.pk) + "/disposals"))
        assert disposal["lots"][0]["term"] == "short"


def test_a_zone_changed_elsewhere_makes_the_results_stale(api, alice):
    portfolio = make_portfolio(alice)
    buy_then_sell(portfolio, "2021-01-01T12:00:00", "2022-01-02T03:00:00")
    build(portfolio)

    alice.tax_time_zone = "America/New_York"  # as the admin would
    alice.save()

    assert ok(api.get(P.format(portfolio.pk)))["build"]["stale"] is True


def test_the_zone_is_the_users_own(api, bob_api, alice, bob):
    portfolio = make_portfolio(alice)
    set_zone(api, portfolio, "Asia/Tokyo")

    bob.refresh_from_db()
    assert bob.tax_time_zone == "UTC"
    assert (
        bob_api.patch(P.format(portfolio.pk) + "/settings", {"tax_time_zone": "UTC"}).status_code
        == 404
    )
