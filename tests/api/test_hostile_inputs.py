"""Every input gets a 4xx envelope, never a 500, and a refused request stores nothing (issue 11,
point 1): NUL characters and lone surrogates, bodies nested or wide past the limits, numbers
past 64 bits in the paging parameters, and writes to routes that do not exist. Each case is one
that answered 500 (or an HTML page) before."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from rest_framework.test import APIClient

from addresses.models import Address
from offsets.models import Offset, OffsetBalance
from portfolios.models import Portfolio, PortfolioCurrency
from tests.api.conftest import fail, ok

NESTED = "the body is nested more than 32 levels deep"


def stored() -> dict[str, Any]:
    """Every row a write to portfolios, addresses or offsets could add or change."""
    return {
        "portfolios": list(Portfolio.objects.order_by("pk").values_list("pk", "title")),
        "currencies": list(
            PortfolioCurrency.objects.order_by("pk").values_list("portfolio", "currency")
        ),
        "addresses": list(Address.objects.order_by("pk").values_list("pk", "title", "address")),
        "offsets": list(Offset.objects.order_by("pk").values_list("pk", "title")),
        "balances": list(
            OffsetBalance.objects.order_by("pk").values_list("offset", "currency", "balance")
        ),
    }


def raw(client: APIClient, method: str, url: str, body: str, content_type: str):
    return client.generic(method, url, body, content_type=content_type)


def form(client: APIClient, method: str, url: str, body: str):
    return raw(client, method, url, body, "application/x-www-form-urlencoded")


# --- NUL characters and lone surrogates ---------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "sentence"),
    [
        ('{"title": "a\\u0000b", "currencies": ["btc"]}', "title must not contain a NUL character"),
        (
            '{"title": "Main", "currencies": ["bt\\u0000c"]}',
            "currencies[0] must not contain a NUL character",
        ),
        (
            '{"title": "\\ud800", "currencies": ["btc"]}',
            "title is not valid text (it holds a lone UTF-16 surrogate)",
        ),
        (
            '{"title": "Main", "currencies": ["\\udfff"]}',
            "currencies[0] is not valid text (it holds a lone UTF-16 surrogate)",
        ),
        (
            '{"title": "Main", "currencies": ["btc"], "\\ud800": 1}',
            "a field name is not valid text (it holds a lone UTF-16 surrogate)",
        ),
    ],
)
def test_unstorable_text_in_a_portfolio_is_422_and_stores_nothing(api, body, sentence):
    before = stored()

    fail(raw(api, "POST", "/api/portfolios", body, "application/json"), 422, sentence)

    assert stored() == before


def test_unstorable_text_in_a_patch_changes_nothing(api, alice_ids):
    url = f"/api/portfolios/{alice_ids['p']}"
    before = stored()

    fail(
        raw(api, "PATCH", url, '{"title": "x\\ud83d"}', "application/json"),
        422,
        "title is not valid text (it holds a lone UTF-16 surrogate)",
    )
    fail(form(api, "PATCH", url, "title=a%00b"), 422, "title must not contain a NUL character")
    fail(
        api.patch(url, {"title": "ok", "currencies[]": ["usd\x00"]}, format="multipart"),
        422,
        "currencies[0] must not contain a NUL character",
    )

    assert stored() == before


@pytest.mark.parametrize(
    ("path", "body", "sentence"),
    [
        (
            "addresses",
            {"title": "a\x00", "address": "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "currency": "btc"},
            "title must not contain a NUL character",
        ),
        (
            "addresses",
            {"address": "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\x00", "currency": "btc"},
            "address must not contain a NUL character",
        ),
        (
            "offsets",
            {"title": "Paper", "balances": [{"currency": "ltc\x00", "balance": "1"}]},
            "balances[0].currency must not contain a NUL character",
        ),
        (
            "offsets",
            {"title": "Paper", "balances": [{"currency": "ltc", "balance": "1\x00"}]},
            "balances[0].balance must not contain a NUL character",
        ),
    ],
)
def test_nul_in_an_address_or_offset_is_422_and_stores_nothing(
    api, alice_ids, path, body, sentence
):
    before = stored()

    fail(api.post(f"/api/portfolios/{alice_ids['p']}/{path}", body, format="json"), 422, sentence)

    assert stored() == before


def test_a_surrogate_in_an_offset_currency_is_not_echoed(api, alice_ids):
    # The sentence names the field, never the value: a lone surrogate cannot be written as UTF-8.
    response = raw(
        api,
        "POST",
        f"/api/portfolios/{alice_ids['p']}/offsets",
        '{"title": "x", "balances": [{"currency": "\\udc00", "balance": "1"}]}',
        "application/json",
    )
    fail(response, 422, "balances[0].currency is not valid text (it holds a lone UTF-16 surrogate)")


@pytest.mark.parametrize(
    "url",
    [
        "/api/currencies/b%00tc",
        "/api/portfolios?x=%00",
        "/api/portfolios/1/imports?offset=%00",
    ],
)
def test_nul_in_the_address_or_query_is_400(api, url):
    fail(
        api.get(url),
        400,
        "the address, query string or headers must not contain a NUL character",
    )


def test_nul_in_a_bearer_token_is_400_not_a_database_error(anon):
    response = anon.get("/api/user", HTTP_AUTHORIZATION="Bearer tok\x00en")
    fail(response, 400, "the address, query string or headers must not contain a NUL character")


def test_nul_in_a_dashboard_address_is_a_plain_400(alice_client_plain):
    response = alice_client_plain.get("/portfolios/?q=%00")
    assert response.status_code == 400
    assert b"NUL" in response.content


def test_nul_in_a_session_cookie_is_a_plain_400(anon):
    # The session is looked up by the cookie's value: PostgreSQL would refuse the query.
    response = anon.get("/portfolios/", HTTP_COOKIE="sessionid=abc\x00def")
    assert response.status_code == 400


@pytest.fixture
def alice_client_plain(alice):
    from django.test import Client

    client = Client()
    client.force_login(alice)
    return client


# --- nesting ------------------------------------------------------------------------------------


def test_json_nested_50000_deep_is_400(api):
    before = stored()
    body = "[" * 50_000 + "]" * 50_000

    fail(raw(api, "POST", "/api/portfolios", body, "application/json"), 400, NESTED)

    assert stored() == before


def test_offset_balances_nested_5000_deep_is_400(api, alice_ids):
    url = f"/api/portfolios/{alice_ids['p']}/offsets"
    deep = '{"currency": "btc", "balance": [' * 5000 + '"1"' + "]}" * 5000
    before = stored()

    fail(
        raw(api, "POST", url, '{"title": "x", "balances": [' + deep + "]}", "application/json"),
        400,
        NESTED,
    )
    fail(
        raw(
            api,
            "PATCH",
            f"{url}/{alice_ids['o']}",
            '{"balances": [' + deep + "]}",
            "application/json",
        ),
        400,
        NESTED,
    )

    assert stored() == before


def test_bracket_notation_nested_5000_deep_is_400(api, alice_ids):
    url = f"/api/portfolios/{alice_ids['p']}/offsets"
    key = "balances[][balance]" + "[x]" * 5000
    # A multipart part's headers are bounded by Django's parser: 100 levels fit in them.
    shorter = "balances[][balance]" + "[x]" * 100
    before = stored()

    fail(form(api, "POST", url, f"title=x&balances[][currency]=btc&{key}=1"), 400, NESTED)
    fail(
        api.post(
            url, {"title": "x", "balances[][currency]": "btc", shorter: "1"}, format="multipart"
        ),
        400,
        NESTED,
    )

    assert stored() == before


def test_the_nesting_limit_is_a_setting(api, alice_ids, settings):
    url = f"/api/portfolios/{alice_ids['p']}/offsets"
    body = {"title": "x", "balances": [{"currency": "btc", "balance": "1"}]}  # 3 levels
    settings.API_MAX_NESTING_DEPTH = 2

    fail(api.post(url, body, format="json"), 400, "the body is nested more than 2 levels deep")

    settings.API_MAX_NESTING_DEPTH = 3
    ok(api.post(url, body, format="json"), 201)


# --- size: fields, bytes, one value -----------------------------------------------------------


def test_a_multipart_body_of_3000_fields_is_413_and_stores_nothing(api):
    body: dict[str, Any] = {"title": "Many", "currencies[]": ["btc", "usd"]}
    body.update({f"field{i}": "x" for i in range(3000)})
    before = stored()

    response = api.post("/api/portfolios", body, format="multipart")

    fail(response, 413, "the body has more than the 1000 fields this server accepts")
    assert stored() == before


def test_a_form_body_of_3000_fields_is_413_and_stores_nothing(api, alice_ids):
    body = "title=Many&currencies[]=btc&" + "&".join(f"currencies[]=usd{i}" for i in range(3000))
    before = stored()

    fail(
        form(api, "POST", "/api/portfolios", body),
        413,
        "the body has more than the 1000 fields this server accepts (this one has 3002)",
    )
    fail(form(api, "PATCH", f"/api/portfolios/{alice_ids['p']}", body), 413)

    assert stored() == before


def test_the_field_count_limit_is_a_setting(api, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    body = "title=Main&currencies[]=btc&currencies[]=usd"

    ok(form(api, "POST", "/api/portfolios", body), 201)
    fail(
        form(api, "POST", "/api/portfolios", body + "&currencies[]=eur"),
        413,
        "the body has more than the 3 fields this server accepts (this one has 4)",
    )


def test_a_body_past_the_size_limit_is_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    before = stored()
    body = '{"title": "Main", "currencies": ["btc"], "pad": "' + "x" * 2000 + '"}'

    fail(
        raw(api, "POST", "/api/portfolios", body, "application/json"),
        413,
        "the body is larger than the 1000 bytes this server accepts",
    )
    assert stored() == before


def test_one_value_past_the_field_length_limit_is_422(api, settings):
    settings.MAX_FIELD_LENGTH = 50
    body = {"title": "Main", "currencies": ["btc"], "note": "x" * 51}

    fail(
        api.post("/api/portfolios", body, format="json"), 422, "note must be at most 50 characters"
    )
    assert not Portfolio.objects.exists()


# --- paging parameters on every paged route ---------------------------------------------------


@pytest.fixture
def paged_urls(api, alice_ids, django_capture_on_commit_callbacks) -> list[str]:
    """Every paged list of the API for alice's portfolio, each answering rows now."""
    # An address its explorer rejected is never fetched: its stored rows are all there is.
    Address.objects.filter(pk=alice_ids["a"]).update(valid=False)
    p = f"/api/portfolios/{alice_ids['p']}"
    with django_capture_on_commit_callbacks(execute=True):  # the first ask builds the cost basis
        api.get(f"{p}/cost-basis/lots")
    return [
        f"{p}/addresses/{alice_ids['a']}/transactions",
        f"{p}/transactions",
        f"{p}/transactions/missing-values",
        f"{p}/transfers",
        f"{p}/imports",
        f"{p}/cost-basis/lots",
        f"{p}/cost-basis/disposals",
    ]


