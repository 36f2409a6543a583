"""The served schema builds without a single drf-spectacular warning (each warning is a place
where the schema guesses instead of saying what the code does), and it names how to
authenticate: a bearer token or a personal API key, or nothing on a public endpoint."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.api.test_request_schemas import schema  # noqa: F401  (the module's fixture)

pytestmark = pytest.mark.django_db


def test_the_schema_builds_without_warnings(tmp_path):
    # --fail-on-warn turns any warning into an error (SystemExit / SchemaGenerationError).
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    assert (tmp_path / "s.yml").read_text().startswith("openapi:")


def test_security_schemes_are_declared(schema):  # noqa: F811
    assert schema["components"]["securitySchemes"] == {
        "bearerToken": {"type": "http", "scheme": "bearer"},
        "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-KEY"},
    }


def test_a_private_endpoint_needs_a_credential(schema):  # noqa: F811
    assert schema["paths"]["/api/portfolios"]["get"]["security"] == [
        {"bearerToken": []},
        {"apiKey": []},
    ]


def test_a_public_endpoint_needs_none(schema):  # noqa: F811
    assert {} in schema["paths"]["/api/currencies"]["get"]["security"]


def test_every_delete_is_documented_as_the_200_it_answers(schema, api, alice):  # noqa: F811
    # The API answers a DELETE with the object as it was (200), never an empty 204
    deletes = {
        path: sorted(code for code in ops["delete"]["responses"] if code.startswith("2"))
        for path, ops in schema["paths"].items()
        if "delete" in ops and not path.startswith("/api/v1/")  # the seed's 204: tests/v1
    }
    assert deletes and all(codes == ["200"] for codes in deletes.values()), deletes
    created = api.post("/api/portfolios", {"title": "Gone", "currencies": ["usd"]}, format="json")
    deleted = api.delete(f"/api/portfolios/{created.json()['result']['id']}")
    assert deleted.status_code == 200 and deleted.json()["result"]["title"] == "Gone"
