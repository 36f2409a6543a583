"""Request bodies in bracket notation, as Ruby, PHP and Rails-style clients send nested data.

``currencies[]=btc&currencies[]=usd`` -> ``{"currencies": ["btc", "usd"]}``;
``balances[][currency]=btc&balances[][balance]=1&balances[][currency]=ltc&balances[][balance]=2``
-> ``{"balances": [{"currency": "btc", "balance": "1"}, {"currency": "ltc", "balance": "2"}]}``
(a key repeated inside ``[]`` starts the next object, whatever order the keys come in). A bare
``currencies[]`` with no ``=`` is an empty list. The rules are Rack's, the reference for clients.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any
from urllib.parse import unquote_plus

from django.conf import settings
from django.http import QueryDict
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, FormParser, JSONParser, MultiPartParser

from core.limits import check_body, max_nesting_depth, nested_too_deeply, too_many_fields

_HEAD = re.compile(r"\A[\[\]]*([^\[\]]+)\]*")
_ARRAY_OF_OBJECTS = re.compile(r"\A\[\]\[([^\[\]]+)\]\Z")
_ARRAY_NESTED = re.compile(r"\A\[\](.+)\Z")

# A bare key (``currencies[]`` with no ``=``): makes the list exist without adding to it.
_BARE = object()


def _has_key(obj: dict[str, Any], path: str) -> bool:
    """Does a nested key like ``currency`` or ``a][b`` already exist in ``obj``? A key that
    ends in a list (``tags][]``) never does: it appends to the current object, as in Rack."""
    if "[]" in path:
        return False
    keys = [k for k in re.split(r"[\[\]]+", path) if k]
    current: Any = obj
    for key in keys:
        if not isinstance(current, dict) or key not in current:
            return False
        current = current[key]
    return True


def _normalize(params: dict[str, Any], name: str, value: Any, depth: int = 0) -> dict[str, Any]:
    if depth >= max_nesting_depth():
        raise nested_too_deeply()
    match = _HEAD.match(name)
    if not match:
        return params
    key = match.group(1)
    after = name[match.end() :]
    if after == "":
        if value is not _BARE:
            params[key] = value
        else:
            params.setdefault(key, "")
    elif after == "[]":
        existing = params.setdefault(key, [])
        if not isinstance(existing, list):
            raise ParseError(f"key '{key}' is used both as a list and as a value")
        if value is not _BARE:
            existing.append(value)
    elif (m := _ARRAY_OF_OBJECTS.match(after)) or (m := _ARRAY_NESTED.match(after)):
        child = m.group(1)
        existing = params.setdefault(key, [])
        if not isinstance(existing, list):
            raise ParseError(f"key '{key}' is used both as a list and as a value")
        if existing and isinstance(existing[-1], dict) and not _has_key(existing[-1], child):
            _normalize(existing[-1], child, value, depth + 1)
        else:
            existing.append(_normalize({}, child, value, depth + 1))
    else:
        existing = params.setdefault(key, {})
        if not isinstance(existing, dict):
            raise ParseError(f"key '{key}' is used both as an object and as a value")
        _normalize(existing, after, value, depth + 1)
    return params


def parse_bracket_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Build nested data from (key, value) pairs in the order they were sent."""
    params: dict[str, Any] = {}
    for key, value in pairs:
        _normalize(params, key, value)
    return params


def parse_urlencoded(body: str, *, max_fields: int | None = None) -> dict[str, Any]:
    """``max_fields``: refuse (413) a body of more fields, before any is decoded."""
    parts = [part for part in body.split("&") if part]
    if max_fields is not None and len(parts) > max_fields:
        raise too_many_fields(len(parts))
    pairs: list[tuple[str, Any]] = []
    for part in parts:
        if "=" in part:
            key, value = part.split("=", 1)
            pairs.append((unquote_plus(key), unquote_plus(value)))
        else:
            pairs.append((unquote_plus(part), _BARE))
    return parse_bracket_pairs(pairs)


def _querydict_pairs(data: QueryDict) -> list[tuple[str, Any]]:
    return [(key, value) for key, values in data.lists() for value in values]


class DecimalJSONParser(JSONParser):
    """JSON with numbers parsed as Decimal, so ``{"balance": 0.1}`` is exactly 0.1."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", "utf-8")
        try:
            data = json.loads(stream.read().decode(encoding), parse_float=Decimal)
        except RecursionError:
            # json's C scanner recurses per level: far past any sane depth it gives up cleanly.
            raise nested_too_deeply()
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"the body is not valid JSON: {exc}")
        return check_body(data)


class BracketFormParser(FormParser):
    """application/x-www-form-urlencoded with bracket notation (any method, PATCH included)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", "utf-8")
        try:
            body = stream.read().decode(encoding)
        except UnicodeDecodeError:
            raise ParseError("the form body is not valid text")
        return check_body(parse_urlencoded(body, max_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS))


class _OrderedQueryDict(QueryDict):
    """A QueryDict that also remembers the (key, value) pairs in the order they arrived."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pairs: list[tuple[str, Any]] = []

    def appendlist(self, key, value):
        self.pairs.append((key, value))
        super().appendlist(key, value)


class _OrderedMultiPartParser(DjangoMultiPartParser):
    """Django's multipart parser, keeping the order of the fields: its QueryDict groups values by
    name, which loses which ``balances[][balance]`` belongs to which ``balances[][currency]``."""

    @property
    def _post(self) -> _OrderedQueryDict:
        return self.__dict__["_ordered_post"]

    @_post.setter
    def _post(self, value: QueryDict) -> None:
        ordered = _OrderedQueryDict(mutable=True, encoding=value.encoding)
        for key, values in value.lists():
            for item in values:
                ordered.appendlist(key, item)
        self.__dict__["_ordered_post"] = ordered


class BracketMultiPartParser(MultiPartParser):
    """multipart/form-data with bracket notation; files stay in ``request.FILES``."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        encoding = parser_context.get("encoding", "utf-8")
        try:
            data, files = _OrderedMultiPartParser(
                meta, stream, request.upload_handlers, encoding
            ).parse()
        except MultiPartParserError as exc:
            raise ParseError(f"Multipart form parse error - {exc}")
        pairs = data.pairs if isinstance(data, _OrderedQueryDict) else _querydict_pairs(data)
        return DataAndFiles(check_body(parse_bracket_pairs(pairs)), files)