def test_an_offset_past_64_bits_is_422_on_every_paged_route(api, paged_urls):
    for url in paged_urls:
        response = api.get(f"{url}?offset=99999999999999999999999")
        assert response.status_code == 422, (url, response.content)
        assert response.json()["invalid"] == ["offset must be at most 1000000000000000"], url


def test_an_offset_past_the_last_row_is_an_empty_page_on_every_paged_route(api, paged_urls):
    for url in paged_urls:
        response = api.get(f"{url}?offset=1000000000000000")
        assert response.status_code == 200, (url, response.content)
        body = response.json()
        assert body["result"] == [] and body["next"] is None, url


@pytest.mark.parametrize(
    ("query", "sentences"),
    [
        ("offset=-1", ["offset must not be negative"]),
        ("offset=-99999999999999999999999", ["offset must not be negative"]),
        ("offset=abc", ["offset must be a whole number"]),
        ("offset=1.5", ["offset must be a whole number"]),
        ("offset=" + "9" * 5000, ["offset must be a whole number"]),
        ("offset=%D9%A1", ["offset must be a whole number"]),  # an Arabic-Indic digit one
        ("limit=0", ["limit must be between 1 and 1000"]),
        ("limit=-5", ["limit must be between 1 and 1000"]),
        ("limit=99999999999999999999999", ["limit must be between 1 and 1000"]),
        ("limit=1e3", ["limit must be a whole number"]),
        ("limit=&offset=", ["limit must be a whole number", "offset must be a whole number"]),
        ("limit=x&offset=-1", ["limit must be a whole number", "offset must not be negative"]),
    ],
)
def test_bad_paging_parameters_are_422_on_every_paged_route(api, paged_urls, query, sentences):
    for url in paged_urls:
        fail(api.get(f"{url}?{query}"), 422, *sentences)


