"""The OAuth2 provider as third-party clients use it: the authorization-code flow with PKCE driven
by requests-oauthlib against a live server, and the token endpoint's RFC 6749 errors."""

from __future__ import annotations

import base64
import hashlib
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from oauth2_provider.models import AccessToken, Application, RefreshToken
from oauthlib.oauth2 import InvalidGrantError
from requests_oauthlib import OAuth2Session

from tests.api.conftest import fail, ok

REDIRECT_URI = (
    "http://127.0.0.1:9/callback"  # nothing listens there: the redirect is never followed
)
PASSWORD = "alice-password-1"
SECRET = "confidential-client-secret-that-is-long-enough"

# live_server needs a transactional database, which is emptied afterwards; the serialized
# rollback puts the migrated rows (the currencies) back for the tests that follow.
live = pytest.mark.django_db(transaction=True, serialized_rollback=True)


class _Forms(HTMLParser):
    """The <input> fields of every form of a page (the site's menu has a sign-out form too)."""

    def __init__(self):
        super().__init__()
        self.forms: list[list[tuple[str, str, str]]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append([])
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1].append(
                (attrs.get("type", "text"), attrs["name"], attrs.get("value") or "")
            )


def hidden_fields(html: str, *, with_field: str) -> dict[str, str]:
    """The hidden fields of the form that has a field named ``with_field``."""
    parser = _Forms()
    parser.feed(html)
    [form] = [f for f in parser.forms if any(name == with_field for _, name, _ in f)]
    return {name: value for kind, name, value in form if kind == "hidden"}


def make_app(alice, client_type: str, secret: str = "") -> Application:
    return Application.objects.create(
        name=f"{client_type} app",
        user=alice,
        client_type=client_type,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT_URI,
        client_secret=secret,
    )


@pytest.fixture
def insecure_transport(monkeypatch):
    # oauthlib refuses plain http unless told otherwise; the live server speaks http.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def register_app(
    browser: requests.Session, server_url: str, client_type: str, secret: str
) -> Application:
    """Register an application the way a developer does, on /oauth/applications/register/."""
    page = browser.get(f"{server_url}/oauth/applications/register/")
    assert page.status_code == 200, page.text[:500]
    client_id = f"{client_type}-client-id-0123456789"
    form = {
        "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        "name": f"{client_type} app",
        "client_id": client_id,
        "client_secret": secret,
        "hash_client_secret": "on",
        "client_type": client_type,
        "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
        "redirect_uris": REDIRECT_URI,
        "post_logout_redirect_uris": "",
        "allowed_origins": "",
        "algorithm": "",
    }
    created = browser.post(
        f"{server_url}/oauth/applications/register/", data=form, allow_redirects=False
    )
    assert created.status_code == 302, created.text[:2000]
    return Application.objects.get(client_id=client_id)


def signed_in_browser(server_url: str) -> requests.Session:
    """A browser session in which alice signed in through the login form."""
    browser = requests.Session()
    page = browser.get(f"{server_url}/auth/login/")
    assert page.status_code == 200
    form = hidden_fields(page.text, with_field="password")
    form.update({"username": "alice@example.com", "password": PASSWORD})
    signed_in = browser.post(f"{server_url}/auth/login/", data=form, allow_redirects=False)
    assert signed_in.status_code == 302, signed_in.text[:500]
    return browser


def consent(browser: requests.Session, authorize_url: str) -> requests.Response:
    """Open the consent page and press Authorize; the answer is the redirect, not followed."""
    page = browser.get(authorize_url, allow_redirects=False)
    assert page.status_code == 200, page.text[:500]
    form = hidden_fields(page.text, with_field="allow")
    form["allow"] = "Authorize"
    return browser.post(authorize_url, data=form, allow_redirects=False)


def code_from(response: requests.Response) -> str:
    assert response.status_code == 302, response.text[:500]
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return parse_qs(urlsplit(location).query)["code"][0]


def api_user(server_url: str, access_token: str) -> requests.Response:
    return requests.get(
        f"{server_url}/api/user", headers={"Authorization": f"Bearer {access_token}"}
    )


