"""The base layout: local assets only, top bar, messages, footer; the assets are served."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_every_asset_comes_from_this_server(alice_client, portfolio, address, offset):
    pages = [
        reverse("dashboard:portfolio-list"),
        reverse("dashboard:portfolio-detail", args=[portfolio.pk]),
        reverse("dashboard:offset-new", args=[portfolio.pk]),
        reverse("dashboard:developer"),
        reverse("dashboard:connected-apps"),
    ]
    for page in pages:
        html = alice_client.get(page).content.decode()
        assets = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="([^"]+)"', html)
        assert assets, page
        assert all(a.startswith("/static/") for a in assets), (page, assets)
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
        assert f'href="{reverse("api:docs")}"' in html


@pytest.mark.parametrize(
    "path", ["/static/css/app.css", "/static/js/app.js", "/static/img/logo.svg"]
)
def test_static_files_are_served(client, path):
    response = client.get(path)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"http://" not in body.replace(b"http://www.w3.org/2000/svg", b"")
    assert b"https://" not in body


def test_account_menu_and_sign_out_form(alice_client):
    html = alice_client.get(reverse("dashboard:portfolio-list")).content.decode()
    menu = html[html.index('id="account-menu"') :]
    assert reverse("dashboard:connected-apps") in menu
    assert reverse("dashboard:developer") in menu
    assert reverse("password_change") in menu
    assert f'<form method="post" action="{reverse("logout")}">' in menu


def test_signed_out_top_bar_offers_sign_in(anon_client):
    html = anon_client.get(reverse("login")).content.decode()
    assert 'id="account-menu"' not in html
    assert reverse("signup") in html


def test_messages_are_announced(alice_client):
    response = alice_client.post(
        reverse("dashboard:portfolio-new"), {"title": "A", "currencies": "usd"}, follow=True
    )
    assert (
        '<p class="message success" role="status">Portfolio “A” created.</p>'
        in response.content.decode()
    )
