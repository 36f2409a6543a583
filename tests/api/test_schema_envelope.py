"""/api/schema describes what the API answers: every success body in the envelope, every failure
status a route can answer in the failure envelope (API.md "Envelope"), checked here against the
schema and against the answers themselves. The fuzzing run over every operation is
test_schemathesis.py."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import fail, ok
from tests.api.test_currency_objects import resolve
from tests.api.test_request_schemas import schema  # noqa: F401  (the module's fixture)

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


def operations(schema: dict) -> list[tuple[str, str, dict[str, Any]]]:  # noqa: F811
    return [
        (path, method, op)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        if method in METHODS and not path.startswith("/api/v1/")  # plain JSON: tests/v1
    ]


def test_every_json_success_is_the_envelope(schema):  # noqa: F811
    checked = 0
    for path, method, op in operations(schema):
        for code, response in op["responses"].items():
            json = response.get("content", {}).get("application/json")
            if not code.startswith("2") or json is None:
                continue
            body = json["schema"]
            assert {"success", "time", "result"} <= set(body["required"]), (method, path)
            assert body["properties"]["success"]["enum"] == [True]
            checked += 1
    assert checked >= 40


def test_a_paged_list_documents_count_and_next(schema):  # noqa: F811
    op = schema["paths"]["/api/portfolios/{portfolio_id}/addresses/{address_id}/transactions"]
    body = op["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert {"count", "next"} <= set(body["required"])
    limit = next(p for p in op["get"]["parameters"] if p["name"] == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 1000)


def test_converted_documents_unpriced_beside_result(schema):  # noqa: F811
    op = schema["paths"]["/api/portfolios/{portfolio_id}/converted"]["get"]
    body = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert body["properties"]["unpriced"]["type"] == "array"


def failure_schema(schema, op, code) -> dict:  # noqa: F811
    return resolve(schema, op["responses"][code]["content"]["application/json"]["schema"])


def test_failures_are_documented_per_route(schema):  # noqa: F811
    for path, method, op in operations(schema):
        codes = set(op["responses"])
        public = {} in op.get("security", [])
        assert public or {"401", "403"} <= codes, (method, path)
        assert "{" not in path or "404" in codes, (method, path)
        assert method not in ("post", "patch") or "422" in codes, (method, path)
        assert {"429", "503"} <= codes, (method, path)
        for code in codes - {"200", "201"}:
            body = failure_schema(schema, op, code)
            success = resolve(schema, body["properties"]["success"])
            assert success["enum"] == [False], (method, path, code)
            assert {"success", "time", "message"} <= set(body["required"])


def test_async_routes_document_not_ready(schema):  # noqa: F811
    op = schema["paths"]["/api/portfolios/{portfolio_id}/balances"]["get"]
    body = failure_schema(schema, op, "503")
    assert "Not ready" in resolve(schema, body["properties"]["message"])["enum"]
    assert body["properties"]["try_again_at"]["format"] == "date-time"
    invalid = failure_schema(schema, schema["paths"]["/api/portfolios"]["post"], "422")
    assert "invalid" in invalid["required"]


def test_a_currency_list_may_not_be_empty_and_amounts_are_decimal_text(schema):  # noqa: F811
    created = resolve(
        schema,
        schema["paths"]["/api/portfolios"]["post"]["requestBody"]["content"]["application/json"][
            "schema"
        ],
    )
    assert created["properties"]["currencies"]["minItems"] == 1
    offset = resolve(
        schema,
        schema["paths"]["/api/portfolios/{portfolio_id}/offsets"]["post"]["requestBody"]["content"][
            "application/json"
        ]["schema"],
    )
    row = resolve(schema, offset["properties"]["balances"]["items"])
    assert (
        resolve(schema, row["properties"]["balance"])["pattern"]
        == r"^-?[0-9]{1,20}(\.[0-9]{1,18})?$"
    )


@pytest.mark.parametrize("who", ["anonymous", "owner"])
def test_a_method_a_route_does_not_answer_is_405_with_allow(who, anon, api, alice_ids):
    client = api if who == "owner" else anon
    response = client.generic("TRACE", f"/api/portfolios/{alice_ids['p']}")
    fail(response, 405)
    assert set(response["Allow"].replace(" ", "").split(",")) >= {"GET", "PATCH", "DELETE"}
    # PUT is not a method of this route either; the route itself still answers.
    fail(client.put(f"/api/portfolios/{alice_ids['p']}", {"title": "x"}, format="json"), 405)
    if who == "owner":
        assert ok(api.get(f"/api/portfolios/{alice_ids['p']}"))["title"] == "Main"


def test_an_offset_beyond_any_table_is_422_not_a_database_error(api, alice_ids):
    url = f"/api/portfolios/{alice_ids['p']}/transactions?offset=99999999999999999999"
    assert fail(api.get(url), 422, "offset must be at most 1000000000000000")


def test_a_write_to_an_api_path_that_does_not_exist_is_the_enveloped_404(api):
    fail(api.post("/api/no-such-thing", {"a": 1}, format="json"), 404)
    fail(api.delete("/api/portfolios/x"), 404)


@pytest.mark.parametrize("route", ["cost-basis/report.csv", "cost-basis/disposals"])
def test_the_year_9999_is_refused_not_a_server_error(route, api, alice_ids):
    # Found by the fuzzing run: the year's end (New Year 10000) is no datetime.
    response = api.get(f"/api/portfolios/{alice_ids['p']}/{route}?year=9999")
    assert fail(response, 422)["invalid"] == ["year '9999' is not a year such as 2024"]


def test_a_nul_character_is_refused_not_a_database_error(api, alice_ids):
    # Found by the fuzzing run on PostgreSQL, whose text fields cannot hold NUL.
    body = {"title": "Main", "currencies": ["b\x00tc"]}
    response = api.post("/api/portfolios", body, format="json")
    assert fail(response, 422)["invalid"] == ["currencies[0] must not contain a NUL character"]
    response = api.post(
        "/api/portfolios", {"title": "a\x00b", "currencies": ["btc"]}, format="json"
    )
    assert fail(response, 422)["invalid"] == ["title must not contain a NUL character"]


def test_binary_data_uploaded_as_a_statement_is_refused_at_its_line(api, alice_ids):
    # Found by the fuzzing run: a PNG sent as the CSV was a 500 (the csv module's error).
    from django.core.files.uploadedfile import SimpleUploadedFile

    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00"
    upload = SimpleUploadedFile("file.png", png, content_type="image/png")
    response = api.post(
        f"/api/portfolios/{alice_ids['p']}/ingest/csv", {"file": upload}, format="multipart"
    )
    [sentence] = fail(response, 422)["invalid"]
    assert sentence.startswith("line ") and "cannot be read as CSV text" in sentence, sentence
