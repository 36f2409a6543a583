"""Sign up, sign in, sign out, password change and reset, in the site's layout."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.dashboard.conftest import assert_login_redirect
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "heading"),
    [
        ("signup", "Create an account"),
        ("login", "Sign in"),
        ("password_reset", "Reset your password"),
        ("password_reset_done", "Check your email"),
        ("password_reset_complete", "Password set"),
    ],
)
def test_auth_pages_render(anon_client, name, heading):
    response = anon_client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{heading}</h1>" in html
    assert 'class="topbar"' in html and reverse("api:docs") in html


def test_sign_up_signs_in(anon_client):
    response = anon_client.post(
        reverse("signup"),
        {
            "email": "Carol@Example.com",
            "name": "Carol",
            "password1": "a-long-passphrase-9",
            "password2": "a-long-passphrase-9",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert User.objects.get(email="carol@example.com").name == "Carol"
    html = anon_client.get(reverse("dashboard:portfolio-list")).content.decode()
    assert "Welcome! Your account is ready." in html


def test_sign_up_follows_next_on_this_site_only(anon_client):
    data = {
        "email": "d@example.com",
        "password1": "a-long-passphrase-9",
        "password2": "a-long-passphrase-9",
    }
    response = anon_client.post(reverse("signup") + "?next=/oauth/authorize%3Fclient_id%3Dx", data)
    assert response["Location"] == "/oauth/authorize?client_id=x"
    anon_client.logout()
    data["email"] = "e@example.com"
    response = anon_client.post(reverse("signup") + "?next=https://evil.example/", data)
    assert response["Location"] == "/"


def test_sign_up_errors_keep_input(anon_client, alice):
    response = anon_client.post(
        reverse("signup"),
        {
            "email": "alice@example.com",
            "name": "Again",
            "password1": "a-long-passphrase-9",
            "password2": "other-passphrase-9",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "email" in form.errors and "password2" in form.errors
    html = response.content.decode()
    assert 'value="alice@example.com"' in html and 'value="Again"' in html
    assert "An account with this email address already exists. Sign in instead." in html


def test_sign_in_and_out(anon_client, alice):
    page = anon_client.get(reverse("login") + "?next=/portfolios/")
    assert 'name="next" value="/portfolios/"' in page.content.decode()
    response = anon_client.post(
        reverse("login"),
        {"username": "alice@example.com", "password": "alice-password-1", "next": "/portfolios/"},
    )
    assert response.status_code == 302 and response["Location"] == "/portfolios/"
    assert anon_client.get("/portfolios/").status_code == 200
    response = anon_client.post(reverse("logout"))
    assert response.status_code == 302
    assert_login_redirect(anon_client.get("/portfolios/"), "/portfolios/")


def test_sign_in_error_keeps_email(anon_client, alice):
    response = anon_client.post(
        reverse("login"), {"username": "alice@example.com", "password": "wrong"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="form-errors"' in html and 'value="alice@example.com"' in html


def test_password_change(alice_client, alice):
    target = reverse("password_change")
    assert alice_client.get(target).status_code == 200
    response = alice_client.post(
        target,
        {
            "old_password": "alice-password-1",
            "new_password1": "new-passphrase-77",
            "new_password2": "new-passphrase-77",
        },
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("new-passphrase-77")


def test_password_change_signed_out(anon_client):
    target = reverse("password_change")
    assert_login_redirect(anon_client.get(target), target)


def test_password_reset_round_trip(anon_client, alice):
    response = anon_client.post(reverse("password_reset"), {"email": "alice@example.com"})
    assert response.status_code == 302
    link = re.search(r"http://testserver(/auth/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = anon_client.get(link, follow=True)
    assert "<h1>Choose a new password</h1>" in form_page.content.decode()
    response = anon_client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "reset-passphrase-5", "new_password2": "reset-passphrase-5"},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("reset-passphrase-5")


def test_password_reset_bad_link(anon_client):
    html = anon_client.get("/auth/reset/MQ/bad-token/").content.decode()
    assert "This link no longer works" in html


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/accounts/login/?next=/portfolios/", "/auth/login/?next=/portfolios/"),
        ("/accounts/signup/", "/auth/signup/"),
        ("/accounts/reset/MQ/some-token/", "/auth/reset/MQ/some-token/"),
    ],
)
def test_old_sign_in_links_land_on_the_new_pages(anon_client, old, new):
    # /accounts/ now names exchange accounts; a bookmark or an emailed reset link of the old
    # paths still lands where it meant to
    response = anon_client.get(old)
    assert (response.status_code, response["Location"]) == (301, new)
    assert anon_client.get(new).status_code in (200, 302)


def test_the_sign_in_pages_live_under_auth():
    assert reverse("login") == "/auth/login/"
    assert reverse("password_reset_confirm", args=["MQ", "t"]) == "/auth/reset/MQ/t/"
