"""The schema at /api/schema describes each request body as the view validates it: the input
serializer that checks a body is the one the schema shows, so the two cannot drift. Each case
below is checked against what the API does with such a body (tests/api/test_*.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_currency_objects import resolve

pytestmark = pytest.mark.django_db

P = "/api/portfolios/{portfolio_id}"


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict[str, Any]:
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema?format=json")
    assert response.status_code == 200
    return response.json()


def body(schema: dict, path: str, method: str) -> dict:
    content = schema["paths"][path][method]["requestBody"]["content"]
    # The same body in each of the encodings the API accepts (JSON and bracket notation).
    assert {"application/json", "application/x-www-form-urlencoded", "multipart/form-data"} <= set(
        content
    )
    return resolve(schema, content["application/json"]["schema"])


def test_a_portfolio_needs_a_title_and_currencies(schema):
    created = body(schema, "/api/portfolios", "post")
    assert sorted(created["required"]) == ["currencies", "title"]
    assert created["properties"]["title"]["maxLength"] == 100
    assert created["properties"]["currencies"]["items"]["type"] == "string"


def test_an_offset_may_be_created_without_balances(schema):
    # POST {"title": "Second"} is a 201 (test_offsets.py): balances are optional.
    created = body(schema, f"{P}/offsets", "post")
    assert created["required"] == ["title"]
    rows = resolve(schema, created["properties"]["balances"]["items"])
    assert sorted(rows["required"]) == ["balance", "currency"]


def test_an_address_title_is_optional(schema):
    # An address is added with {"address", "currency"} alone (test_addresses.py).
    created = body(schema, f"{P}/addresses", "post")
    assert sorted(created["required"]) == ["address", "currency"]
    assert created["properties"]["title"]["maxLength"] == 100
    assert created["properties"]["address"]["maxLength"] == 128


@pytest.mark.parametrize(
    "path",
    [
        "/api/portfolios/{portfolio_id}",
        f"{P}/offsets/{{offset_id}}",
        f"{P}/addresses/{{address_id}}",
        f"{P}/cost-basis/settings",
    ],
)
def test_patch_bodies_require_nothing(schema, path):
    assert "required" not in body(schema, path, "patch")


def test_cost_basis_settings_name_their_values(schema):
    # The values the PATCH accepts, and the shape of a method change, as test_api.py in
    # tests/costbasis sends them (anything else there is a 422).
    settings = body(schema, f"{P}/cost-basis/settings", "patch")["properties"]
    methods = resolve(schema, settings["method"])["enum"]
    assert methods == ["fifo", "lifo", "hifo", "average"]
    assert resolve(schema, settings["pooling"])["enum"] == ["universal", "per_wallet"]
    assert settings["unclassified_out_to_elsewhere"]["type"] == "boolean"
    assert settings["tax_time_zone"]["type"] == "string"
    change = resolve(schema, settings["method_changes"]["items"])
    assert sorted(change["required"]) == ["method", "year"]
    assert change["properties"]["year"] == {"type": "integer", "minimum": 2009, "maximum": 2100}
    assert change["properties"]["method"]["enum"] == methods


def test_a_statement_upload_is_a_required_file(schema):
    # Without the multipart field "file" the upload is a 422 (tests/ingest/test_import_refusals).
    content = schema["paths"][f"{P}/ingest/csv"]["post"]["requestBody"]["content"]
    upload = resolve(schema, content["multipart/form-data"]["schema"])
    assert upload["required"] == ["file"]
    assert upload["properties"]["file"] == {"type": "string", "format": "binary"}
    assert upload["properties"]["dry_run"]["type"] == "boolean"
