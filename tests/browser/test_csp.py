"""The Content-Security-Policy, in a real browser: the pages that run the most script (the
Swagger UI and Redoc API docs, the admin, the sign-in and consent pages) render under it, and
Chromium reports no violation on any of them (the ``browser`` fixture also checks that after
every browser test)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import csp_violations, screenshot
from tests.browser.test_dashboard_flows import PASSWORD, sign_in, wait_for, wait_for_text

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_api_docs_render_under_the_policy(browser, live_server):
    base = live_server.url
    # Swagger UI: its inline start-up script (with the nonce) loads the schema and draws it
    browser.get(f"{base}/api/docs")
    wait_for(browser, ".swagger-ui .opblock", timeout=20)
    assert browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    screenshot(browser, "csp-01-swagger")
    assert csp_violations(browser) == []

    # Redoc: its script runs under the nonce, its run-time styles are allowed on this page
    browser.get(f"{base}/api/redoc")
    wait_for(browser, ".api-info h1", timeout=20)
    assert "Crypto portfolio tracker API" in browser.find_element(By.CSS_SELECTOR, "h1").text
    # styled: the menu is laid out as a side bar, which no styles would leave unpositioned
    menu = browser.find_element(By.CSS_SELECTOR, ".menu-content")
    assert menu.value_of_css_property("position") in ("sticky", "fixed")
    screenshot(browser, "csp-02-redoc")
    # The one thing refused is the badge Redoc always tries to load from its makers' CDN (it
    # hides it when it fails): nothing is fetched from another site.
    violations = csp_violations(browser)
    assert all("https://cdn.redoc.ly/redoc/logo-mini.svg" in v for v in violations), violations


def test_sign_in_admin_and_consent_pages_render_under_the_policy(browser, live_server):
    from oauth2_provider.models import Application

    from users.models import User

    base = live_server.url
    staff = User.objects.create_superuser(email="op@example.com", password=PASSWORD, name="Op")
    app = Application.objects.create(
        name="Budget app",
        user=staff,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="http://127.0.0.1:9/callback",
    )
    sign_in(browser, base, "op@example.com", PASSWORD)
    assert csp_violations(browser) == []

    # The admin's own scripts (the change form, the date hierarchy, the filters) run
    for path in ("/admin/", "/admin/audit/auditevent/", f"/admin/users/user/{staff.pk}/change/"):
        browser.get(base + path)
        wait_for(browser, "#content")
        assert csp_violations(browser) == [], path
    # The audit log lists the sign-in that just happened, read-only
    browser.get(f"{base}/admin/audit/auditevent/")
    wait_for_text(browser, "op@example.com")
    assert "Add audit event" not in browser.page_source
    screenshot(browser, "csp-03-admin-audit")

    # The consent page
    query = urlencode(
        {
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": "http://127.0.0.1:9/callback",
            "scope": "read",
        }
    )
    browser.get(f"{base}/oauth/authorize?{query}")
    wait_for_text(browser, "Budget app")
    assert csp_violations(browser) == []
