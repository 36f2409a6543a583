"""OAuth 2.1 / RFC 9700 posture through the real /oauth/authorize and /oauth/token endpoints:
S256 is the only PKCE method, a replayed refresh token revokes its whole family, and a replayed
authorization code revokes every token issued from it."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.db import connection
from oauth2_provider.models import AccessToken, Application, Grant, RefreshToken

from tests.api.test_oauth import REDIRECT_URI, SECRET, hidden_fields, make_app


def s256(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


def authorize_url(app: Application, **pkce: str) -> str:
    query = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "read",
        "state": secrets.token_urlsafe(8),
        **pkce,
    }
    return "/oauth/authorize?" + urlencode(query)


def redirect_query(response) -> dict[str, list[str]]:
    assert response.status_code == 302, response.content[:500]
    location = response["Location"]
    assert location.startswith(REDIRECT_URI)
    return parse_qs(urlsplit(location).query)


def consent(client, url: str):
    """Open the consent page as the signed-in user and press Authorize."""
    page = client.get(url)
    assert page.status_code == 200, page.content[:500]
    form = hidden_fields(page.content.decode(), with_field="allow")
    form["allow"] = "Authorize"
    return client.post(url, form)


def public_code(client, app: Application) -> tuple[str, str]:
    """A code for the public app, with an S256 challenge: (code, verifier)."""
    verifier = secrets.token_urlsafe(48)
    url = authorize_url(app, code_challenge=s256(verifier), code_challenge_method="S256")
    return redirect_query(consent(client, url))["code"][0], verifier


def exchange(client, app: Application, code: str, verifier: str):
    return client.post(
        "/oauth/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": app.client_id,
            "code_verifier": verifier,
        },
    )


def refresh(client, app: Application, refresh_token: str):
    return client.post(
        "/oauth/token",
        {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": app.client_id},
    )


def works(client, access_token: str) -> bool:
    status = client.get("/api/user", HTTP_AUTHORIZATION=f"Bearer {access_token}").status_code
    assert status in (200, 401)
    return status == 200


@pytest.fixture
def public_app(alice) -> Application:
    return make_app(alice, Application.CLIENT_PUBLIC)


@pytest.fixture
def browser(client, alice):
    client.force_login(alice)
    return client


# --- PKCE: S256 only ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "pkce",
    [
        {"code_challenge": "p" * 50, "code_challenge_method": "plain"},
        {"code_challenge": "p" * 50},  # no method means "plain" (RFC 7636 section 4.3)
        {"code_challenge": s256("v" * 50), "code_challenge_method": "S512"},
    ],
    ids=["plain", "method-left-out", "unknown-method"],
)
def test_public_client_without_s256_gets_no_code(browser, public_app, pkce):
    url = authorize_url(public_app, **pkce)

    # The consent page is not shown: the error goes back to the client's redirect URI
    query = redirect_query(browser.get(url))
    assert query["error"] == ["invalid_request"]
    assert "code" not in query

    # and posting the consent form anyway does not make a code either
    forced = browser.post(
        url,
        {
            "client_id": public_app.client_id,
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "scope": "read",
            "allow": "Authorize",
            **pkce,
        },
    )
    assert "code=" not in forced.get("Location", "")
    assert not Grant.objects.exists()


def test_confidential_client_that_sends_a_challenge_must_use_s256_too(browser, alice):
    app = make_app(alice, Application.CLIENT_CONFIDENTIAL, SECRET)
    url = authorize_url(app, code_challenge="p" * 50, code_challenge_method="plain")
    assert redirect_query(browser.get(url))["error"] == ["invalid_request"]
    # PKCE stays optional for it: without a challenge it gets a code
    assert "code" in redirect_query(consent(browser, authorize_url(app)))


def test_s256_flow_issues_tokens(browser, public_app):
    code, verifier = public_code(browser, public_app)
    response = exchange(browser, public_app, code, verifier)
    assert response.status_code == 200, response.content
    assert works(browser, response.json()["access_token"])


# --- refresh-token replay revokes the family -------------------------------------------------


def test_replayed_refresh_token_revokes_every_token_of_its_family(browser, public_app):
    # Given a session refreshed twice: R0 -> R1 -> R2
    code, verifier = public_code(browser, public_app)
    first = exchange(browser, public_app, code, verifier).json()
    second = refresh(browser, public_app, first["refresh_token"]).json()
    third = refresh(browser, public_app, second["refresh_token"]).json()
    assert works(browser, third["access_token"])
    # and another session of the same user and app, authorized separately
    other_code, other_verifier = public_code(browser, public_app)
    other = exchange(browser, public_app, other_code, other_verifier).json()

    # When someone replays the spent R0 (a stolen copy, say)
    replay = refresh(browser, public_app, first["refresh_token"])

    # Then it is refused, and the whole family is dead: the live access token and R2 too
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert not works(browser, third["access_token"])
    dead = refresh(browser, public_app, third["refresh_token"])
    assert dead.status_code == 400
    assert dead.json()["error"] == "invalid_grant"
    # while the other session goes on
    assert works(browser, other["access_token"])
    renewed = refresh(browser, public_app, other["refresh_token"])
    assert renewed.status_code == 200, renewed.content
    assert works(browser, renewed.json()["access_token"])


def test_replaying_the_middle_of_a_chain_revokes_it_as_well(browser, public_app):
    code, verifier = public_code(browser, public_app)
    first = exchange(browser, public_app, code, verifier).json()
    second = refresh(browser, public_app, first["refresh_token"]).json()
    third = refresh(browser, public_app, second["refresh_token"]).json()

    assert refresh(browser, public_app, second["refresh_token"]).status_code == 400

    assert not works(browser, third["access_token"])
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()
    assert not AccessToken.objects.exists()


# --- authorization-code replay revokes what it gave --------------------------------------------


def test_replayed_code_is_refused_and_revokes_the_tokens_issued_from_it(browser, public_app):
    # Given a code exchanged once, and the session refreshed since
    code, verifier = public_code(browser, public_app)
    issued = exchange(browser, public_app, code, verifier).json()
    refreshed = refresh(browser, public_app, issued["refresh_token"]).json()
    assert works(browser, refreshed["access_token"])
    other_code, other_verifier = public_code(browser, public_app)
    other = exchange(browser, public_app, other_code, other_verifier).json()

    # When the code comes again (intercepted, say)
    replay = exchange(browser, public_app, code, verifier)

    # Then no token is issued, and every token descended from the first exchange is revoked
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert "access_token" not in replay.json()
    assert not works(browser, issued["access_token"])
    assert not works(browser, refreshed["access_token"])
    assert refresh(browser, public_app, refreshed["refresh_token"]).json()["error"] == (
        "invalid_grant"
    )
    # and the session from another code is untouched
    assert works(browser, other["access_token"])


def test_confidential_client_code_replay_revokes_too(browser, alice):
    app = make_app(alice, Application.CLIENT_CONFIDENTIAL, SECRET)
    code = redirect_query(consent(browser, authorize_url(app)))["code"][0]
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    basic = "Basic " + base64.b64encode(f"{app.client_id}:{SECRET}".encode()).decode()
    issued = browser.post("/oauth/token", body, HTTP_AUTHORIZATION=basic)
    assert issued.status_code == 200, issued.content

    replay = browser.post("/oauth/token", body, HTTP_AUTHORIZATION=basic)

    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert not works(browser, issued.json()["access_token"])


def test_an_unknown_code_revokes_nothing(browser, public_app):
    code, verifier = public_code(browser, public_app)
    issued = exchange(browser, public_app, code, verifier).json()

    made_up = exchange(browser, public_app, "made-up-code", verifier)

    assert made_up.json()["error"] == "invalid_grant"
    assert works(browser, issued["access_token"])


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent transactions need PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_two_racing_exchanges_of_one_code_give_tokens_at_most_once(alice):
    # Two requests with one code at the same moment: the
    # code is claimed under a row lock, so one wins and the other is a replay, which revokes
    # what the winner got; never two working token pairs from one code.
    from django.test import Client

    app = make_app(alice, Application.CLIENT_PUBLIC)
    browser = Client()
    browser.force_login(alice)
    code, verifier = public_code(browser, app)
    start = threading.Barrier(2)
    answers: list = []

    failures: list[BaseException] = []

    def exchange_once():
        try:
            start.wait()
            answers.append(exchange(Client(), app, code, verifier))
        except BaseException as exc:  # reported below: a thread's exception is otherwise lost
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=exchange_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not failures, failures
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses in ([200, 400], [400, 400]), statuses
    for answer in answers:
        if answer.status_code == 400:
            assert answer["Content-Type"] == "application/json"
            assert answer["Cache-Control"] == "no-store"
            assert answer.json()["error"] == "invalid_grant"
    # whatever the winner got was revoked by the loser's replay, or nobody got anything
    assert not AccessToken.objects.exists()
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()


# --- the rest of the OAuth 2.1 posture --------------------------------------------------------


def test_the_authorization_response_names_the_issuer(browser, public_app):
    verifier = secrets.token_urlsafe(48)
    url = authorize_url(public_app, code_challenge=s256(verifier), code_challenge_method="S256")
    query = redirect_query(consent(browser, url))
    assert query["iss"] == ["http://testserver"]  # RFC 9207: a client can tell servers apart
    assert "code" in query


def test_the_implicit_grant_is_refused(browser, alice):
    app = Application.objects.create(
        name="implicit app",
        user=alice,
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_IMPLICIT,
        redirect_uris=REDIRECT_URI,
    )
    url = "/oauth/authorize?" + urlencode(
        {"response_type": "token", "client_id": app.client_id, "redirect_uri": REDIRECT_URI}
    )
    response = browser.get(url)
    assert response.status_code == 302
    assert "error=" in response["Location"]
    assert "access_token" not in response["Location"]
    assert not AccessToken.objects.exists()