@live
def test_authorization_code_flow_with_pkce(live_server, alice, insecure_transport):
    server = live_server.url
    token_url = f"{server}/oauth/token"
    browser = signed_in_browser(server)
    public = register_app(browser, server, Application.CLIENT_PUBLIC, "")
    confidential = register_app(browser, server, Application.CLIENT_CONFIDENTIAL, SECRET)
    assert confidential.user == alice
    assert SECRET not in confidential.client_secret  # stored hashed

    # Given a public client that asks for read and write with an S256 challenge
    client = OAuth2Session(
        public.client_id, redirect_uri=REDIRECT_URI, scope=["read", "write"], pkce="S256"
    )
    authorize_url, state = client.authorization_url(f"{server}/oauth/authorize")
    assert "code_challenge_method=S256" in authorize_url

    # When alice allows it, the client gets a code back on its redirect URI
    redirect = consent(browser, authorize_url)
    code_from(redirect)
    assert parse_qs(urlsplit(redirect.headers["Location"]).query)["state"] == [state]

    # And trades it, with its verifier, for tokens
    token = client.fetch_token(
        token_url, authorization_response=redirect.headers["Location"], include_client_id=True
    )
    assert token["token_type"] == "Bearer"
    assert set(token["scope"]) == {"read", "write"}
    assert token["refresh_token"]

    # Then the token works on the API through the client library, doubled slash included
    user = client.get(f"{server}/api/user")
    assert user.status_code == 200
    assert user.json()["result"]["email"] == "alice@example.com"
    assert client.get(f"{server}//api/user").json()["result"]["email"] == "alice@example.com"
    portfolio = client.post(
        f"{server}/api/portfolios", json={"title": "Via OAuth", "currencies": ["btc"]}
    )
    assert portfolio.status_code == 201, portfolio.text
    assert (
        client.delete(f"{server}/api/portfolios/{portfolio.json()['result']['id']}").status_code
        == 403
    )

    # When the client refreshes, it gets a new pair and the old refresh token is spent
    old_refresh = token["refresh_token"]
    refreshed = client.refresh_token(token_url, client_id=public.client_id)
    assert refreshed["access_token"] != token["access_token"]
    assert refreshed["refresh_token"] != old_refresh
    assert api_user(server, refreshed["access_token"]).status_code == 200

    # And the confidential client can introspect the live token (HTTP basic client auth)
    introspect_url = f"{server}/oauth/introspect"
    basic = (confidential.client_id, SECRET)
    info = requests.post(introspect_url, data={"token": refreshed["access_token"]}, auth=basic)
    assert info.status_code == 200
    assert info.json()["active"] is True
    assert info.json()["username"] == "alice@example.com"
    assert set(info.json()["scope"].split()) == {"read", "write"}

    # When the client revokes its access token
    revoked = requests.post(
        f"{server}/oauth/revoke_token",
        data={"token": refreshed["access_token"], "client_id": public.client_id},
    )
    assert revoked.status_code == 200

    # Then the API refuses it with an RFC 6750 challenge, and introspection says it is dead
    after = api_user(server, refreshed["access_token"])
    assert after.status_code == 401
    assert after.headers["WWW-Authenticate"].startswith("Bearer ")
    assert after.json()["message"] == "Unauthorized"
    dead = requests.post(introspect_url, data={"token": refreshed["access_token"]}, auth=basic)
    assert dead.json() == {"active": False}

    # And the spent refresh token is refused (no grace period); tests/api/test_oauth_replay.py
    # shows that this replay also revokes every token descended from it
    reuse = requests.post(
        token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": old_refresh,
            "client_id": public.client_id,
        },
    )
    assert reuse.status_code == 400
    assert reuse.json()["error"] == "invalid_grant"