# --- routes and methods -------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "GET"])
@pytest.mark.parametrize("signed_in", [False, True])
def test_any_method_on_a_missing_api_route_is_the_enveloped_404(alice, method, signed_in):
    # A client whose CSRF token is checked, as a browser's is, anonymous or signed in to the
    # dashboard: no CSRF page, no HTML.
    client = APIClient(enforce_csrf_checks=True)
    if signed_in:
        client.force_login(alice)

    response = client.generic(method, "/api/no/such/route", b'{"a": 1}', "application/json")

    fail(response, 404)


@pytest.mark.parametrize(
    "url",
    ["/api/portfolios", "/api/portfolios/1", "/api/currencies", "/api/user", "/api/status"],
)
@pytest.mark.parametrize("who", ["api", "anon"])
def test_trace_is_405_in_the_envelope(request, url, who, alice_ids):
    client = request.getfixturevalue(who)
    fail(client.generic("TRACE", url), 405)


@pytest.mark.parametrize(("method", "url"), [("PUT", "/api/portfolios"), ("POST", "/api/user")])
def test_a_method_a_route_does_not_have_is_405_even_without_a_token(anon, api, method, url):
    fail(anon.generic(method, url), 405)
    fail(api.generic(method, url), 405)


def test_the_csrf_failure_view_answers_the_envelope_under_api_only(rf):
    from core.views import csrf_failure

    api_answer = csrf_failure(rf.post("/api/anything"), reason="CSRF cookie not set.")
    page = csrf_failure(rf.post("/portfolios/new/"), reason="CSRF cookie not set.")

    assert api_answer.status_code == 403 and api_answer["Content-Type"] == "application/json"
    assert page.status_code == 403 and page["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("exception", "status", "sentence"),
    [
        (RequestDataTooBig(), 413, "the body is larger than the 5242880 bytes this server accepts"),
        (TooManyFieldsSent(), 413, "the body has more than the 1000 fields this server accepts"),
        (SuspiciousOperation(), 400, None),
    ],
)
def test_django_s_own_refusals_are_enveloped_under_api_only(rf, exception, status, sentence):
    # What Django answers when it refuses a request itself, outside any DRF view.
    from core.views import handler400

    answer = handler400(rf.post("/api/portfolios"), exception)
    page = handler400(rf.post("/portfolios/new/"), exception)

    assert answer.status_code == status and answer["Content-Type"] == "application/json"
    body = json.loads(answer.content)
    assert body["success"] is False and body.get("invalid", [None]) == [sentence]
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")


