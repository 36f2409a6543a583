"""Request-body fields of the portfolio settings (``description``, ``target_allocations``,
``risk_tolerance``, ``tags``, ``is_default``, ``is_active``, ``status``,
``last_rebalanced_at``), as JSON or bracket notation (docs/api.md "Portfolios")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.exceptions import ValidationFailed
from core.inputs import InputField, ListInput, check_text, unwrap_single
from portfolios.targets import target_fractions

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


@extend_schema_field(OpenApiTypes.BOOL)
class BooleanInput(InputField):
    """JSON ``true``/``false``, or in a form ``true``/``false``, ``1``/``0``, ``yes``/``no``,
    ``on``/``off``."""

    def to_internal_value(self, data: Any) -> bool:
        value = unwrap_single(data)
        if isinstance(value, bool):
            return value
        if isinstance(value, (str, int)) and str(value).strip().lower() in _TRUE | _FALSE:
            return str(value).strip().lower() in _TRUE
        raise serializers.ValidationError(f"{self.name} must be true or false")


@extend_schema_field(OpenApiTypes.STR)
class ChoiceInput(InputField):
    """One word of a fixed set; whether it is in the set is the service's question (it words
    the sentence with the allowed values)."""

    def to_internal_value(self, data: Any) -> str:
        try:
            return check_text(data, self.name, max_length=50).lower()
        except ValidationFailed as exc:
            raise serializers.ValidationError(exc.problems)


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class TagsInput(ListInput):
    """A list of short texts: ``["long term", "core"]``, or ``tags[]=long term&tags[]=core``
    (a bare ``tags[]`` or ``tags`` clears them)."""

    def to_internal_value(self, data: Any) -> list[str]:
        items = super().to_internal_value(data)
        if any(not isinstance(item, (str, int)) or isinstance(item, bool) for item in items):
            raise serializers.ValidationError(f"{self.name} must be a list of texts")
        return [str(item) for item in items]


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "string"},
        "example": {"btc": "0.6", "eth": "0.4"},
    }
)
class TargetAllocationsInput(InputField):
    """Asset code → fraction, summing to exactly 1: ``{"btc": "0.6", "eth": "0.4"}`` (numbers
    too), or in a form ``target_allocations[btc]=0.6&target_allocations[eth]=0.4``. ``{}`` (a
    bare ``target_allocations`` in a form) clears the targets."""

    def to_internal_value(self, data: Any) -> Any:
        try:
            return target_fractions(data)
        except ValidationFailed as exc:
            raise serializers.ValidationError(exc.problems)


@extend_schema_field(OpenApiTypes.DATETIME)
class DateTimeInput(InputField):
    """ISO 8601 with an offset (``2026-01-31T12:00:00+00:00`` or ``...Z``); a naive time is
    refused rather than guessed. ``null`` or ``""`` clears it."""

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is None or data == "":
            return (True, None)
        return super().validate_empty_values(data)

    def to_internal_value(self, data: Any) -> datetime:
        value = unwrap_single(data)
        problem = f"{self.name} must be a date and time such as '2026-01-31T12:00:00Z'"
        if not isinstance(value, str):
            raise serializers.ValidationError(problem)
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise serializers.ValidationError(problem)
        if parsed.tzinfo is None:
            raise serializers.ValidationError(f"{self.name} must say its offset, e.g. 'Z'")
        return parsed.astimezone(UTC)
