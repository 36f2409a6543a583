"""The exchange-account form in a real browser: ``static/js/accounts.js`` shows only the
credential fields the chosen exchange needs, and the connected account never shows its key."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select

from tests.browser.conftest import screenshot
from tests.browser.test_dashboard_flows import PASSWORD, fill, sign_in, submit, wait_for_text

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

KEY = "AKbrowser-key-never-shown-0123456789"
SECRET = "YnJvd3Nlci1zZWNyZXQtbmV2ZXItc2hvd24tMDEyMzQ1Njc4OQ=="


def shown(browser, name: str) -> bool:
    return browser.find_element(By.NAME, name).is_displayed()


def test_the_form_shows_the_fields_of_the_chosen_exchange(browser, live_server, settings):
    from portfolios.services import portfolio_create
    from users.models import User

    # Nothing answers on port 9: the first sync fails and is retried later, offline.
    settings.EXCHANGE_URLS = {"kraken": "http://127.0.0.1:9"}
    settings.FERNET_KEYS = Fernet.generate_key().decode()
    user = User.objects.create_user(email="gina@example.com", password=PASSWORD)
    portfolio = portfolio_create(user=user, title="Main", currency_codes=["usd"], source="test")
    base = live_server.url
    sign_in(browser, base, "gina@example.com", PASSWORD)
    browser.get(f"{base}/portfolios/{portfolio.pk}/")
    browser.find_element(By.PARTIAL_LINK_TEXT, "Connect account").click()
    wait_for_text(browser, "Connect an exchange account")
    # No exchange chosen yet: no credential field.
    assert not shown(browser, "apiKey") and not shown(browser, "password")

    exchange = Select(browser.find_element(By.NAME, "exchange"))
    exchange.select_by_value("okx")
    assert shown(browser, "apiKey") and shown(browser, "secret") and shown(browser, "password")
    assert not shown(browser, "uid")
    exchange.select_by_value("kraken")
    assert shown(browser, "apiKey") and shown(browser, "secret")
    assert not shown(browser, "password") and not shown(browser, "uid")
    assert "Kraken needs the fields below." in browser.page_source
    screenshot(browser, "30-connect-account")

    fill(browser, "apiKey", KEY)
    fill(browser, "secret", SECRET)
    fill(browser, "title", "My Kraken")
    submit(browser)
    wait_for_text(browser, "Account “My Kraken” connected.")
    assert KEY not in browser.page_source and SECRET not in browser.page_source
    screenshot(browser, "31-account")
