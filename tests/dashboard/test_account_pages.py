"""Exchange accounts on the dashboard, through the Django test client: connecting one (the
exchange's own credential fields, checked on the server), its page (balances, history, sync state
in plain words), editing its key, removing it with its ledger rows, another user's account, and
credentials never written into any page."""

from __future__ import annotations

import re

import pytest
import responses
from cryptography.fernet import Fernet

from accounts.crypto import decrypt_credentials
from accounts.models import Account, AccountFetchState
from accounts.services import account_create, account_ledger_rows
from ledger.models import LedgerEntry
from tests.accounts.fakes import API_KEY, SECRET, FakeBinanceUS, FakeKraken
from tests.dashboard.test_csp import check_page

pytestmark = pytest.mark.django_db

NEW_KEY = "AKtest-kraken-NEW-key-0987654321"
NEW_SECRET = "bmV3LXNlY3JldC10aGF0LW11c3QtbmV2ZXItbGVhay1hZ2Fpbi05ODc2NTQzMjE="


@pytest.fixture(autouse=True)
def exchange_settings(settings):
    settings.EXCHANGE_URLS = {c: f"http://{c}.test" for c in ("kraken", "binanceus", "coinbase")}
    settings.EXCHANGE_CCXT_RATE_LIMIT_MS = {c: 1 for c in ("kraken", "binanceus", "coinbase")}
    settings.FERNET_KEYS = Fernet.generate_key().decode()


@pytest.fixture
def http():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def kraken(http) -> FakeKraken:
    return FakeKraken(http)


def base(portfolio) -> str:
    return f"/portfolios/{portfolio.pk}/accounts"


def html_of(response) -> str:
    return response.content.decode()


