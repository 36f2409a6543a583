"""The performance panel beside the value chart and its export buttons show what the API
answers for the same portfolio and range."""

from __future__ import annotations

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
    for key in ("twr", "mwr", "max_drawdown", "volatility"):
        assert f"<dd>{format_percent(D(figures[key]))}" in html, key
    export = reverse("dashboard:history-export", args=[book.pk])
    response = signed_in(alice).get(f"{export}?timeframe=1M&currency=usd&format=csv")
    assert response.status_code == 200
    same = api.get(f"/api/portfolios/{book.pk}/history/export?timeframe=1M&currency=usd")
    assert response.content == same.content
    assert signed_in(bob).get(f"{export}?timeframe=1M&currency=usd").status_code == 404
    assert signed_in(alice).get(f"{export}?timeframe=9Y").status_code == 400
