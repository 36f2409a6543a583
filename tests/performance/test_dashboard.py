"""The performance panel beside the value chart, the drawdown under it and the export buttons
show what the API (``/api/`` and ``/api/v1``) answers for the same portfolio and range."""

from __future__ import annotations

import re
from decimal import Decimal as D

from django.test import Client
from django.urls import reverse

from dashboard.display import format_percent
from tests.api.conftest import ok


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_panel_and_the_export_match_the_api(
    api, alice, bob, book, django_capture_on_commit_callbacks
):
    page = reverse("dashboard:portfolio-detail", args=[book.pk]) + "?range=1m"
    with django_capture_on_commit_callbacks(execute=True):
        html = signed_in(alice).get(page).content.decode()
    assert "being computed" in html  # the first visit enqueued the build
    api_url = f"/api/portfolios/{book.pk}/history/performance?timeframe=1M&currency=usd"
    figures = ok(api.get(api_url))
    html = signed_in(alice).get(page).content.decode()
    shown = panel_figures(html)
    v1 = api.get(f"/api/v1/portfolio/history/performance?portfolio_id={book.uuid}&timeframe=1M")
    assert v1.status_code == 200, v1.content
    v1 = v1.json()
    for label, key, v1_key in (
        ("Time-weighted return", "twr", "return_rate"),
        ("Money-weighted return (yearly)", "mwr", None),  # v1 has no money-weighted return
        ("Maximum drawdown", "max_drawdown", "max_drawdown"),
        ("Volatility (yearly)", "volatility", "volatility"),
    ):
        assert figures[key] is not None, key
        assert shown[label] == format_percent(D(figures[key])), label
        if v1_key:
            assert shown[label] == format_percent(D(v1[v1_key])), label
    assert D(figures["max_drawdown"]) > 0  # the book falls from 120 to 90: a real drawdown
    # the drawdown under the value line: one row a day of the range, the deepest is the maximum
    drawn = drawdown_rows(html)
    assert len(drawn) == len(ok(api.get(api_url.replace("/performance", ""))))
    assert drawn[0][1] == format_percent(D(0))
    assert "no price" in {text for _, text in drawn}  # the day without a close is a gap
    deepest = min(D(text.rstrip("%")) for _, text in drawn if text != "no price")
    assert f"{deepest}%" == format_percent(-D(figures["max_drawdown"]))
    export = reverse("dashboard:history-export", args=[book.pk])
    response = signed_in(alice).get(f"{export}?timeframe=1M&currency=usd&format=csv")
    assert response.status_code == 200
    same = api.get(f"/api/portfolios/{book.pk}/history/export?timeframe=1M&currency=usd")
    assert response.content == same.content
    assert signed_in(bob).get(f"{export}?timeframe=1M&currency=usd").status_code == 404
    assert signed_in(alice).get(f"{export}?timeframe=9Y").status_code == 400


def panel_figures(html: str) -> dict[str, str]:
    """The performance panel's figures as displayed: label -> the text of its value."""
    panel = html[html.index('class="performance-panel"') :]
    return {
        label.strip(): value.strip()
        for label, value in re.findall(r"<dt[^>]*>([^<]+)</dt><dd>([^<]*)", panel)
    }


def drawdown_rows(html: str) -> list[tuple[str, str]]:
    """(date, drawdown) of the wide drawdown chart's table."""
    figure = re.search(
        r'<figure class="chart chart-drawdown" id="drawdown-chart">.*?</figure>', html
    )
    assert figure, "no drawdown chart"
    return re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td></tr>", figure.group(0))
