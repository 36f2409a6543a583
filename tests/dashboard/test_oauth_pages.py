"""The OAuth2 consent screen, Connected apps (revoke) and the restyled DOT application pages."""

from __future__ import annotations

import base64
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, Grant, RefreshToken

from core.scopes import SCOPES
from tests.dashboard.conftest import assert_login_redirect
from users.selectors import connected_apps

pytestmark = pytest.mark.django_db

REDIRECT = "http://127.0.0.1:9999/callback"
SECRET = "client-secret-for-tests"


@pytest.fixture
def app(bob) -> Application:
    """A confidential app registered by bob, which alice authorizes."""
    return Application.objects.create(
        name="Budget helper",
        user=bob,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT,
        client_secret=SECRET,
    )


def authorize_url(app: Application, scope: str = "read info", state: str = "s1") -> str:
    query = f"response_type=code&client_id={app.client_id}&redirect_uri={REDIRECT}&scope={scope.replace(' ', '+')}&state={state}"
    return f"{reverse('oauth2_provider:authorize')}?{query}"


def hidden_fields(response) -> dict[str, str]:
    form = response.context["form"]
    return {
        name: field.value() or "" for name, field in ((f.name, f) for f in form) if field.is_hidden
    }


def grant_tokens(client, alice_client, app: Application, scope: str = "read info") -> dict:
    """Run the authorization-code flow for alice and exchange the code for tokens."""
    page = alice_client.get(authorize_url(app, scope))
    response = alice_client.post(
        authorize_url(app, scope), {**hidden_fields(page), "allow": "Authorize"}
    )
    code = parse_qs(urlsplit(response["Location"]).query)["code"][0]
    basic = base64.b64encode(f"{app.client_id}:{SECRET}".encode()).decode()
    token = client.post(
        "/oauth/token",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert token.status_code == 200, token.content
    return token.json()


# --- consent screen ----------------------------------------------------------------------------


def test_consent_needs_sign_in(anon_client, app):
    target = authorize_url(app)
    response = anon_client.get(target)
    assert response.status_code == 302 and response["Location"].startswith("/auth/login/?next=")


def test_consent_screen_says_what_each_scope_allows(alice_client, app):
    response = alice_client.get(authorize_url(app, "read info"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Allow “Budget helper” to use your account?" in html
    assert (
        '<span class="pill pill-accent">read</span><span>' + SCOPES["read"].replace("'", "&#x27;")
        in html
    )
    assert SCOPES["info"] in html
    assert SCOPES["write"] not in html
    assert "127.0.0.1:9999" in html  # where the answer goes
    assert reverse("dashboard:connected-apps") in html
    # DOT's form, field for field: hidden inputs, a Cancel submit and allow=Authorize
    assert 'id="authorizationForm"' in html
    for name in ("redirect_uri", "scope", "client_id", "state", "response_type"):
        assert f'type="hidden" name="{name}"' in html
    assert '<input type="submit" class="primary" name="allow" value="Authorize"/>' in html
    assert '<input type="submit" class="secondary" value="Cancel"/>' in html


def test_authorize_sends_a_code_back(alice_client, app):
    page = alice_client.get(authorize_url(app))
    response = alice_client.post(authorize_url(app), {**hidden_fields(page), "allow": "Authorize"})
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["s1"] and query["code"]
    assert Grant.objects.filter(application=app).count() == 1


def test_cancel_denies_access(alice_client, app):
    page = alice_client.get(authorize_url(app))
    response = alice_client.post(authorize_url(app), hidden_fields(page))
    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query)["error"] == ["access_denied"]
    assert not Grant.objects.exists()


def test_consent_error_is_in_plain_words(alice_client, app):
    target = authorize_url(app).replace(REDIRECT, "http://127.0.0.1:9999/elsewhere")
    response = alice_client.get(target)
    assert response.status_code == 400
    html = response.content.decode()
    assert "This app's request cannot be completed" in html
    assert "<code>invalid_request</code>" in html
    assert 'id="authorizationForm"' not in html


# --- connected apps ------------------------------------------------------------------------------


def test_connected_apps_needs_sign_in(anon_client):
    target = reverse("dashboard:connected-apps")
    assert_login_redirect(anon_client.get(target), target)


def test_connected_apps_empty(alice_client):
    html = alice_client.get(reverse("dashboard:connected-apps")).content.decode()
    assert "No connected apps" in html


def test_connected_apps_lists_authorized_app_with_scopes(client, alice, alice_client, app, bob):
    grant_tokens(client, alice_client, app, "read info")
    # a token of bob's for the same app, and an API-test token without an app, are not alice's apps
    AccessToken.objects.create(
        user=bob,
        application=app,
        token="bob-tok",
        expires=timezone.now() + timedelta(hours=1),
        scope="read",
    )
    AccessToken.objects.create(
        user=alice,
        application=None,
        token="no-app",
        expires=timezone.now() + timedelta(hours=1),
        scope="read",
    )

    apps = connected_apps(user=alice)
    assert [(a.application.name, [name for name, _ in a.scopes]) for a in apps] == [
        ("Budget helper", ["info", "read"])
    ]

    html = alice_client.get(reverse("dashboard:connected-apps")).content.decode()
    assert "Budget helper" in html
    assert SCOPES["info"] in html
    assert reverse("dashboard:connected-app-revoke", args=[app.pk]) in html


def test_expired_access_token_with_live_refresh_token_still_counts(
    client, alice, alice_client, app
):
    grant_tokens(client, alice_client, app)
    AccessToken.objects.update(expires=timezone.now() - timedelta(minutes=1))
    assert [a.application for a in connected_apps(user=alice)] == [app]
    RefreshToken.objects.update(revoked=timezone.now())
    assert connected_apps(user=alice) == []


def test_revoke_withdraws_every_token_of_that_app(client, alice, alice_client, app, bob):
    tokens = grant_tokens(client, alice_client, app)
    bob_token = AccessToken.objects.create(
        user=bob,
        application=app,
        token="bob-tok",
        expires=timezone.now() + timedelta(hours=1),
        scope="read",
    )
    assert (
        client.get("/api/user", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").status_code
        == 200
    )

    response = alice_client.post(reverse("dashboard:connected-app-revoke", args=[app.pk]))
    assert response.status_code == 302 and response["Location"] == reverse(
        "dashboard:connected-apps"
    )
    assert not AccessToken.objects.filter(user=alice).exists()
    assert not RefreshToken.objects.filter(user=alice, revoked__isnull=True).exists()
    assert AccessToken.objects.filter(pk=bob_token.pk).exists()  # bob's own grant stays
    assert (
        client.get("/api/user", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").status_code
        == 401
    )
    refreshed = client.post(
        "/oauth/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": app.client_id,
            "client_secret": SECRET,
        },
    )
    assert refreshed.status_code == 400
    page = alice_client.get(response["Location"]).content.decode()
    assert "“Budget helper” can no longer use your account." in page
    assert "No connected apps" in page


def test_revoke_needs_post(alice_client, client, app):
    grant_tokens(client, alice_client, app)
    assert (
        alice_client.get(reverse("dashboard:connected-app-revoke", args=[app.pk])).status_code
        == 405
    )
    assert AccessToken.objects.exists()


def test_revoking_an_app_one_never_authorized_is_not_found(alice_client, bob_client, client, app):
    grant_tokens(client, alice_client, app)
    assert (
        bob_client.post(reverse("dashboard:connected-app-revoke", args=[app.pk])).status_code == 404
    )
    assert (
        bob_client.post(reverse("dashboard:connected-app-revoke", args=[999999])).status_code == 404
    )
    assert AccessToken.objects.count() == 1


# --- DOT's application pages, restyled -------------------------------------------------------------


def test_application_pages_render_in_the_site_layout(bob_client, app):
    for target in (
        reverse("oauth2_provider:list"),
        reverse("oauth2_provider:register"),
        reverse("oauth2_provider:detail", args=[app.pk]),
        reverse("oauth2_provider:update", args=[app.pk]),
        reverse("oauth2_provider:delete", args=[app.pk]),
        reverse("oauth2_provider:authorized-token-list"),
    ):
        response = bob_client.get(target)
        assert response.status_code == 200, target
        html = response.content.decode()
        assert 'class="topbar"' in html and reverse("api:docs") in html, target
    detail = bob_client.get(reverse("oauth2_provider:detail", args=[app.pk])).content.decode()
    assert app.client_id in detail and "Budget helper" in detail
    assert SECRET not in detail


def test_register_an_application(bob, bob_client):
    response = bob_client.post(
        reverse("oauth2_provider:register"),
        {
            "name": "My script",
            "client_id": "my-client-id",
            "client_secret": "my-secret",
            "hash_client_secret": "on",
            "client_type": Application.CLIENT_PUBLIC,
            "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
            "redirect_uris": "http://127.0.0.1:8123/cb",
            "post_logout_redirect_uris": "",
            "allowed_origins": "",
            "algorithm": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Application.objects.filter(user=bob, name="My script").exists()


def test_register_errors_stay_on_the_form(bob_client):
    response = bob_client.post(reverse("oauth2_provider:register"), {"name": "No grant"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="No grant"' in html
    assert "error-text" in html


def test_application_of_another_user_is_not_found(alice_client, app):
    assert alice_client.get(reverse("oauth2_provider:detail", args=[app.pk])).status_code == 404
