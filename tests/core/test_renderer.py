"""The envelope renderer writes with orjson the same JSON as DRF's own renderer (its
reference), for every kind of value an answer holds, and falls back to DRF's renderer for what
orjson refuses."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer
from rest_framework.serializers import Serializer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from core.envelope import Envelope, EnvelopeRenderer
from core.money import format_amount

_S = Serializer  # what a serializer's .data carries along

VALUES = {
    "amount": format_amount(Decimal("1234567890.123456789012345678")),
    "tiny": format_amount(Decimal("0.000000000000000001")),
    "at": datetime(2025, 3, 1, 12, 30, 5, 123456, tzinfo=UTC),
    "day": date(2025, 3, 1),
    "clock": time(12, 30),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "lazy": gettext_lazy("Not found"),
    "error": ErrorDetail("must be positive", code="invalid"),
    "decimal": Decimal("0.5"),
    "text": 'naïve € \u2028 line \u2029 para "quoted" </script>',
    "numbers": [0, -1, 2**63 - 1, 1.5, True, False, None],
    "nested": ReturnDict({"a": ReturnList([{"b": "c"}], serializer=_S())}, serializer=_S()),
}


def rendered(data, **context) -> bytes:
    return EnvelopeRenderer().render(data, "application/json", context)


def reference(data) -> bytes:
    return JSONRenderer().render(data, "application/json", {})


def test_the_body_is_byte_for_byte_drfs(monkeypatch):
    monkeypatch.setattr("core.envelope.unix_now", lambda: 1_700_000_000)

    body = rendered(VALUES)

    expected = {"success": True, "time": 1_700_000_000, "result": VALUES}
    assert body == reference(expected)
    assert json.loads(body)["result"]["amount"] == "1234567890.123456789012345678"
    assert b"\\u2028" in body and b"\xe2\x80\xa8" not in body


def test_an_envelope_with_extra_keys(monkeypatch):
    monkeypatch.setattr("core.envelope.unix_now", lambda: 1)
    body = rendered(Envelope([VALUES["at"]], {"count": 1, "next": None}))
    assert body == reference(
        {"success": True, "time": 1, "result": [VALUES["at"]], "count": 1, "next": None}
    )


@pytest.mark.parametrize(
    "data",
    [{"big": 2**70}, {1: "int key"}],
    ids=["int beyond 64 bits", "non-string key"],
)
def test_what_orjson_refuses_is_rendered_by_drf(data, monkeypatch):
    monkeypatch.setattr("core.envelope.unix_now", lambda: 1)
    assert rendered(data) == reference({"success": True, "time": 1, "result": data})


def test_indented_output_is_drfs(monkeypatch):
    monkeypatch.setattr("core.envelope.unix_now", lambda: 1)
    body = EnvelopeRenderer().render({"a": 1}, "application/json; indent=2", {})
    assert body == JSONRenderer().render(
        {"success": True, "time": 1, "result": {"a": 1}}, "application/json; indent=2", {}
    )