@live
def test_confidential_client_without_pkce_and_wrong_verifier(
    live_server, alice, insecure_transport
):
    server = live_server.url
    token_url = f"{server}/oauth/token"
    confidential = make_app(alice, Application.CLIENT_CONFIDENTIAL, SECRET)
    public = make_app(alice, Application.CLIENT_PUBLIC)
    browser = signed_in_browser(server)

    # A confidential client may leave PKCE out: it authenticates with its secret
    client = OAuth2Session(confidential.client_id, redirect_uri=REDIRECT_URI, scope=["read"])
    authorize_url, _ = client.authorization_url(f"{server}/oauth/authorize")
    redirect = consent(browser, authorize_url)
    token = client.fetch_token(
        token_url, authorization_response=redirect.headers["Location"], client_secret=SECRET
    )
    assert api_user(server, token["access_token"]).status_code == 200

    # A wrong secret is invalid_client (401)
    client = OAuth2Session(confidential.client_id, redirect_uri=REDIRECT_URI, scope=["read"])
    authorize_url, _ = client.authorization_url(f"{server}/oauth/authorize")
    code = code_from(consent(browser, authorize_url))
    wrong = requests.post(
        token_url,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
        auth=(confidential.client_id, "not-the-secret"),
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"

    # A public client's code with the wrong verifier is invalid_grant, and no token is issued
    client = OAuth2Session(public.client_id, redirect_uri=REDIRECT_URI, scope=["read"], pkce="S256")
    authorize_url, _ = client.authorization_url(f"{server}/oauth/authorize")
    code = code_from(consent(browser, authorize_url))
    body = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": public.client_id,
        "code_verifier": "w" * 64,
    }
    refused = requests.post(token_url, data=body)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    assert not AccessToken.objects.filter(application=public).exists()
    with pytest.raises(InvalidGrantError):  # and the client library reports it as such
        OAuth2Session(public.client_id, redirect_uri=REDIRECT_URI).fetch_token(
            token_url, code=code, include_client_id=True, code_verifier="v" * 64
        )

    # A public client without PKCE gets no code at all: the error goes back to its redirect URI
    no_pkce = OAuth2Session(public.client_id, redirect_uri=REDIRECT_URI, scope=["read"])
    authorize_url, _ = no_pkce.authorization_url(f"{server}/oauth/authorize")
    page = browser.get(authorize_url, allow_redirects=False)
    assert page.status_code == 302
    assert page.headers["Location"].startswith(REDIRECT_URI)
    query = parse_qs(urlsplit(page.headers["Location"]).query)
    assert "code" not in query
    assert query["error"] == ["invalid_request"]
    # and posting the consent form anyway does not get one either
    forced = browser.post(
        authorize_url,
        data={
            "client_id": public.client_id,
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "scope": "read",
            "allow": "Authorize",
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        allow_redirects=False,
    )
    assert "code=" not in forced.headers.get("Location", "")
    assert not AccessToken.objects.filter(application=public).exists()


# --- the token endpoint, with Django's test client ---------------------------------------


@pytest.fixture
def confidential_app(alice) -> Application:
    return make_app(alice, Application.CLIENT_CONFIDENTIAL, SECRET)


def token_request(client, app, secret=SECRET, **data):
    credentials = base64.b64encode(f"{app.client_id}:{secret}".encode()).decode()
    return client.post("/oauth/token", data, HTTP_AUTHORIZATION=f"Basic {credentials}")


def assert_token_error(response, status: int, error: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response["Cache-Control"] == "no-store"
    assert response.json()["error"] == error


PASSWORD_GRANT = {"grant_type": "password", "username": "alice@example.com", "password": PASSWORD}


def test_password_grant_for_a_user_who_allows_remote_login(client, alice, confidential_app):
    # Given alice switched on remote login
    alice.allow_remote_login = True
    alice.save()

    # When an app signs in with her password
    response = token_request(client, confidential_app, **PASSWORD_GRANT, scope="read info")

    # Then it gets an RFC 6749 token answer that works on the API
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    token = response.json()
    assert token["token_type"] == "Bearer"
    assert set(token["scope"].split()) == {"read", "info"}
    assert token["expires_in"] > 0

    # Tokens are stored as their SHA-256 only (RFC 9700 section 4), never as themselves
    def sha256(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    refresh = RefreshToken.objects.get(token_checksum=sha256(token["refresh_token"]), user=alice)
    access = AccessToken.objects.get(token_checksum=sha256(token["access_token"]), user=alice)
    assert token["refresh_token"] not in (refresh.token, access.token)
    assert token["access_token"] not in (refresh.token, access.token)
    user = client.get("/api/user", HTTP_AUTHORIZATION=f"Bearer {token['access_token']}")
    assert ok(user)["email"] == "alice@example.com"


def test_password_grant_is_refused_when_remote_login_is_off(client, alice, confidential_app):
    assert alice.allow_remote_login is False  # the default
    assert_token_error(
        token_request(client, confidential_app, **PASSWORD_GRANT), 400, "invalid_grant"
    )
    assert not AccessToken.objects.exists()


def test_password_grant_with_a_wrong_password_is_invalid_grant(client, alice, confidential_app):
    alice.allow_remote_login = True
    alice.save()
    body = {**PASSWORD_GRANT, "password": "wrong-password"}
    assert_token_error(token_request(client, confidential_app, **body), 400, "invalid_grant")


def test_wrong_client_secret_is_invalid_client(client, alice, confidential_app):
    alice.allow_remote_login = True
    alice.save()
    response = token_request(client, confidential_app, secret="wrong", **PASSWORD_GRANT)
    assert_token_error(response, 401, "invalid_client")


def test_unknown_scope_is_invalid_scope(client, alice, confidential_app):
    alice.allow_remote_login = True
    alice.save()
    response = token_request(client, confidential_app, **PASSWORD_GRANT, scope="read bogus")
    assert_token_error(response, 400, "invalid_scope")


def test_unknown_grant_type_is_unsupported_grant_type(client, confidential_app):
    response = token_request(client, confidential_app, grant_type="magic")
    assert_token_error(response, 400, "unsupported_grant_type")


def test_public_client_cannot_use_the_password_grant(client, alice):
    alice.allow_remote_login = True
    alice.save()
    public = make_app(alice, Application.CLIENT_PUBLIC)
    response = client.post("/oauth/token", {**PASSWORD_GRANT, "client_id": public.client_id})
    assert_token_error(response, 400, "unauthorized_client")
    assert not AccessToken.objects.exists()


def test_bad_authorization_code_is_invalid_grant(client, confidential_app):
    response = token_request(
        client,
        confidential_app,
        grant_type="authorization_code",
        code="made-up",
        redirect_uri=REDIRECT_URI,
    )
    assert_token_error(response, 400, "invalid_grant")


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/token/"])
def test_token_endpoint_answers_with_and_without_slash(client, alice, confidential_app, path):
    alice.allow_remote_login = True
    alice.save()
    credentials = base64.b64encode(f"{confidential_app.client_id}:{SECRET}".encode()).decode()
    response = client.post(path, PASSWORD_GRANT, HTTP_AUTHORIZATION=f"Basic {credentials}")
    assert response.status_code == 200, response.content


def test_client_secret_is_stored_hashed(confidential_app):
    stored = Application.objects.get(pk=confidential_app.pk).client_secret
    assert SECRET not in stored


def test_token_from_the_password_grant_follows_the_scope_rules(client, alice, confidential_app):
    alice.allow_remote_login = True
    alice.save()
    token = token_request(client, confidential_app, **PASSWORD_GRANT, scope="info").json()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token['access_token']}"}

    ok(client.get("/api/user", **headers))
    fail(client.get("/api/portfolios", **headers), 403)


def test_s256_challenge_is_what_the_client_library_sends():
    # Guard on the library the flow test relies on: its challenge is RFC 7636's S256
    session = OAuth2Session("id", redirect_uri=REDIRECT_URI, pkce="S256")
    url, _ = session.authorization_url("https://example.test/oauth/authorize")
    challenge = parse_qs(urlsplit(url).query)["code_challenge"][0]
    digest = hashlib.sha256(session._code_verifier.encode()).digest()
    assert challenge == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_incomplete_consent_form_is_shown_again_not_a_server_error(client, alice, confidential_app):
    # Given alice signed in, posting a consent form that lost its hidden fields
    client.force_login(alice)
    client.raise_request_exception = False

    response = client.post(
        "/oauth/authorize", {"client_id": confidential_app.client_id, "allow": "Authorize"}
    )

    # Then the form comes back with its errors, and no code is issued
    assert response.status_code == 200
    assert "Location" not in response
    assert not AccessToken.objects.exists()
