"""What a person does, in a real browser: sign up, create a portfolio, add an offset and an
address, see the charts (or their honest empty states), authorize an OAuth2 app on the consent
screen and revoke it on Connected apps. Every test leaves screenshots in var/screenshots/."""

from __future__ import annotations

import base64
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import PHONE, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BTC_ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
PASSWORD = "a-long-passphrase-9"


def wait_for(driver, css: str, timeout: float = 10):
    return WebDriverWait(driver, timeout).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, css))
    )


def wait_for_text(driver, text: str, timeout: float = 10) -> None:
    """Until ``text`` is on the page; a page being replaced meanwhile is simply looked at again
    (Chromium reports a body read during a navigation as stale, or as a node that "does not
    belong to the document": both are retried until the timeout)."""
    WebDriverWait(
        driver, timeout, ignored_exceptions=(StaleElementReferenceException, WebDriverException)
    ).until(lambda d: text in d.find_element(By.TAG_NAME, "body").text)


def fill(driver, name: str, value: str) -> None:
    field = driver.find_element(By.NAME, name)
    field.clear()
    field.send_keys(value)


def submit(driver) -> None:
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()


def sign_in(driver, base: str, email: str, password: str) -> None:
    driver.get(f"{base}/auth/login/")
    fill(driver, "username", email)
    fill(driver, "password", password)
    submit(driver)
    wait_for(driver, "#account-menu")


def test_sign_up_create_portfolio_add_offset_and_address(browser, live_server):
    base = live_server.url
    # Given a new visitor who signs up
    browser.get(base + "/")
    screenshot(browser, "01-home-signed-out")
    browser.find_element(By.LINK_TEXT, "Create an account").click()
    fill(browser, "email", "carol@example.com")
    fill(browser, "name", "Carol")
    fill(browser, "password1", PASSWORD)
    fill(browser, "password2", PASSWORD)
    screenshot(browser, "02-sign-up")
    submit(browser)
    wait_for_text(browser, "Welcome! Your account is ready.")
    assert "No portfolios yet" in browser.page_source
    screenshot(browser, "03-no-portfolios")

    # When she creates a portfolio, with a mistake first
    browser.find_element(By.LINK_TEXT, "Create a portfolio").click()
    fill(browser, "title", "Savings")
    fill(browser, "currencies", "usd, xyz")
    submit(browser)
    wait_for(browser, ".error-text")
    assert "Unknown currency 'xyz'." in browser.find_element(By.CSS_SELECTOR, ".error-text").text
    assert browser.find_element(By.NAME, "title").get_attribute("value") == "Savings"  # input kept
    screenshot(browser, "04-portfolio-form-error")
    fill(browser, "currencies", "usd")
    browser.find_element(By.CSS_SELECTOR, "[data-add-code=btc]").click()  # the JS shortcut
    assert browser.find_element(By.NAME, "currencies").get_attribute("value") == "usd, btc"
    submit(browser)
    wait_for_text(browser, "Portfolio “Savings” created.")
    portfolio_url = browser.current_url

    # And adds an offset with two balances, one row added by the "Another currency" button
    browser.find_element(By.PARTIAL_LINK_TEXT, "Add offset").click()
    fill(browser, "offset-title", "Paper wallet")
    for _ in range(2):
        browser.find_element(By.CSS_SELECTOR, "[data-add-row=balances]").click()
    rows = browser.find_elements(By.CSS_SELECTOR, "#balances-rows tr")
    assert len(rows) == 5
    fill(browser, "balances-0-currency", "btc")
    fill(browser, "balances-0-balance", "0.5")
    fill(browser, "balances-4-currency", "eth")
    fill(browser, "balances-4-balance", "-1.25")
    screenshot(browser, "05-offset-form")
    submit(browser)
    wait_for_text(browser, "Offset “Paper wallet” added.")

    # And an address, after a typo the chain's checksum catches
    browser.find_element(By.PARTIAL_LINK_TEXT, "Add address").click()
    Select(browser.find_element(By.NAME, "currency")).select_by_value("btc")
    fill(browser, "address", BTC_ADDRESS[:-1] + "x")
    fill(browser, "title", "Hardware wallet")
    submit(browser)
    wait_for(browser, ".error-text")
    assert (
        "not a valid Bitcoin address" in browser.find_element(By.CSS_SELECTOR, ".error-text").text
    )
    assert browser.find_element(By.NAME, "title").get_attribute("value") == "Hardware wallet"
    screenshot(browser, "06-address-form-error")
    fill(browser, "address", BTC_ADDRESS)
    submit(browser)
    wait_for_text(browser, "Address “Hardware wallet” added.")

    # Then the portfolio page shows it all, with honest "fetching" states instead of charts
    # (this test cannot reach the explorer or the price service: both fetches fail)
    assert browser.current_url == portfolio_url
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "Paper wallet" in body and "0.5 BTC" in body and "-1.25 ETH" in body
    assert "Hardware wallet" in body
    assert "Values appear once prices are fetched." in body
    assert "Not enough history yet" in body
    holdings = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "#holdings tbody tr")]
    assert holdings[0].startswith("BTC") and "0.5" in holdings[0]
    screenshot(browser, "07-portfolio-page")

    # And the address page links the explorer
    browser.find_element(By.LINK_TEXT, "Hardware wallet").click()
    link = browser.find_element(By.PARTIAL_LINK_TEXT, "mempool.space")
    assert link.get_attribute("href") == f"https://mempool.space/address/{BTC_ADDRESS}"
    assert "Fetching failed" in browser.page_source  # offline: said in plain words
    screenshot(browser, "08-address-page")

    # And on a phone the same page still works, menus included (plain <details>, no JS needed)
    browser.get(portfolio_url)
    screenshot(browser, "09-portfolio-phone", size=PHONE)
    browser.set_window_size(*PHONE)
    browser.find_element(By.CSS_SELECTOR, "#account-menu summary").click()
    assert browser.find_element(By.LINK_TEXT, "Connected apps").is_displayed()
    screenshot(browser, "10-phone-menu", size=PHONE)