def test_django_s_own_400_is_enveloped_under_api(api):
    # A host name not in ALLOWED_HOSTS is refused by Django itself, before any view.
    fail(api.get("/api/portfolios", HTTP_HOST="elsewhere.example"), 400)


# --- ids: past 64 bits, or digits that are not ASCII -------------------------------------------

NOT_IDS = ["99999999999999999999", "²", "9" * 5000]


@pytest.mark.parametrize("value", NOT_IDS)
@pytest.mark.parametrize(
    "route", ["transactions", "transactions/missing-values", "cost-basis/lots"]
)
def test_a_wallet_filter_that_is_no_id_is_422(
    api, alice_ids, value, route, django_capture_on_commit_callbacks
):
    url = f"/api/portfolios/{alice_ids['p']}/{route}"
    with django_capture_on_commit_callbacks(execute=True):  # the first ask builds the cost basis
        api.get(url)

    fail(api.get(url, {"wallet": value}), 422, f"wallet '{value}' is not an id (a whole number)")


@pytest.mark.parametrize("value", NOT_IDS)
def test_an_import_into_a_wallet_id_that_is_no_id_is_422(api, alice_ids, value):
    from io import BytesIO

    from ledger.models import Import

    file = BytesIO(b"Timestamp,Transaction Type\n")
    file.name = "statement.csv"
    url = f"/api/portfolios/{alice_ids['p']}/ingest/csv?wallet={value}"

    fail(api.post(url, {"file": file}, format="multipart"), 422, f"unknown wallet '{value}'")
    assert not Import.objects.exists()