def no_secret_in(html: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in html
        assert secret[:16] not in html  # not even a part of it


@pytest.fixture
def connect(alice_client, portfolio, django_capture_on_commit_callbacks):
    """Connect through the form; its first sync runs at commit, as a worker would run it."""

    def do(exchange="kraken", **fields):
        data = {"exchange": exchange, "apiKey": API_KEY, "secret": SECRET, **fields}
        with django_capture_on_commit_callbacks(execute=True):
            return alice_client.post(f"{base(portfolio)}/new/", data)

    return do


# --- Connecting --------------------------------------------------------------------------------


def test_the_form_offers_every_exchange_with_the_fields_it_needs(alice_client, portfolio):
    response = alice_client.get(f"{base(portfolio)}/new/")
    check_page(response, "account-new")
    html = html_of(response)
    assert re.search(
        r'<option value="kraken" data-credentials="apiKey secret">Kraken</option>', html
    )
    assert re.search(
        r'<option value="okx" data-credentials="apiKey secret password">OKX</option>', html
    )
    assert '<script src="/static/js/accounts.js" defer></script>' in html
    # Without the script, every field is there (the script hides those not needed).
    for name in ("apiKey", "secret", "password", "uid"):
        assert f'name="{name}"' in html
    assert 'type="password"' in html


def test_connecting_stores_the_key_encrypted_and_shows_it_pending(
    alice_client, portfolio, django_capture_on_commit_callbacks
):
    # The first sync is enqueued at commit; not running it leaves the account pending.
    response = alice_client.post(
        f"{base(portfolio)}/new/",
        {"exchange": "kraken", "title": "My Kraken", "apiKey": API_KEY, "secret": SECRET},
    )
    account = Account.objects.get(portfolio=portfolio)
    assert response.status_code == 302
    assert response["Location"] == f"{base(portfolio)}/{account.pk}/"
    assert (account.title, account.exchange, account.valid) == ("My Kraken", "kraken", True)
    assert decrypt_credentials(account.credentials) == {"apiKey": API_KEY, "secret": SECRET}
    assert API_KEY not in account.credentials and SECRET not in account.credentials

    page = alice_client.get(response["Location"])
    check_page(page, "account-detail")
    html = html_of(page)
    assert "pending verification" in html
    assert "checking the key with Kraken" in html
    no_secret_in(html, API_KEY, SECRET)


def test_missing_fields_are_a_form_error_and_nothing_is_stored(alice_client, portfolio):
    response = alice_client.post(
        f"{base(portfolio)}/new/", {"exchange": "kraken", "apiKey": API_KEY, "secret": " "}
    )
    assert response.status_code == 200
    html = html_of(response)
    assert "API secret is required for Kraken." in html
    assert not Account.objects.exists()
    no_secret_in(html, API_KEY)  # what was typed is not echoed back

    okx = alice_client.post(
        f"{base(portfolio)}/new/", {"exchange": "okx", "apiKey": API_KEY, "secret": SECRET}
    )
    assert "Passphrase (API password) is required for OKX." in html_of(okx)
    no_secret_in(html_of(okx), API_KEY, SECRET)

    nothing = alice_client.post(f"{base(portfolio)}/new/", {"exchange": "", "apiKey": API_KEY})
    assert nothing.status_code == 200 and "This field is required." in html_of(nothing)
    unknown = alice_client.post(
        f"{base(portfolio)}/new/", {"exchange": "nosuchexchange", "apiKey": API_KEY}
    )
    assert "Select a valid choice." in html_of(unknown)
    assert not Account.objects.exists()


def test_fields_the_exchange_does_not_need_are_ignored(alice_client, portfolio):
    response = alice_client.post(
        f"{base(portfolio)}/new/",
        {"exchange": "kraken", "apiKey": API_KEY, "secret": SECRET, "password": "not-needed"},
    )
    assert response.status_code == 302
    account = Account.objects.get()
    assert decrypt_credentials(account.credentials) == {"apiKey": API_KEY, "secret": SECRET}


# --- The account's page ------------------------------------------------------------------------


def test_a_synced_account_shows_balances_history_and_counts_in_the_portfolio(
    alice_client, portfolio, kraken, connect
):
    response = connect(title="My Kraken")
    account = Account.objects.get()
    page = alice_client.get(response["Location"])
    check_page(page, "account-detail")
    html = html_of(page)
    assert "Last synced" in html and "pending verification" not in html
    assert "1.25" in html and "10.5" in html  # BTC and DOT balances
    rows = LedgerEntry.objects.filter(wallet_id=account.ledger_wallet_id).count()
    assert rows > 0 and f"{rows} ledger rows" in html
    assert "Its whole history is read" in html

    overview = html_of(alice_client.get(f"/portfolios/{portfolio.pk}/"))
    assert "not available yet" not in overview
    assert f'href="{base(portfolio)}/{account.pk}/"' in overview and "My Kraken" in overview
    for path in (
        f"/portfolios/{portfolio.pk}/",
        f"{base(portfolio)}/{account.pk}/",
        f"{base(portfolio)}/{account.pk}/edit/",
        f"{base(portfolio)}/{account.pk}/delete/",
        f"/portfolios/{portfolio.pk}/transactions/",
    ):
        no_secret_in(html_of(alice_client.get(path)), API_KEY, SECRET)


def test_a_refused_key_is_said_plainly_and_a_new_key_revives_the_account(
    alice_client, portfolio, kraken, connect, django_capture_on_commit_callbacks
):
    connect(apiKey=NEW_KEY, secret=NEW_SECRET)  # a key the exchange does not know
    account = Account.objects.get()
    assert account.valid is False
    html = html_of(alice_client.get(f"{base(portfolio)}/{account.pk}/"))
    assert (
        "This key was refused by Kraken: {&quot;error&quot;: [&quot;EAPI:Invalid key&quot;]}"
        in html
    )
    assert "— edit the account with a new key." in html
    assert "Key refused" in html_of(alice_client.get(f"/portfolios/{portfolio.pk}/"))

    with django_capture_on_commit_callbacks(execute=True):
        edited = alice_client.post(
            f"{base(portfolio)}/{account.pk}/edit/",
            {"exchange": "kraken", "title": "", "apiKey": API_KEY, "secret": SECRET},
        )
    assert edited.status_code == 302
    account.refresh_from_db()
    assert account.valid is True
    assert decrypt_credentials(account.credentials) == {"apiKey": API_KEY, "secret": SECRET}
    html = html_of(alice_client.get(f"{base(portfolio)}/{account.pk}/"))
    assert "refused" not in html and "Last synced" in html
    no_secret_in(html, NEW_KEY, NEW_SECRET, API_KEY, SECRET)


def test_a_failing_sync_says_why_and_when_it_is_tried_again(
    alice_client, portfolio, kraken, connect
):
    kraken.fail_with, kraken.fail_times = "network", 100
    connect()
    account = Account.objects.get()
    state = AccountFetchState.objects.get(account=account)
    assert account.valid and state.next_retry_at is not None
    html = html_of(alice_client.get(f"{base(portfolio)}/{account.pk}/"))
    assert "Syncing failed once: Kraken could not be reached" in html
    assert f"Next try at {state.next_retry_at:%H:%M} UTC." in html


def test_a_key_that_can_move_funds_is_warned_about(alice_client, portfolio, http, connect):
    binance = FakeBinanceUS(http)
    binance.can_trade = True
    connect(exchange="binanceus")
    account = Account.objects.get()
    assert account.valid
    html = html_of(alice_client.get(f"{base(portfolio)}/{account.pk}/"))
    assert "This key can move funds: create a read-only one" in html
    overview = html_of(alice_client.get(f"/portfolios/{portfolio.pk}/"))
    assert "This key can move funds: create a read-only one" in overview


# --- Editing -----------------------------------------------------------------------------------


def test_editing_with_empty_credentials_keeps_the_key(alice_client, portfolio):
    account = account_create(
        portfolio=portfolio,
        title="Old",
        exchange="kraken",
        credentials={"apiKey": API_KEY, "secret": SECRET},
    )
    form = alice_client.get(f"{base(portfolio)}/{account.pk}/edit/")
    check_page(form, "account-edit")
    no_secret_in(html_of(form), API_KEY, SECRET)
    assert "kept when these fields are left empty" in html_of(form)
    response = alice_client.post(
        f"{base(portfolio)}/{account.pk}/edit/",
        {"exchange": "kraken", "title": "Renamed", "apiKey": "", "secret": ""},
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.title == "Renamed"
    assert decrypt_credentials(account.credentials) == {"apiKey": API_KEY, "secret": SECRET}

    # Half a new key is an error; another exchange needs its credentials.
    half = alice_client.post(
        f"{base(portfolio)}/{account.pk}/edit/",
        {"exchange": "kraken", "title": "Renamed", "apiKey": NEW_KEY, "secret": ""},
    )
    assert "API secret is required for Kraken." in html_of(half)
    no_secret_in(html_of(half), NEW_KEY, API_KEY, SECRET)
    other = alice_client.post(
        f"{base(portfolio)}/{account.pk}/edit/", {"exchange": "coinbase", "title": "Renamed"}
    )
    assert "API key is required for Coinbase Advanced." in html_of(other) or (
        "is required for Coinbase" in html_of(other)
    )
    account.refresh_from_db()
    assert account.exchange == "kraken"
    assert decrypt_credentials(account.credentials) == {"apiKey": API_KEY, "secret": SECRET}


# --- Removing ----------------------------------------------------------------------------------


def test_removing_says_how_many_ledger_rows_go_and_removes_them(
    alice_client, portfolio, kraken, connect
):
    connect()
    account = Account.objects.get()
    wallet_id = account.ledger_wallet_id
    rows = account_ledger_rows(account)
    assert rows > 1
    confirm = alice_client.get(f"{base(portfolio)}/{account.pk}/delete/")
    check_page(confirm, "account-delete")
    assert f"Its {rows} ledger rows (trades, deposits, withdrawals, fees, rewards)" in html_of(
        confirm
    )
    assert Account.objects.exists()  # the confirmation page changes nothing

    response = alice_client.post(f"{base(portfolio)}/{account.pk}/delete/", follow=True)
    assert f"removed from “Main”, with {rows} ledger rows." in html_of(response)
    assert not Account.objects.exists()
    assert not LedgerEntry.objects.filter(wallet_id=wallet_id).exists()


# --- Another user's account --------------------------------------------------------------------


def test_another_users_account_is_404_on_every_page_and_post(bob_client, portfolio):
    account = account_create(
        portfolio=portfolio,
        title="Alice's",
        exchange="kraken",
        credentials={"apiKey": API_KEY, "secret": SECRET},
    )
    before = account.credentials
    here = f"{base(portfolio)}/{account.pk}"
    for path in (f"{here}/", f"{here}/edit/", f"{here}/delete/", f"{base(portfolio)}/new/"):
        assert bob_client.get(path).status_code == 404, path
    posts = {
        f"{here}/edit/": {"exchange": "kraken", "title": "Bob's", "apiKey": "x", "secret": "y"},
        f"{here}/delete/": {},
        f"{base(portfolio)}/new/": {"exchange": "kraken", "apiKey": "x", "secret": "y"},
    }
    for path, data in posts.items():
        assert bob_client.post(path, data).status_code == 404, path
    account.refresh_from_db()
    assert (account.title, account.credentials) == ("Alice's", before)
    assert Account.objects.count() == 1


def test_an_account_of_another_portfolio_is_404_under_this_one(alice, alice_client, portfolio):
    from portfolios.services import portfolio_create

    other = portfolio_create(user=alice, title="Other", currency_codes=["usd"], source="test")
    account = account_create(
        portfolio=other,
        title="",
        exchange="kraken",
        credentials={"apiKey": API_KEY, "secret": SECRET},
    )
    assert alice_client.get(f"{base(portfolio)}/{account.pk}/").status_code == 404
    assert alice_client.post(f"{base(portfolio)}/{account.pk}/delete/").status_code == 404
    assert Account.objects.filter(pk=account.pk).exists()


def test_signed_out_visitors_go_to_sign_in(anon_client, portfolio):
    response = anon_client.get(f"{base(portfolio)}/new/")
    assert response.status_code == 302 and response["Location"].startswith("/auth/login/")