def test_charts_render_once_values_exist(browser, live_server):
    """With stored prices (as the price workers leave them): a donut and a line chart drawn as
    inline SVG, with their text alternatives."""
    from datetime import UTC, datetime, time

    from django.utils import timezone

    from currencies.models import Currency
    from offsets.models import Offset, OffsetBalance
    from offsets.services import offset_create
    from portfolios.services import portfolio_create
    from prices.models import Price, SpotPrice
    from users.models import User

    user = User.objects.create_user(email="dora@example.com", password=PASSWORD, name="Dora")
    portfolio = portfolio_create(
        user=user, title="Long term", currency_codes=["usd", "eur"], source="test"
    )
    offset = offset_create(
        portfolio=portfolio,
        title="Cold storage",
        balances=[
            {"currency": c, "balance": b}
            for c, b in [("btc", "0.8"), ("eth", "6"), ("ltc", "40"), ("usdt", "2500")]
        ],
        source="test",
    )
    # Held for four months, with a daily price for every day of them and spot prices now
    since = timezone.now() - timedelta(days=120)
    Offset.objects.filter(pk=offset.pk).update(created_at=since)
    OffsetBalance.objects.filter(offset=offset).update(created_at=since)
    usd = Currency.objects.get(code="usd")
    eur = Currency.objects.get(code="eur")
    prices = {"btc": "64250.10", "eth": "3120.5", "ltc": "71.2", "usdt": "1"}
    today = timezone.now().date()
    for code, price in prices.items():
        base = Currency.objects.get(code=code)
        SpotPrice.objects.create(
            base=base,
            quote=usd,
            price=Decimal(price),
            at=timezone.now(),
            fetched_at=timezone.now(),
            source="coingecko",
        )
        Price.objects.bulk_create(
            Price(
                base=base,
                quote=usd,
                at=datetime.combine(today - timedelta(days=n), time(12), UTC),
                price=Decimal(price) * (1 + Decimal((n % 9) - 4) / 50 - Decimal(n) / 400),
                source="test",
            )
            for n in range(1, 125)
        )
    SpotPrice.objects.create(
        base=usd,
        quote=eur,
        price=Decimal("0.92"),
        at=timezone.now(),
        fetched_at=timezone.now(),
        source="coingecko",
    )

    sign_in(browser, live_server.url, "dora@example.com", PASSWORD)
    browser.get(f"{live_server.url}/portfolios/{portfolio.pk}/")
    donut = wait_for(browser, "svg.donut")
    line = browser.find_element(By.CSS_SELECTOR, ".chart-wide .chart-line svg")
    for chart in (donut, line):
        assert chart.is_displayed() and chart.size["width"] > 150 and chart.size["height"] > 150
        assert chart.get_attribute("role") == "img" and chart.get_attribute("aria-label")
    assert donut.get_attribute("aria-label") == "Allocation by value in USD"
    legend = browser.find_element(By.CSS_SELECTOR, ".legend").text
    assert "BTC" in legend and "$51,400.08" in legend
    y_labels = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".chart-wide .y-label")]
    assert all(label.startswith("$") for label in y_labels) and len(y_labels) >= 3
    assert "Not enough history yet" not in browser.page_source
    totals = browser.find_element(By.CSS_SELECTOR, ".totals-head").text
    assert "$75,471.08" in totals and "€69,433.39" in totals
    screenshot(browser, "11-portfolio-with-charts")
    screenshot(browser, "12-charts-phone", size=PHONE)


