"""The PATCH body of a ledger row as an input serializer: it checks the body, with the API's
sentences, and describes it to the schema. The dashboard's edit form sends its changes through
the same checks (``entry_changes``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.exceptions import ValidationFailed
from core.inputs import InputField, InputSerializer, unwrap_single
from core.limits import row_id
from core.money import parse_amount

NOTES_MAX = 2000


class _CheckedInput(InputField):
    """A field whose ``check`` raises ValidationFailed with the API's sentence."""

    def check(self, value: Any) -> Any:
        raise NotImplementedError

    def to_internal_value(self, data: Any) -> Any:
        try:
            return self.check(data)
        except ValidationFailed as exc:
            raise serializers.ValidationError(exc.problems)


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(f"{name} must be text")
    return value.strip()


def _optional_text(value: Any, name: str) -> str | None:
    return None if value in (None, "") else _text(value, name)


@extend_schema_field(OpenApiTypes.STR)
class KindInput(_CheckedInput):
    def check(self, value: Any) -> str:
        return _text(unwrap_single(value), self.name)


@extend_schema_field({"type": "string", "nullable": True})
class OptionalTextInput(_CheckedInput):
    """Text, or null / "" for none."""

    def check(self, value: Any) -> str | None:
        return _optional_text(unwrap_single(value), self.name)


@extend_schema_field({"type": "string", "nullable": True})
class OptionalCurrencyInput(_CheckedInput):
    """A code, or the ``{code, title}`` object a GET answered (a client writing back what it
    read); null or "" for none."""

    def check(self, value: Any) -> str | None:
        value = unwrap_single(value)
        if isinstance(value, dict) and "code" in value:
            value = value["code"]
        return _optional_text(value, self.name)


@extend_schema_field({"type": "string", "nullable": True})
class OptionalAmountInput(_CheckedInput):
    """A decimal string; null or "" clears it."""

    def check(self, value: Any) -> Decimal | None:
        value = unwrap_single(value)
        return None if value in (None, "") else parse_amount(value, field=self.name)


@extend_schema_field({"type": "string", "maxLength": NOTES_MAX, "nullable": True})
class NotesInput(_CheckedInput):
    """Free text up to NOTES_MAX characters; null clears it."""

    def check(self, value: Any) -> str:
        value = unwrap_single(value)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise ValidationFailed(f"{self.name} must be text")
        if len(value) > NOTES_MAX:
            raise ValidationFailed(f"{self.name} must be at most {NOTES_MAX} characters")
        return value


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2},
        "description": "[[entry id, quantity], ...]",
    }
)
class PinsInput(_CheckedInput):
    """``[[entry id, quantity], ...]``, or objects ``{entry, quantity}`` (bracket notation:
    ``pinned_lots[][entry]=5&pinned_lots[][quantity]=0.5``)."""

    def check(self, value: Any) -> list[tuple[int, Decimal]]:
        name = self.name
        items = [] if value is None or value == "" else value
        pins = []
        problems = []
        for i, item in enumerate(items if isinstance(items, list) else [items]):
            if isinstance(item, dict):
                pk, quantity = item.get("entry", item.get("id")), item.get("quantity")
            elif isinstance(item, (list, tuple)) and len(item) == 2:
                pk, quantity = item
            else:
                problems.append(f"{name}[{i}] must be a pair [entry id, quantity]")
                continue
            entry_id = None if isinstance(pk, bool) else row_id(str(pk))
            if entry_id is None:
                problems.append(f"{name}[{i}]: entry id '{pk}' is not a whole number")
                continue
            try:
                pins.append((entry_id, parse_amount(quantity, field=f"{name}[{i}] quantity")))
            except ValidationFailed as exc:
                problems.extend(exc.problems)
        if problems:
            raise ValidationFailed(problems)
        return pins


class LedgerEntryInputSerializer(InputSerializer):
    """What a PATCH may change on a ledger row; every field is optional."""

    kind = KindInput(required=False)
    income_type = OptionalTextInput(required=False)
    value = OptionalAmountInput(required=False)
    value_currency = OptionalCurrencyInput(required=False)
    notes = NotesInput(required=False)
    pinned_lots = PinsInput(required=False)


def entry_changes(data: dict[str, Any]) -> dict[str, Any]:
    """A body as arguments of ``ledger_entry_update`` (only the fields it has); every problem
    at once. For the dashboard's form, which sends its changes as such a body."""
    return LedgerEntryInputSerializer.validate_data(data, partial=True)
