"""Developer page: the user's OAuth2 applications and personal API keys."""

from __future__ import annotations

import pytest
from django.urls import reverse
from oauth2_provider.models import Application

from tests.dashboard.conftest import assert_login_redirect
from users.models import ApiKey
from users.services import api_key_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["developer", "api-key-new"])
def test_signed_out_goes_to_sign_in(anon_client, name):
    target = reverse(f"dashboard:{name}")
    assert_login_redirect(anon_client.get(target), target)


def test_revoke_signed_out_goes_to_sign_in(anon_client, alice):
    key = api_key_create(user=alice, name="k", scopes=["read"]).api_key
    target = reverse("dashboard:api-key-revoke", args=[key.pk])
    assert_login_redirect(anon_client.post(target), target)
    key.refresh_from_db()
    assert key.is_active


def test_developer_lists_own_apps_and_keys(alice, bob, alice_client, oauth_app):
    Application.objects.create(
        name="Bob's app",
        user=bob,
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="http://127.0.0.1:1/cb",
    )
    mine = api_key_create(user=alice, name="Spreadsheet", scopes=["read", "info"]).api_key
    api_key_create(user=bob, name="Bob key", scopes=["read"])
    html = alice_client.get(reverse("dashboard:developer")).content.decode()
    assert "Test app" in html and reverse("oauth2_provider:detail", args=[oauth_app.pk]) in html
    assert "Bob&#x27;s app" not in html and "Bob key" not in html
    assert "Spreadsheet" in html and f"ctk_{mine.prefix}_…" in html
    assert (
        '<span class="pill pill-accent">info</span><span class="pill pill-accent">read</span>'
        in html
    )
    assert "never" in html  # last used
    assert reverse("oauth2_provider:register") in html
    assert reverse("dashboard:api-key-revoke", args=[mine.pk]) in html


def test_create_key_shows_it_once(alice, alice_client):
    response = alice_client.post(
        reverse("dashboard:api-key-new"), {"name": "Script", "scopes": ["read", "info"]}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = response.context["key"]
    assert key.startswith("ctk_")
    html = response.content.decode()
    assert f'value="{key}"' in html
    assert "Copy it now." in html
    stored = ApiKey.objects.get(user=alice)
    assert stored.name == "Script" and stored.scope_list == ["info", "read"]
    assert key not in stored.key_hash
    # the key works against the API, and is never shown again
    assert alice_client.get("/api/user", HTTP_X_API_KEY=key).status_code == 200
    assert key not in alice_client.get(reverse("dashboard:developer")).content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "No scope"}, "scopes", "Choose at least one scope: read, info."),
        ({"name": "n" * 101, "scopes": ["read"]}, "name", "Name must be at most 100 characters."),
    ],
)
def test_create_key_errors_keep_input(alice_client, data, field, message):
    response = alice_client.post(reverse("dashboard:api-key-new"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {field: [message]}
    assert form["name"].value() == data["name"]
    assert "key" not in response.context
    assert not ApiKey.objects.exists()


def test_create_key_refuses_write_scope(alice_client):
    response = alice_client.post(
        reverse("dashboard:api-key-new"), {"name": "x", "scopes": ["write"]}
    )
    assert response.status_code == 200
    assert "scopes" in response.context["form"].errors
    assert not ApiKey.objects.exists()


def test_revoke_key(alice, alice_client):
    created = api_key_create(user=alice, name="Old", scopes=["read"])
    response = alice_client.post(reverse("dashboard:api-key-revoke", args=[created.api_key.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("dashboard:developer")
    created.api_key.refresh_from_db()
    assert not created.api_key.is_active
    assert alice_client.get("/api/user", HTTP_X_API_KEY=created.key).status_code == 401
    html = alice_client.get(response["Location"]).content.decode()
    assert "API key “Old” revoked" in html and "Revoked" in html


def test_revoke_another_users_key_is_not_found(alice, bob_client):
    created = api_key_create(user=alice, name="Alice key", scopes=["read"])
    assert (
        bob_client.post(reverse("dashboard:api-key-revoke", args=[created.api_key.pk])).status_code
        == 404
    )
    created.api_key.refresh_from_db()
    assert created.api_key.is_active


def test_revoke_needs_post(alice, alice_client):
    created = api_key_create(user=alice, name="k", scopes=["read"])
    assert (
        alice_client.get(reverse("dashboard:api-key-revoke", args=[created.api_key.pk])).status_code
        == 405
    )
