"""Credentials: encrypted at rest, never in an API answer, an admin page, a log line or an
error's text; key rotation. Isolation: another user's account is 404 on every route. Bad input
is refused with sentences and stores nothing."""

from __future__ import annotations

import logging
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from accounts.crypto import CredentialsUnreadable, decrypt_credentials
from accounts.models import Account, AccountFetchState
from tests.accounts.fakes import API_KEY, SECRET
from tests.api.conftest import fail, invalid, ok
from tests.conftest import client_for
from users.models import User

CREDS = {"apiKey": API_KEY, "secret": SECRET}
ROUTES = ["", "/balances", "/txns", "/history"]


def _texts_hold_no_secret(*texts: str) -> None:
    for text in texts:
        assert API_KEY not in text
        assert SECRET not in text
        assert SECRET[:24] not in text


def test_credentials_never_leave_the_service(
    api, portfolio_id, kraken, connect, sync, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    account = connect("kraken", CREDS, title="Kraken")
    base = f"/api/portfolios/{portfolio_id}/accounts/{account['id']}"
    answers = [api.get(base + route).content.decode() for route in ROUTES]
    answers += [
        api.get(f"/api/portfolios/{portfolio_id}/accounts").content.decode(),
        api.get(f"/api/portfolios/{portfolio_id}").content.decode(),
        api.get(f"/api/portfolios/{portfolio_id}/balances").content.decode(),
        api.get("/api/schema").content.decode(),
    ]
    # A failing fetch (the exchange refuses the key) and a bad PATCH: their texts too.
    kraken.fail_with, kraken.fail_times = "auth", 1
    sync(account["id"])
    state = AccountFetchState.objects.get(account_id=account["id"])
    answers.append(api.get(base).content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        answers.append(
            api.patch(
                base, {"credentials": {"apiKey": API_KEY, "secret": ""}}, format="json"
            ).content.decode()
        )
    # The row itself holds only the Fernet token.
    stored = Account.objects.get(pk=account["id"])
    assert stored.credentials.startswith("gAAAA")
    assert decrypt_credentials(stored.credentials) == CREDS

    staff = User.objects.create_superuser(email="ops@example.com", password="ops-password-1")
    admin = Client()
    admin.force_login(staff)
    pages = [
        admin.get(reverse("admin:accounts_account_changelist")).content.decode(),
        admin.get(reverse("admin:accounts_account_change", args=[account["id"]])).content.decode(),
        admin.get(
            reverse("admin:portfolios_portfolio_change", args=[portfolio_id])
        ).content.decode(),
    ]
    assert "Kraken" in pages[1] and "EAPI:Invalid key" in pages[1]
    logs = "\n".join(r.getMessage() for r in caplog.records)
    assert "fetch of account" in logs  # the failure was logged, and the log is searched
    _texts_hold_no_secret(*answers, *pages, logs, state.error, stored.invalid_reason)


def test_a_signature_in_an_exception_text_is_hidden():
    from accounts.exchanges import ExchangeAdapter

    adapter = ExchangeAdapter.__new__(ExchangeAdapter)
    adapter._secrets = [SECRET, API_KEY]
    words = adapter._words(
        RuntimeError(
            f"binanceus GET https://api.binance.us/api/v3/account?timestamp=1&signature=abc123 "
            f"key={API_KEY} {SECRET}"
        )
    )
    assert "abc123" not in words and API_KEY not in words and SECRET not in words


def test_rotation_re_encrypts_and_the_old_key_can_be_dropped(
    api, portfolio_id, kraken, connect, settings
):
    old = settings.FERNET_KEYS
    account = connect("kraken", CREDS)
    token_before = Account.objects.get(pk=account["id"]).credentials
    new = Fernet.generate_key().decode()

    settings.FERNET_KEYS = f"{new},{old}"
    out = StringIO()
    call_command("rotate_account_keys", stdout=out)
    assert "re-encrypted the credentials of 1 account(s)" in out.getvalue()
    token_after = Account.objects.get(pk=account["id"]).credentials
    assert token_after != token_before

    settings.FERNET_KEYS = new  # the old key is gone
    assert decrypt_credentials(token_after) == CREDS
    with pytest.raises(CredentialsUnreadable):
        decrypt_credentials(token_before)

    # A key that opens nothing: the command refuses and changes nothing.
    settings.FERNET_KEYS = Fernet.generate_key().decode()
    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("rotate_account_keys", stdout=StringIO())
    assert Account.objects.get(pk=account["id"]).credentials == token_after


def test_without_keys_production_refuses_to_encrypt(settings):
    from django.core.exceptions import ImproperlyConfigured

    from accounts.crypto import encrypt_credentials

    settings.FERNET_KEYS = ""
    settings.DEBUG = False
    settings.FERNET_DEVELOPMENT_KEY_ALLOWED = False
    with pytest.raises(ImproperlyConfigured, match="FERNET_KEYS"):
        encrypt_credentials(CREDS)


def test_another_users_account_is_404_on_every_route(api, portfolio_id, kraken, connect, bob):
    account = connect("kraken", CREDS)
    base = f"/api/portfolios/{portfolio_id}/accounts/{account['id']}"
    bob_api = client_for(bob)
    own = ok(
        bob_api.post("/api/portfolios", {"title": "B", "currencies": ["usd"]}, format="json"), 201
    )
    for route in ROUTES:
        fail(bob_api.get(base + route), 404)
        # Bob's own portfolio with alice's account id: 404 too.
        fail(bob_api.get(f"/api/portfolios/{own['id']}/accounts/{account['id']}{route}"), 404)
    fail(bob_api.patch(base, {"title": "mine"}, format="json"), 404)
    fail(bob_api.delete(base), 404)
    fail(bob_api.post(f"/api/portfolios/{portfolio_id}/accounts", {}, format="json"), 404)
    fail(bob_api.get(f"/api/portfolios/{portfolio_id}/accounts"), 404)
    assert ok(bob_api.get(f"/api/portfolios/{own['id']}/accounts")) == []
    assert Account.objects.get(pk=account["id"]).title == ""


def test_bad_input_is_refused_with_sentences_and_stores_nothing(api, portfolio_id):
    url = f"/api/portfolios/{portfolio_id}/accounts"
    assert invalid(
        api.post(url, {"wallet": "nosuchexchange", "credentials": CREDS}, format="json")
    ) == ["unknown wallet 'nosuchexchange'; see /api/wallets"]
    assert invalid(
        api.post(url, {"wallet": "kraken", "credentials": {"apiKey": "k"}}, format="json")
    ) == ["credentials.secret is required for Kraken"]
    assert invalid(
        api.post(
            url, {"wallet": "kraken", "credentials": {**CREDS, "password": "x"}}, format="json"
        )
    ) == ["Kraken takes only apiKey, secret (not password)"]
    assert invalid(api.post(url, {"wallet": "kraken"}, format="json")) == [
        "credentials is required"
    ]
    assert Account.objects.count() == 0


def test_wallets_are_public_and_name_each_exchanges_credentials(client, db):
    # db: the API throttle counts in the cache, the database table when there is no Redis
    rows = ok(client.get("/api/wallets"))
    by_code = {row["code"]: row for row in rows}
    assert by_code["kraken"] == {
        "code": "kraken",
        "title": "Kraken",
        "credentials": ["apiKey", "secret"],
        "has": {
            "balances": True,
            "trades": True,
            "deposits": True,
            "withdrawals": True,
            "ledger": True,
        },
    }
    assert "password" in by_code["okx"]["credentials"]  # an exchange that needs a passphrase
    assert [row["code"] for row in rows] == sorted(by_code)