def test_authorize_app_on_consent_screen_then_revoke_it(browser, live_server):
    from oauth2_provider.models import AccessToken, Application

    from users.models import User

    base = live_server.url
    owner = User.objects.create_user(email="dev@example.com", password=PASSWORD)
    User.objects.create_user(email="erin@example.com", password=PASSWORD, name="Erin")
    redirect_uri = f"{base}/callback"
    secret = "browser-test-secret"
    app = Application.objects.create(
        name="Tax helper",
        user=owner,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=redirect_uri,
        client_secret=secret,
    )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": redirect_uri,
            "scope": "read info",
            "state": "xyz",
        }
    )

    # Given Erin follows the app's link while signed out: she signs in and lands on the consent screen
    browser.get(f"{base}/oauth/authorize?{query}")
    wait_for(browser, "input[name=username]")
    fill(browser, "username", "erin@example.com")
    fill(browser, "password", PASSWORD)
    submit(browser)
    wait_for(browser, "#authorizationForm")
    consent = browser.find_element(By.CSS_SELECTOR, ".consent").text
    assert "Allow “Tax helper” to use your account?" in consent
    assert (
        "See your portfolios, their addresses, offsets, balances, transactions and values."
        in consent
    )
    assert "See your name, email address and when you signed up." in consent
    screenshot(browser, "13-consent-screen")
    screenshot(browser, "14-consent-phone", size=PHONE)

    # When she authorizes it, the app gets a code and exchanges it for tokens
    browser.find_element(By.CSS_SELECTOR, "input[name=allow][value=Authorize]").click()
    WebDriverWait(browser, 10).until(lambda d: d.current_url.startswith(redirect_uri))
    answer = parse_qs(urlsplit(browser.current_url).query)
    assert answer["state"] == ["xyz"]
    basic = base64.b64encode(f"{app.client_id}:{secret}".encode()).decode()
    token = requests.post(
        f"{base}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": answer["code"][0],
            "redirect_uri": redirect_uri,
        },
        headers={"Authorization": f"Basic {basic}"},
        timeout=10,
    ).json()
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    assert requests.get(f"{base}/api/user", headers=bearer, timeout=10).status_code == 200

    # Then Connected apps lists it with what it may do, and revoking it cuts it off
    browser.get(f"{base}/settings/connected-apps/")
    wait_for_text(browser, "Tax helper")
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "See your name, email address and when you signed up." in page
    screenshot(browser, "15-connected-apps")
    browser.find_element(
        By.CSS_SELECTOR, "button[aria-label='Revoke access of Tax helper']"
    ).click()
    wait_for_text(browser, "“Tax helper” can no longer use your account.")
    assert "No connected apps" in browser.page_source
    screenshot(browser, "16-connected-apps-revoked")
    assert requests.get(f"{base}/api/user", headers=bearer, timeout=10).status_code == 401
    assert not AccessToken.objects.filter(user__email="erin@example.com").exists()


