"""The PATCH body of the cost-basis settings as an input serializer: it checks the body with the
API's sentences, describes it to the schema, and hands ``costbasis_settings_update`` typed values
(``Method``, ``Pooling``, ``(year, Method)`` pairs, a bool, a canonical zone name).

Values are read as leniently as before: any case, surrounding blanks, a one-element list (bracket
notation), "yes"/"1" for true; every problem of the body is reported at once."""

from __future__ import annotations

from typing import Any, TypeVar

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.exceptions import ValidationFailed
from core.inputs import InputField, InputSerializer, unwrap_single
from costbasis.engine import Method, Pooling
from users.timezones import time_zone_canonical

MIN_YEAR, MAX_YEAR = 2009, 2100
NOTHING_TO_CHANGE = (
    "nothing to change: send method, pooling, method_changes, unclassified_out_to_elsewhere or "
    "tax_time_zone"
)
_METHOD_SCHEMA = {"type": "string", "enum": [m.value for m in Method]}
_METHODS = ", ".join(m.value for m in Method)
E = TypeVar("E", Method, Pooling)
_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


class _CheckedInput(InputField):
    """A field whose ``check`` raises ValidationFailed with the API's sentence(s)."""

    def check(self, value: Any) -> Any:
        raise NotImplementedError

    def to_internal_value(self, data: Any) -> Any:
        try:
            return self.check(data)
        except ValidationFailed as exc:
            raise serializers.ValidationError(exc.problems)


@extend_schema_field(_METHOD_SCHEMA)
class MethodInput(_CheckedInput):
    def check(self, value: Any) -> Method:
        return _choice(self.name, value, Method)


@extend_schema_field({"type": "string", "enum": [p.value for p in Pooling]})
class PoolingInput(_CheckedInput):
    def check(self, value: Any) -> Pooling:
        return _choice(self.name, value, Pooling)


def _choice(name: str, raw: Any, enum: type[E]) -> E:
    raw = unwrap_single(raw)
    try:
        return enum(str(raw).strip().lower() if raw is not None else "")
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise ValidationFailed(f"{name} '{raw}' is not one of {allowed}") from None


@extend_schema_field({"type": "boolean"})
class FlagInput(_CheckedInput):
    def check(self, value: Any) -> bool:
        value = unwrap_single(value)
        if isinstance(value, bool):
            return value
        flag = _BOOLEANS.get(str(value).strip().lower())
        if flag is None:
            raise ValidationFailed(f"{self.name} must be true or false")
        return flag


@extend_schema_field(
    {"type": "string", "description": "an IANA time zone name, e.g. America/New_York"}
)
class TimeZoneInput(_CheckedInput):
    def check(self, value: Any) -> str:
        value = unwrap_single(value)
        zone = time_zone_canonical(value)
        if zone is None:
            raise ValidationFailed(
                f"{self.name} '{value}' is not a time zone name such as America/New_York or UTC"
            )
        return zone


@extend_schema_field(
    {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "year": {"type": "integer", "minimum": MIN_YEAR, "maximum": MAX_YEAR},
                "method": _METHOD_SCHEMA,
            },
            "required": ["year", "method"],
        },
        "description": "the method from a year of the user's tax time zone on; replaces the "
        "whole list ([] clears it)",
    }
)
class MethodChangesInput(_CheckedInput):
    """``[{year, method}]`` sorted by year; a year given twice, a year out of range or an unknown
    method is a problem of its own, named by its position."""

    def check(self, value: Any) -> list[tuple[int, Method]]:
        if value is None or value == "":
            return []
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list):
            raise ValidationFailed(
                f'{self.name} must be a list of {{"year": 2024, "method": "hifo"}}'
            )
        changes: dict[int, Method] = {}
        problems: list[str] = []
        for i, item in enumerate(value):
            where = f"{self.name}[{i}]"
            if not isinstance(item, dict):
                problems.append(
                    f'{where} must be an object like {{"year": 2024, "method": "hifo"}}'
                )
                continue
            year = _year(unwrap_single(item.get("year")), where, changes, problems)
            method_raw = unwrap_single(item.get("method"))
            if method_raw is None or method_raw == "":
                problems.append(f"{where}: method is required")
                continue
            try:
                method = Method(str(method_raw).strip().lower())
            except ValueError:
                problems.append(f"{where}: method '{method_raw}' is not one of {_METHODS}")
                continue
            if year is not None:
                changes[year] = method
        if problems:
            raise ValidationFailed(problems)
        return sorted(changes.items())


def _year(raw: Any, where: str, seen: dict[int, Method], problems: list[str]) -> int | None:
    """The year of a method change, or None with its problem noted."""
    if raw is None or raw == "":
        problems.append(f"{where}: year is required")
        return None
    try:
        year = int(str(raw).strip())
    except ValueError:
        problems.append(f"{where}: year '{raw}' is not a whole number")
        return None
    if not MIN_YEAR <= year <= MAX_YEAR:
        problems.append(f"{where}: year must be between {MIN_YEAR} and {MAX_YEAR}")
        return None
    if year in seen:
        problems.append(f"{where}: year {year} is given twice")
        return None
    return year


class CostBasisSettingsInputSerializer(InputSerializer):
    """What a PATCH may change; every field is optional, but one must be given."""

    # Problems are listed in field order: the user's zone first, as they always were.
    tax_time_zone = TimeZoneInput(
        required=False,
        help_text="an IANA name in any case (America/New_York, UTC); the user's, for all their "
        "portfolios: its calendar dates decide the holding period and the tax year",
    )
    method = MethodInput(required=False)
    pooling = PoolingInput(required=False)
    method_changes = MethodChangesInput(required=False)
    unclassified_out_to_elsewhere = FlagInput(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(NOTHING_TO_CHANGE)
        return attrs
