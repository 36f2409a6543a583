"""Content-Security-Policy on every page: the header is sent with a fresh nonce, every script
either comes from this server or carries that nonce, and no page has an inline event handler, a
style attribute or a ``javascript:`` link (the policy would block them). Every page a signed-in
person can reach from their portfolio is visited by following its links, plus the sign-in
pages, the API docs, the consent page and the admin."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest
from oauth2_provider.models import Application

from tests.dashboard.conftest import import_statement, signed_in

pytestmark = pytest.mark.django_db

SKIP = ("/auth/logout/", "/static/", "/api/", "/admin/", "/oauth/")


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.styles: list[dict[str, str | None]] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        if tag == "script":
            self.scripts.append(values)
        if tag == "style":
            self.styles.append(values)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> (inline event handler)")
            if name == "style":
                self.problems.append(f"<{tag} style=...> (style attribute)")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}=javascript:...>")


def nonce_of(response) -> str | None:
    policy = response.headers["Content-Security-Policy"]
    found = re.search(r"script-src 'self' 'nonce-([A-Za-z0-9+/=]+)'", policy)
    return found.group(1) if found else None


def check_page(response, path: str) -> Page:
    """The page's policy and markup agree; returns the parsed page."""
    assert response.status_code == 200, path
    policy = response.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in policy and "object-src 'none'" in policy, path
    assert "'unsafe-inline'" not in policy.split("style-src")[0], path  # never for scripts
    page = Page()
    page.feed(response.content.decode())
    assert page.problems == [], path
    nonce = nonce_of(response)
    for script in page.scripts:
        src = script.get("src")
        if src:
            assert src.startswith("/static/"), (path, src)  # nothing from another site
        else:
            assert nonce and script.get("nonce") == nonce, (path, "inline script without nonce")
    for style in page.styles:
        assert nonce and style.get("nonce") == nonce, (path, "inline <style> without nonce")
    return page


def test_every_dashboard_page_has_the_policy_and_only_nonced_scripts(
    alice, alice_client, portfolio, address, offset
):
    import_statement(portfolio, alice)
    seen: set[str] = set()
    queue = [f"/portfolios/{portfolio.pk}/", "/", "/portfolios/", "/settings/developer/"]
    nonces: list[str] = []
    while queue and len(seen) < 80:
        path = queue.pop(0)
        shape = re.sub(r"/\d+(?=/)", "/N", path)  # one transaction page stands for all
        if shape in seen:
            continue
        seen.add(shape)
        response = alice_client.get(path)
        if response.status_code != 200 or "text/html" not in response.headers["Content-Type"]:
            continue
        page = check_page(response, path)
        if page.scripts:
            # The base layout's script carries the nonce, so the header names one.
            nonce = nonce_of(response)
            assert nonce is not None, path
            nonces.append(nonce)
        for href in page.links:
            parts = urlsplit(href)
            if parts.netloc or not parts.path.startswith("/") or parts.path.startswith(SKIP):
                continue
            if parts.path.endswith(".csv"):
                continue
            queue.append(parts.path)
    assert len(nonces) >= 15, sorted(seen)  # the crawl really went through the dashboard
    assert len(set(nonces)) == len(nonces)  # a fresh nonce for every answer


@pytest.mark.parametrize(
    "path",
    [
        "/auth/login/",
        "/auth/signup/",
        "/auth/password/reset/",
        "/api/docs",
        "/api/redoc",
    ],
)
def test_sign_in_pages_and_api_docs(client, path):
    page = check_page(client.get(path), path)
    if path.startswith("/api/"):
        assert any(not s.get("src") for s in page.scripts)  # their start-up script, nonced


def test_consent_page(alice, alice_client):
    app = Application.objects.create(
        name="Budget app",
        user=alice,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="http://127.0.0.1:9/callback",
    )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": "http://127.0.0.1:9/callback",
            "scope": "read",
        }
    )
    response = alice_client.get(f"/oauth/authorize?{query}")
    check_page(response, "/oauth/authorize")
    # Its form is answered with a redirect to the app's own site: no form-action here only
    assert "form-action" not in response.headers["Content-Security-Policy"]
    assert "form-action 'self'" in alice_client.get("/").headers["Content-Security-Policy"]


def test_admin_pages(alice):
    from users.models import User

    User.objects.filter(pk=alice.pk).update(is_staff=True, is_superuser=True)
    client = signed_in(User.objects.get(pk=alice.pk))
    for path in ("/admin/", "/admin/audit/auditevent/", f"/admin/users/user/{alice.pk}/change/"):
        response = client.get(path)
        assert response.status_code == 200, path
        page = Page()
        page.feed(response.content.decode())
        assert [s for s in page.scripts if not s.get("src")] == [], path
        assert "Content-Security-Policy" in response.headers


def test_oauth_application_pages(alice, alice_client):
    app = Application.objects.create(
        name="Budget app",
        user=alice,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="http://127.0.0.1:9/callback",
    )
    for path in (
        "/oauth/applications/",
        "/oauth/applications/register/",
        f"/oauth/applications/{app.pk}/",
        f"/oauth/applications/{app.pk}/update/",
        f"/oauth/applications/{app.pk}/delete/",
        "/oauth/authorized_tokens/",
    ):
        check_page(alice_client.get(path), path)
