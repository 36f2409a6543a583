"""Request-body fields that name currencies by code, for the API's input serializers."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.exceptions import ValidationFailed
from core.inputs import InputField, ListInput, unwrap_single
from currencies.validation import currency_code_text

# A code is any non-blank text: whether the currency exists is the service's question (an unknown
# one is a 422 ``unknown currency 'xyz'``), so the schema cannot list the codes.
CODE_SCHEMA = {"type": "string", "pattern": r"\S"}


@extend_schema_field(CODE_SCHEMA)
class CurrencyCodeInput(InputField):
    """One currency code ("btc"; an echoed ``{"code": "btc", ...}`` too), lower-cased. Whether
    the code is known is the service's question: it looks the currency up."""

    def to_internal_value(self, data: Any) -> str:
        try:
            return currency_code_text(unwrap_single(data), field=self.name)
        except ValidationFailed as exc:
            raise serializers.ValidationError(exc.problems)


@extend_schema_field({"type": "array", "items": CODE_SCHEMA, "minItems": 1})
class CurrencyCodesInput(ListInput):
    """A list of currency codes, every malformed one reported."""

    def to_internal_value(self, data: Any) -> list[str]:
        codes: list[str] = []
        problems: list[str] = []
        for item in super().to_internal_value(data):
            try:
                codes.append(currency_code_text(item, field=self.name))
            except ValidationFailed as exc:
                problems.extend(exc.problems)
        if problems:
            raise serializers.ValidationError(problems)
        return codes
