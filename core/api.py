"""Building blocks shared by every API module: serializer fields in the API's formats, the base
view, input helpers and paging as API.md describes it."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, ClassVar, Literal, overload

from django.core.exceptions import ImproperlyConfigured
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.request import Request
from rest_framework.views import APIView

from core.envelope import Envelope
from core.exceptions import ValidationFailed
from core.inputs import check_text, unwrap_single
from core.money import format_amount, parse_amount
from core.timefmt import format_datetime

# Schema types for the two custom fields (drf-spectacular cannot guess them and warned). An
# amount is plain decimal notation that numeric(38, 18) holds exactly: up to 20 digits before
# the point and 18 after it (core.money.check_storable), so a schema-valid amount is accepted.
AMOUNT_SCHEMA = {"type": "string", "pattern": r"^-?[0-9]{1,20}(\.[0-9]{1,18})?$"}


@extend_schema_field(AMOUNT_SCHEMA)
class AmountField(serializers.Field):
    """An amount as a string in plain decimal notation ("2.0", "0.00168574")."""

    def to_representation(self, value: Decimal) -> str | None:
        return format_amount(value)

    def to_internal_value(self, data: Any) -> Decimal:
        try:
            return parse_amount(unwrap_single(data), field=self.field_name or "amount")
        except ValidationFailed as exc:
            raise serializers.ValidationError(exc.problems[0])


@extend_schema_field(OpenApiTypes.DATETIME)
class UtcDateTimeField(serializers.Field):
    """ISO 8601 in UTC with an explicit offset: "2017-11-06T04:54:54+00:00"."""

    def to_representation(self, value) -> str | None:
        return format_datetime(value)


# The serializer context key under which a view passes ``{code: title}`` for rows that carry a
# bare currency code (sums and conversions work on codes); see ``currencies.selectors``.
CURRENCY_TITLES = "currency_titles"


class CurrencyRefSerializer(serializers.Serializer):
    """How a currency looks inside another object (the OpenAPI component ``CurrencyRef``)."""

    code = serializers.CharField()
    title = serializers.CharField()


def currency_ref(currency: Any) -> dict[str, str]:
    """``{"code": "btc", "title": "Bitcoin"}`` from a Currency row (anything with both)."""
    return {"code": currency.code, "title": currency.title}


@extend_schema_field(CurrencyRefSerializer)
class CurrencyRefField(serializers.Field):
    """A currency inside another object: ``{"code": "btc", "title": "Bitcoin"}``, the one shape
    of every per-currency row of the API (API.md "Formats").

    The value is a Currency row, or a bare code whose title the view passed in the serializer
    context under ``CURRENCY_TITLES``; a code without a title there is a programming error and
    fails loudly rather than answering a bare code. Output only: requests name a currency by its
    code (``currencies.validation`` reads them, an echoed ``{"code": ...}`` object too)."""

    def to_representation(self, value: Any) -> dict[str, str]:
        if not isinstance(value, str):
            return currency_ref(value)
        titles = self.context.get(CURRENCY_TITLES)
        if titles is None or value not in titles:
            raise ImproperlyConfigured(
                f"no title for currency {value!r}: the view must pass {CURRENCY_TITLES}"
            )
        return {"code": value, "title": titles[value]}


# A required field never answers None (it raises instead); the overloads let callers rely on that.
@overload
def text_input(
    data: dict[str, Any],
    name: str,
    *,
    required: Literal[True],
    max_length: int,
    allow_blank: bool = False,
) -> str: ...
@overload
def text_input(
    data: dict[str, Any], name: str, *, required: bool, max_length: int, allow_blank: bool = False
) -> str | None: ...
def text_input(
    data: dict[str, Any], name: str, *, required: bool, max_length: int, allow_blank: bool = False
) -> str | None:
    """One text field of a request body, with the sentence API clients show their users.
    ``allow_blank``: an empty value is kept as "" (an optional title cleared by the client)."""
    if name not in data:
        if required:
            raise ValidationFailed(f"{name} is required")
        return None
    return check_text(data[name], name, max_length=max_length, allow_blank=allow_blank)


class ApiView(APIView):
    """Base of every /api/ view. ``public = True`` opens a view to anyone; ``info_allowed``
    lets the ``info`` scope read it (``/api/user``)."""

    public = False
    info_allowed = False
    # Keys a view puts in the envelope beside ``result`` (``Envelope.extra``), for the schema.
    envelope_extra: ClassVar[dict[str, serializers.Field]] = {}

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # A method the route does not answer (TRACE, PUT on a read-only route) is 405 ``Method
        # not allowed`` for everyone, before authentication: there is nothing to protect, and
        # the scope rules (core.permissions) know no such method.
        method = request.method or ""
        if method.lower() not in self.http_method_names or not hasattr(self, method.lower()):
            raise MethodNotAllowed(method)
        super().initial(request, *args, **kwargs)


DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# Far beyond any table here, and within a 64-bit integer with the limit added (the databases'
# OFFSET is one): a larger offset is a 422, never a database error.
MAX_OFFSET = 10**15
# The query parameters of ``paginate``, for a paged view's ``extend_schema(parameters=...)``; the
# schema adds ``count`` and ``next`` to the envelope of a view that has both (core.schema).
PAGING = [
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
        description=f"rows per page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})",
    ),
    OpenApiParameter(
        "offset",
        {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
        description="rows to skip (default 0)",
    ),
]


_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,30}")


def _whole_number(request: Request, name: str, default: int, problems: list[str]) -> int:
    """A query parameter that must be a whole number written in ASCII digits (``int`` alone
    would take "١٢" or "1_000"); a problem is noted and the default answered."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not _WHOLE_NUMBER.fullmatch(raw.strip()):
        problems.append(f"{name} must be a whole number")
        return default
    return int(raw)


def paginate(request: Request, queryset, serialize) -> Envelope:
    """``?limit=`` (default 100, at most 1000) and ``?offset=``; the envelope gets ``count``
    (all rows) and ``next`` (URL or null). An offset past the last row is an empty page; one past
    MAX_OFFSET (or 64 bits, which no database query takes) is a 422."""
    problems: list[str] = []
    limit = _whole_number(request, "limit", DEFAULT_LIMIT, problems)
    if not problems and not 1 <= limit <= MAX_LIMIT:
        problems.append(f"limit must be between 1 and {MAX_LIMIT}")
    before = len(problems)
    offset = _whole_number(request, "offset", 0, problems)
    if len(problems) == before and offset < 0:
        problems.append("offset must not be negative")
    if len(problems) == before and offset > MAX_OFFSET:
        problems.append(f"offset must be at most {MAX_OFFSET}")
    if problems:
        raise ValidationFailed(problems)
    count = queryset.count()
    rows = list(queryset[offset : offset + limit]) if offset < count else []
    next_url = None
    if offset + limit < count:
        params = request.query_params.copy()
        params["limit"] = str(limit)
        params["offset"] = str(offset + limit)
        params.pop("api_key", None)  # never echo a secret into a URL
        next_url = request.build_absolute_uri(request.path) + "?" + params.urlencode()
    return Envelope(serialize(rows), {"count": count, "next": next_url})