def test_developer_creates_an_api_key_and_sees_it_once(browser, live_server):
    from users.models import User

    User.objects.create_user(email="finn@example.com", password=PASSWORD)
    base = live_server.url
    sign_in(browser, base, "finn@example.com", PASSWORD)
    browser.get(f"{base}/settings/developer/")
    browser.find_element(By.PARTIAL_LINK_TEXT, "Create a key").click()
    fill(browser, "name", "Spreadsheet")
    browser.find_element(By.CSS_SELECTOR, "input[name=scopes][value=info]").click()
    submit(browser)
    key_field = wait_for(browser, "#new-key")
    key = key_field.get_attribute("value")
    assert key.startswith("ctk_")
    assert "Copy it now." in browser.page_source
    screenshot(browser, "17-api-key-created")
    assert (
        requests.get(f"{base}/api/user", headers={"X-API-KEY": key}, timeout=10).status_code == 200
    )
    browser.find_element(By.LINK_TEXT, "Done").click()
    assert key not in browser.page_source
    screenshot(browser, "18-developer")


def test_import_a_statement_preview_confirm_then_see_holdings_and_charts(
    browser, live_server, settings, tmp_path
):
    """Upload a Coinbase statement: a malformed one is refused naming its line; the demo
    statement is previewed, confirmed, and its holdings are valued on the portfolio page (at
    the prices the statement carries: this test is offline) with both charts drawn."""
    from pathlib import Path

    from django.conf import settings

    from ledger.models import Import
    from portfolios.services import portfolio_create
    from users.models import User

    settings.DASHBOARD_UPLOAD_DIR = tmp_path / "uploads"
    user = User.objects.create_user(email="gus@example.com", password=PASSWORD, name="Gus")
    portfolio = portfolio_create(user=user, title="Coinbase", currency_codes=["usd"], source="t")
    base = live_server.url
    statements = Path(settings.BASE_DIR)
    sign_in(browser, base, "gus@example.com", PASSWORD)
    browser.get(f"{base}/portfolios/{portfolio.pk}/")
    browser.find_element(By.PARTIAL_LINK_TEXT, "Import a statement").click()
    wait_for(browser, "#upload-form")
    screenshot(browser, "19-import-form")

    # A malformed file is refused, naming its line; nothing is stored
    fill(browser, "wallet", "Coinbase (Jane)")
    browser.find_element(By.NAME, "file").send_keys(
        str(statements / "tests/ingest/statements/malformed_bad_quantity.csv")
    )
    submit(browser)
    wait_for_text(browser, "The file was not imported, and nothing was stored.")
    assert "Line 10: quantity '1O.5x' is not a number." in browser.page_source.replace(
        "&#x27;", "'"
    )
    assert browser.find_element(By.NAME, "wallet").get_attribute("value") == "Coinbase (Jane)"
    assert not Import.objects.exists()
    screenshot(browser, "20-import-refused")

    # The demo statement: a preview of what it would import, nothing stored yet
    browser.find_element(By.NAME, "file").send_keys(
        str(statements / "demo/demo_data/coinbase-demo.csv")
    )
    submit(browser)
    preview = wait_for(browser, "#preview").text
    assert "NOT IMPORTED YET" in preview  # a pill, shown upper-case
    assert "Preview: “coinbase-demo.csv”" in preview and "Coinbase (Jane)" in preview
    assert "Rows by type" in preview and "Holdings change" in preview
    assert "+0.03519 BTC" in preview
    assert not Import.objects.exists()
    screenshot(browser, "21-import-preview")
    screenshot(browser, "22-import-preview-phone", size=PHONE)

    # Confirmed: imported, and the import's page says what it added
    browser.set_window_size(1280, 900)
    browser.find_element(By.CSS_SELECTOR, "button[value=confirm]").click()
    wait_for_text(browser, "Imported “coinbase-demo.csv”: 25 new rows in Coinbase (Jane)")
    assert Import.objects.get().rows_added == 25
    assert not list((tmp_path / "uploads").rglob("*.csv"))  # the kept file is gone
    screenshot(browser, "23-import-done")

    # The portfolio page: holdings valued (at the statement's last prices) in the donut; the
    # value over time is not drawn from them (offline, a trade price fills only its own day)
    browser.get(f"{base}/portfolios/{portfolio.pk}/?range=all")
    donut = wait_for(browser, "svg.donut")
    assert donut.is_displayed() and donut.size["width"] > 150 and donut.size["height"] > 150
    assert (
        "no prices are stored for these days" in browser.find_element(By.ID, "value-history").text
    )
    holdings = browser.find_element(By.ID, "holdings").text
    assert "BTC" in holdings and "0.03519" in holdings and "SOL" in holdings
    assert "last known" in holdings  # no live price offline: the statement's last price
    assert "Demo data" not in browser.page_source  # a real user's upload, not the demo
    screenshot(browser, "24-portfolio-after-import")
    screenshot(browser, "25-portfolio-after-import-phone", size=PHONE)

    # Its rows are in the transactions, filterable
    browser.set_window_size(1280, 900)
    browser.get(f"{base}/portfolios/{portfolio.pk}/transactions/?asset=eth")
    wait_for_text(browser, "Matching rows")
    assert "Income" in browser.find_element(By.CSS_SELECTOR, "table.ledger").text
    screenshot(browser, "26-transactions-filtered")

    # And "refresh now" shows the fetches finishing (offline: the prices fail, said plainly)
    browser.get(f"{base}/portfolios/{portfolio.pk}/")
    browser.find_element(By.XPATH, "//button[contains(., 'Refresh now')]").click()
    wait_for_text(browser, "Refreshing “Coinbase”")
    wait_for_text(browser, "Finished", timeout=20)
    assert "could not be reached" in browser.find_element(By.ID, "refresh-steps").text
    screenshot(browser, "27-refresh-progress")