@pytest.mark.parametrize("value", ["²", "9" * 5000, "１９７０"])
def test_a_report_year_that_is_no_year_is_422(api, alice_ids, value):
    url = f"/api/portfolios/{alice_ids['p']}/cost-basis/report.csv"
    fail(api.get(url, {"year": value}), 422, f"year '{value}' is not a year such as 2024")


@pytest.mark.parametrize("value", NOT_IDS)
def test_a_pinned_lot_entry_that_is_no_id_is_refused(value):
    from core.exceptions import ValidationFailed
    from ledger.api.inputs import entry_changes

    with pytest.raises(ValidationFailed) as refused:
        entry_changes({"pinned_lots": [[value, "1"]]})

    assert refused.value.problems == [f"pinned_lots[0]: entry id '{value}' is not a whole number"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/portfolios/99999999999999999999",
        "/api/portfolios/{p}/offsets/99999999999999999999",
        "/api/portfolios/{p}/addresses/99999999999999999999",
        "/api/portfolios/{p}/transactions/99999999999999999999",
        "/api/portfolios/{p}/imports/99999999999999999999",
    ],
)
@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_an_id_past_64_bits_in_the_path_is_404(api, alice_ids, path, method):
    response = api.generic(method, path.format(p=alice_ids["p"]))
    assert response.status_code in (404, 405), response.content
    fail(response, response.status_code)


# --- the OAuth2 endpoints (django-oauth-toolkit's views) ---------------------------------------


@pytest.mark.parametrize("url", ["/oauth/token", "/oauth/revoke_token", "/oauth/introspect"])
@pytest.mark.parametrize(
    "body",
    [
        "grant_type=password&username=alice%00&password=x&client_id=app%00",
        "grant_type=refresh_token&refresh_token=%00",
        "token=tok%00en",
    ],
)
def test_a_nul_in_an_oauth_form_is_invalid_request(anon, url, body):
    response = anon.generic("POST", url, body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "the request must not contain a NUL character",
    }


def test_a_nul_in_oauth_basic_credentials_is_invalid_request(anon):
    import base64

    credentials = base64.b64encode(b"client\x00:secret").decode()
    response = anon.generic(
        "POST",
        "/oauth/token",
        "grant_type=client_credentials",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )

    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_an_oauth_form_without_a_nul_still_reaches_the_token_view(db, anon):
    response = anon.generic(
        "POST",
        "/oauth/token",
        "grant_type=password&username=alice&password=x&client_id=nobody",
        content_type="application/x-www-form-urlencoded",
    )

    assert (response.status_code, response.json()) == (401, {"error": "invalid_client"})
