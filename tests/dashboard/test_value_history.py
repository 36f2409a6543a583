"""The value chart and the 1-day and 1-month changes use real prices only: a day without a
price is a gap in the chart, and a change either side of which lacks a price is "—" with the
reason, on the portfolio page and the portfolio list alike."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from offsets.models import Offset, OffsetBalance
from offsets.services import offset_create
from portfolios.history import long_date
from tests.dashboard.conftest import daily, spot

pytestmark = pytest.mark.django_db


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def held_since(portfolio, days: int, balances: dict[str, str]):
    offset = offset_create(
        portfolio=portfolio,
        title="Held",
        balances=[{"currency": c, "balance": b} for c, b in balances.items()],
        source="test",
    )
    since = timezone.now() - timedelta(days=days)
    Offset.objects.filter(pk=offset.pk).update(created_at=since)
    OffsetBalance.objects.filter(offset=offset).update(created_at=since)


def changes(html: str) -> list[str]:
    """The words of the 1-day and 1-month cells."""
    return [
        text(cell).strip() for cell in re.findall(r"<dd class=\"trend-[^\"]*\">(.*?)</dd>", html)
    ]


def test_a_day_without_a_price_is_a_gap_in_the_chart(alice_client, portfolio):
    # Given 1 BTC held for ten days, daily prices on every day but 4 and 5 days ago
    held_since(portfolio, 10, {"btc": "1"})
    today = timezone.now().date()
    for n in range(1, 11):
        if n not in (4, 5):
            daily("btc", "usd", today - timedelta(days=n), str(40000 + 100 * n))
    spot("btc", "usd", "40000")
    # When the page shows the last month
    html = alice_client.get(
        reverse("dashboard:portfolio-detail", args=[portfolio.pk]) + "?range=1m"
    ).content.decode()
    chart = re.search(
        r'<figure class="chart chart-line" id="value-chart">.*?</figure>', html
    ).group(0)
    # Then the line breaks once (two pieces), never dropping to zero, and the gap is marked
    line = re.search(r'<path class="line" d="([^"]*)"', chart).group(1)
    assert len([p for p in line.split("M") if p.strip()]) == 2
    five, four = (long_date(today - timedelta(days=n)) for n in (5, 4))
    assert f"<title>No price: {five} to {four}</title>" in chart
    assert "$0" not in re.findall(r'class="y-label"[^>]*>([^<]*)<', chart)
    assert "Days without a real price for BTC (2 days) are gaps in the line" in html


def test_changes_from_real_prices_and_no_number_built_on_a_stale_price(
    alice, alice_client, portfolio
):
    # Given 20 BTC held for 400 days, priced by one trade 400 days ago at $106,050 (the old
    # statement price that was carried over a year), yesterday's close and today's spot
    held_since(portfolio, 400, {"btc": "20"})
    today = timezone.now().date()
    daily("btc", "usd", today - timedelta(days=400), "106050", kind="observed")
    daily("btc", "usd", today - timedelta(days=1), "39000")
    spot("btc", "usd", "40000")

    # When the portfolio page and the list are shown
    detail = alice_client.get(reverse("dashboard:portfolio-detail", args=[portfolio.pk]))
    listing = alice_client.get(reverse("dashboard:portfolio-list"))

    # Then the day's change is hand-computed from two real prices:
    # 20 x (40,000 - 39,000) = +$20,000, of 780,000 = +2.6 %
    month_ago = long_date(today - timedelta(days=30))
    for html in (detail.content.decode(), listing.content.decode()):
        day, month = changes(html)
        assert day == "+$20,000.00 +2.6%"
        # And the month's change is no number (there is no price 30 days ago), with the reason
        assert month == f"— No price for BTC on {month_ago}."
        assert "62" not in month
    day_change = detail.context["day_change"]
    assert day_change.amount == 20000
    assert round(day_change.fraction, 6) == Decimal("0.025641")  # 20,000 / 780,000
    summary = listing.context["portfolios"][0][1]
    assert summary.month.amount is None and summary.day.amount == 20000


def test_without_todays_price_both_changes_say_why(alice_client, portfolio):
    # Given prices up to yesterday but no spot price today
    held_since(portfolio, 40, {"btc": "1"})
    today = timezone.now().date()
    for n in range(1, 35):
        daily("btc", "usd", today - timedelta(days=n), "40000")
    html = alice_client.get(reverse("dashboard:portfolio-list")).content.decode()
    assert changes(html) == ["— No price for BTC today.", "— No price for BTC today."]
