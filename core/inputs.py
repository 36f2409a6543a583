"""Request bodies as serializers: one class per body both validates the request and describes it
to drf-spectacular (``extend_schema(request=...)``), so the served schema is the code.

The API answers a bad body with 422 and a list of sentences (API.md "Envelope"); DRF's own
messages ("This field is required.") are not those sentences. So every field here words its own
problems as the sentence a client shows its user, and ``invalid_sentences`` is the one place that
turns a serializer's ``errors`` into the ``invalid`` list. Bodies come as JSON or as bracket
notation (``core.parsers``); a field that takes one value also takes a one-element list."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.request import Request

from core.exceptions import ValidationFailed

NOT_AN_OBJECT = "the request body must be an object"


def unwrap_single(value: Any) -> Any:
    """A field that takes one value also accepts a one-element list (``currency[]=btc``)."""
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def invalid_sentences(errors: Any, name: str = "") -> list[str]:
    """The ``invalid`` list of a 422 from a serializer's ``errors``, in field order. Our fields
    raise finished sentences; the one DRF message left to word is a missing required field."""
    if isinstance(errors, Mapping):
        return [s for key, value in errors.items() for s in invalid_sentences(value, key)]
    if isinstance(errors, list):
        return [s for item in errors for s in invalid_sentences(item, name)]
    if getattr(errors, "code", None) == "required" and errors == _DRF_REQUIRED:
        return [f"{name} is required"]
    return [str(errors)]


# DRF's own wording of a missing field; a field that words it itself (``error_messages``) keeps
# its sentence.
_DRF_REQUIRED = serializers.Field.default_error_messages["required"]


def check_text(raw: Any, name: str, *, max_length: int, allow_blank: bool = False) -> str:
    """One text value with the sentence API clients show their users (also the dashboard's)."""
    value = unwrap_single(raw)
    if not isinstance(value, (str, int, Decimal)) or isinstance(value, bool):
        raise ValidationFailed(f"{name} must be text")
    value = str(value).strip()
    if "\x00" in value:  # no database stores it (PostgreSQL refuses it outright)
        raise ValidationFailed(f"{name} must not contain a NUL character")
    if not value and allow_blank:
        return ""
    if not value:
        raise ValidationFailed(f"{name} must not be empty")
    if len(value) > max_length:
        raise ValidationFailed(f"{name} must be at most {max_length} characters")
    return value


class InputSerializer(serializers.Serializer):
    """Base of every request body. ``from_request`` answers the validated data or raises
    ``ValidationFailed`` with the API's sentences; ``partial=True`` for PATCH, where every field
    is optional and a missing one keeps its value."""

    @classmethod
    def from_request(cls, request: Request, *, partial: bool = False) -> dict[str, Any]:
        return cls.validate_data(request.data, partial=partial)

    @classmethod
    def validate_data(cls, data: Any, *, partial: bool = False) -> dict[str, Any]:
        """``from_request`` for data gathered otherwise (a form, the query string too)."""
        if not isinstance(data, Mapping):
            raise ValidationFailed(NOT_AN_OBJECT)
        serializer = cls(data=data, partial=partial)
        if not serializer.is_valid():
            raise ValidationFailed(invalid_sentences(serializer.errors))
        return dict(serializer.validated_data)


class InputField(serializers.Field):
    """A body field whose own ``to_internal_value`` words every problem, None and "" included
    (DRF would answer those with its own messages before the field sees them); a missing field
    is "NAME is required" when required, absent from the data otherwise. ``allow_null=True``
    lets an explicit null mean the same as leaving the field out."""

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is empty or (data is None and self.allow_null):
            return super().validate_empty_values(data)
        return (False, data)

    def to_representation(self, value: Any) -> Any:
        return value

    @property
    def name(self) -> str:
        """The field's name in the body, the subject of its sentences (set once bound)."""
        return self.field_name or ""


class TextInput(InputField, serializers.CharField):
    """One line of text, stripped; ``allow_blank`` keeps an empty value as "" (an optional title
    cleared by the client). A CharField so that the schema shows its ``maxLength``."""

    def __init__(self, *, max_length: int, allow_blank: bool = False, **kwargs: Any):
        super().__init__(max_length=max_length, allow_blank=allow_blank, **kwargs)

    def run_validation(self, data: Any = empty) -> Any:
        # CharField answers "" and blanks itself, in DRF's words; ours are check_text's.
        return serializers.Field.run_validation(self, data)

    def to_internal_value(self, data: Any) -> str:
        try:
            return check_text(
                data, self.name, max_length=self.max_length or 0, allow_blank=self.allow_blank
            )
        except ValidationFailed as exc:
            raise serializers.ValidationError(exc.problems)


class ListInput(InputField):
    """A list: a JSON list, bracket notation ``name[]=...`` (a bare ``name[]`` is empty), or a
    single value taken as a list of one. Subclasses check the items."""

    def to_internal_value(self, data: Any) -> list[Any]:
        if data is None or data == "":
            return []
        return data if isinstance(data, list) else [data]
