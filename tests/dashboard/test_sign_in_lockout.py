"""The sign-in page locks an account or an address out after repeated wrong passwords, and the
password-reset page limits its mails, at the production limits (settings, "Throttling")."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.db.models import F
from django.test import Client
from django.urls import reverse

LIMIT = settings.AXES_FAILURE_LIMIT
COOL_OFF = int(settings.AXES_COOLOFF_TIME.total_seconds())
LOCKED = "Too many failed sign-in attempts. Try again in 15 minutes."


@pytest.fixture(autouse=True)
def _empty_throttle_history(db):
    """Counters start at zero: a transactional test before this one may have left request
    history in the database cache (a flush does not empty the cache table)."""
    cache.clear()


def sign_in(client: Client, password: str, username: str = "alice@example.com", **meta):
    return client.post(reverse("login"), {"username": username, "password": password}, **meta)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def assert_locked_page(response) -> None:
    assert response.status_code == 429
    assert response["Retry-After"] == str(COOL_OFF)
    html = response.content.decode()
    assert LOCKED in html
    assert "<h1>Sign in</h1>" in html  # the site's own page, with the form, not a bare text


def test_thirty_wrong_passwords_lock_the_account_out(anon_client, alice):
    answers = [sign_in(anon_client, f"guess-{i}") for i in range(30)]

    for response in answers[: LIMIT - 1]:
        assert response.status_code == 200
        assert LOCKED not in response.content.decode()
    for response in answers[LIMIT - 1 :]:
        assert_locked_page(response)

    # The right password gets the same page and no session
    assert_locked_page(sign_in(anon_client, "alice-password-1"))
    assert not signed_in(anon_client)

    # After the cool-off alice signs in
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME)
    assert sign_in(anon_client, "alice-password-1").status_code == 302
    assert signed_in(anon_client)


def test_the_account_is_locked_from_another_address_and_any_letter_case(anon_client, alice):
    for i in range(LIMIT):
        sign_in(anon_client, "wrong", username="Alice@Example.COM", REMOTE_ADDR=f"10.0.1.{i}")

    assert_locked_page(sign_in(Client(), "alice-password-1", REMOTE_ADDR="10.0.2.1"))


def test_an_address_trying_many_accounts_is_locked_out(anon_client, alice, bob):
    for i in range(LIMIT):
        sign_in(anon_client, "wrong", username=f"someone{i}@example.com", REMOTE_ADDR="10.0.3.1")

    assert_locked_page(
        sign_in(Client(), "bob-password-1", username="bob@example.com", REMOTE_ADDR="10.0.3.1")
    )
    other = Client()
    assert sign_in(other, "alice-password-1", REMOTE_ADDR="10.0.3.2").status_code == 302
    assert signed_in(other)


def test_the_admin_sign_in_is_covered_too(anon_client, alice):
    for i in range(LIMIT):
        anon_client.post(
            "/admin/login/", {"username": "alice@example.com", "password": f"guess-{i}"}
        )
    assert_locked_page(sign_in(Client(), "alice-password-1"))


# --- password reset ----------------------------------------------------------------------------


def reset(client: Client, email: str, **meta):
    return client.post(reverse("password_reset"), {"email": email}, **meta)


def test_password_reset_mails_are_limited_per_email_address(anon_client, alice):
    per_email = int(settings.PASSWORD_RESET_RATE_PER_EMAIL.split("/")[0])  # 3 an hour
    for i in range(per_email):
        assert reset(anon_client, "alice@example.com", REMOTE_ADDR=f"10.1.0.{i}").status_code == 302

    refused = reset(anon_client, "ALICE@example.com", REMOTE_ADDR="10.1.1.1")

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert "Too many password reset requests. Try again in" in refused.content.decode()
    assert len(mail.outbox) == per_email  # no mail for the refused request


@pytest.mark.parametrize("known", [True, False], ids=["known-account", "unknown-address"])
def test_the_limit_says_nothing_about_which_accounts_exist(anon_client, alice, known):
    email = "alice@example.com" if known else "nobody@example.com"
    answers = [reset(anon_client, email).status_code for _ in range(4)]
    assert answers == [302, 302, 302, 429]


def test_password_reset_mails_are_limited_per_address(anon_client, alice):
    per_ip = int(settings.PASSWORD_RESET_RATE_PER_IP.split("/")[0])  # 10 an hour
    for i in range(per_ip):
        assert reset(anon_client, f"someone{i}@example.com").status_code == 302

    assert reset(anon_client, "alice@example.com").status_code == 429
    assert mail.outbox == []
    # another address may still ask
    assert reset(Client(), "alice@example.com", REMOTE_ADDR="10.2.0.1").status_code == 302
    assert len(mail.outbox) == 1


def test_an_operator_unlocks_an_account(anon_client, alice):
    for i in range(LIMIT):
        sign_in(anon_client, f"guess-{i}")
    assert_locked_page(sign_in(anon_client, "alice-password-1"))

    call_command("axes_reset_username", "alice@example.com")

    assert sign_in(anon_client, "alice-password-1").status_code == 302
