"""A currency inside another object is ``{"code", "title"}`` everywhere (API.md "Formats"), and
the OpenAPI schema at /api/schema says so for every per-currency row."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import ok

pytestmark = pytest.mark.django_db

P = "/api/portfolios/{portfolio_id}"
# (path, method, the list or object holding the rows, the path to the currency in a row)
CURRENCY_FIELDS = [
    (f"{P}/balances", "get", ["items"], ["currency"]),
    (f"{P}/converted", "get", ["items"], ["currency"]),
    (f"{P}/converted/history", "get", ["items"], ["currency"]),
    (f"{P}/inventory", "get", ["items"], ["currency"]),
    (f"{P}/inventory", "get", ["items", "values", "items"], ["currency"]),
    (f"{P}/offsets", "post", ["balances", "items"], ["currency"]),
    (f"{P}/offsets/{{offset_id}}", "get", ["balances", "items"], ["currency"]),
    (f"{P}/offsets/{{offset_id}}", "patch", ["balances", "items"], ["currency"]),
    (f"{P}/offsets/{{offset_id}}", "delete", ["balances", "items"], ["currency"]),
    (f"{P}/addresses/{{address_id}}/balances", "get", ["items"], ["currency"]),
    (f"{P}/addresses/{{address_id}}/transactions", "get", ["items"], ["currency"]),
    (f"{P}/transactions", "get", ["items"], ["value_currency"]),
    (f"{P}/transfers/{{transfer_id}}", "get", ["out_entry"], ["value_currency"]),
]


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict[str, Any]:
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema?format=json")
    assert response.status_code == 200
    return response.json()


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node or "allOf" in node:
        ref = node["$ref"] if "$ref" in node else node["allOf"][0]["$ref"]
        node = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return node


def walk(schema: dict, node: dict, steps: list[str]) -> dict:
    for step in steps:
        node = resolve(schema, node)
        node = node["items"] if step == "items" else node["properties"][step]
    return resolve(schema, node)


@pytest.mark.parametrize(("path", "method", "rows", "field"), CURRENCY_FIELDS)
def test_the_schema_describes_each_currency_as_code_and_title(schema, path, method, rows, field):
    responses = schema["paths"][path][method]["responses"]
    answer = responses.get("200") or responses["201"]
    # The schema wraps every answer in the envelope (core.schema): the rows are its ``result``.
    body = answer["content"]["application/json"]["schema"]["properties"]["result"]

    currency = walk(schema, body, rows + field)

    assert currency["type"] == "object"
    assert set(currency["properties"]) == {"code", "title"}
    assert all(currency["properties"][k]["type"] == "string" for k in ("code", "title"))


def test_requests_still_name_a_currency_by_its_code(api, portfolio):
    # bracket notation, as Ruby and PHP clients send it: a bare code
    url = f"/api/portfolios/{portfolio['id']}/offsets"
    body = "title=Paper&balances[][currency]=btc&balances[][balance]=1"
    result = ok(api.post(url, data=body, content_type="application/x-www-form-urlencoded"), 201)
    assert result["balances"][0]["currency"] == {"code": "btc", "title": "Bitcoin"}
    # and a client writing back what it read (the object) is understood too
    echo = {
        "title": "Echo",
        "balances": [{"currency": result["balances"][0]["currency"], "balance": "2"}],
    }
    again = ok(api.post(url, echo, format="json"), 201)
    assert [(b["currency"]["code"], b["balance"]) for b in again["balances"]] == [("btc", "2.0")]