def test_refresh_progress_follows_the_workers_without_reloading(browser, live_server):
    """The progress page's script polls the JSON status and updates each row in place until
    everything is finished (here a worker is played by the test: it marks the fetch queued,
    then stores its result)."""
    import time as clock

    from django.core.cache import cache
    from django.utils import timezone

    from addresses.models import AddressBalance, AddressFetchState
    from addresses.services import address_create
    from portfolios.services import portfolio_create
    from users.models import User

    user = User.objects.create_user(email="hal@example.com", password=PASSWORD)
    portfolio = portfolio_create(user=user, title="Watched", currency_codes=["usd"], source="t")
    address = address_create(
        portfolio=portfolio,
        title="Savings",
        address=BTC_ADDRESS,
        currency_code="btc",
        source="t",
    )
    since = int(clock.time()) - 1
    cache.set(f"enqueued:address:{address.pk}", timezone.now().isoformat(), 300)  # queued
    sign_in(browser, live_server.url, "hal@example.com", PASSWORD)
    browser.get(f"{live_server.url}/portfolios/{portfolio.pk}/refresh/progress/?since={since}")
    step = wait_for(browser, f'[data-key="address-{address.pk}"]')
    assert "Queued" in step.text.title()
    browser.execute_script("window.stillTheSamePage = true;")
    screenshot(browser, "28-refresh-queued")

    # The worker finishes: balance stored, flag cleared
    state = AddressFetchState.objects.create(address=address)
    AddressBalance.objects.create(
        address=address, currency=address.currency, balance=Decimal("0.1"), source="esplora"
    )
    state.balances_fetched_at = timezone.now()
    state.save()
    cache.delete(f"enqueued:address:{address.pk}")
    done = f'[data-key="address-{address.pk}"].step-done'
    step = WebDriverWait(browser, 15).until(ec.presence_of_element_located((By.CSS_SELECTOR, done)))
    assert "Balance and transactions fetched at" in step.text
    # (the price refresh that adding the address enqueued failed offline: said, and finished)
    summary = browser.find_element(By.ID, "refresh-summary").text
    assert summary in ("All done.", "Finished: 1 fetch failed — see below.")
    assert browser.execute_script("return window.stillTheSamePage === true;")  # no reload
    screenshot(browser, "29-refresh-done")
    screenshot(browser, "30-refresh-done-phone", size=PHONE)
