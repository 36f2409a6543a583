"""Limits on what a request may hold, so that no input reaches a view, the database or the
renderer in a shape that would end in a 500 (API.md: every input gets a 4xx envelope).

- Body size (``DATA_UPLOAD_MAX_MEMORY_SIZE``, Django's own) and number of fields
  (``DATA_UPLOAD_MAX_NUMBER_FIELDS``): 413 ``Payload too large``, refused before any of the body
  is used, so a refused request never half-applies.
- Nesting of a JSON or bracket-notation body (``API_MAX_NESTING_DEPTH``): 400 ``Bad request``.
- One text value longer than ``MAX_FIELD_LENGTH`` characters, or any text (a value or a field
  name) holding a NUL character or a lone UTF-16 surrogate: 422 ``Invalid``. PostgreSQL cannot
  store a NUL, and UTF-8 cannot encode a surrogate, neither into the database nor back out in an
  answer that echoes it.
- A NUL in the address, the query string or a header: 400, before any view runs (the dashboard's
  pages too; a URL is no place for one), and in the form body or Basic credentials of an OAuth2
  endpoint (django-oauth-toolkit's views look up what they are given).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from rest_framework.exceptions import ParseError

from core.exceptions import ValidationFailed

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

# At most this many sentences in one answer: a body of 3,000 bad values gets the first ones.
MAX_SENTENCES = 20


def max_nesting_depth() -> int:
    return int(settings.API_MAX_NESTING_DEPTH)


def max_field_length() -> int:
    return int(settings.MAX_FIELD_LENGTH)


def text_problem(text: str) -> str | None:
    """What makes ``text`` unstorable, worded to follow a field's name, or None."""
    found = _UNSTORABLE.search(text)
    if found is None:
        if len(text) > max_field_length():
            return f"must be at most {max_field_length()} characters"
        return None
    if found.group() == "\x00":
        return "must not contain a NUL character"
    return "is not valid text (it holds a lone UTF-16 surrogate)"


# A database id is a signed 64-bit integer: a larger number names no row, and would overflow the
# query that looks for it.
MAX_ID = 2**63 - 1
_ASCII_DIGITS = re.compile(r"[0-9]+")


def row_id(text: str) -> int | None:
    """``text`` as a row id: ASCII digits (``str.isdigit`` also takes "²" and "١٢", which
    ``int`` then refuses or reads) of at most ``MAX_ID``; None for anything else."""
    text = text.strip()
    if not _ASCII_DIGITS.fullmatch(text) or len(text) > 19 or int(text) > MAX_ID:
        return None
    return int(text)


def storable(text: str) -> str:
    """``text`` without what no database text can hold (for names we keep but do not judge,
    such as an uploaded file's name)."""
    return _UNSTORABLE.sub("", text)


def nested_too_deeply() -> ParseError:
    return ParseError(f"the body is nested more than {max_nesting_depth()} levels deep")


def too_many_fields(count: int | None = None) -> TooManyFieldsSent:
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    got = f" (this one has {count})" if count is not None else ""
    return TooManyFieldsSent(f"the body has more than the {limit} fields this server accepts{got}")


def too_large_sentence(exc: Exception) -> str:
    """The sentence of a 413 for Django's own refusals of a body (size, fields, files)."""
    if isinstance(exc, TooManyFieldsSent):
        text = str(exc)
        return (
            text
            if text.startswith("the body")
            else f"the body has more than the {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields "
            "this server accepts"
        )
    if isinstance(exc, TooManyFilesSent):
        files = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        return f"the body has more than the {files} files this server accepts"
    return (
        f"the body is larger than the {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes this server "
        "accepts"
    )


TOO_LARGE = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


def _child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def check_body(data: Any) -> Any:
    """``data`` as parsed from a body, once every text in it (names included) is storable and it
    nests at most ``API_MAX_NESTING_DEPTH`` levels; raises ``ParseError`` (400) for nesting and
    ``ValidationFailed`` (422) naming each bad value, e.g. ``"title must not contain a NUL
    character"``. Iterative: a deep body cannot exhaust the stack here."""
    depth_limit = max_nesting_depth()
    problems: list[str] = []
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack and len(problems) < MAX_SENTENCES:
        value, path, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth >= depth_limit:
                raise nested_too_deeply()
            items = value.items() if isinstance(value, dict) else enumerate(value)
            children = []
            for key, item in items:
                if isinstance(key, str) and (key_problem := text_problem(key)):
                    # Never echoed: a name that cannot be encoded cannot be answered either.
                    problems.append(f"a field name {key_problem}")
                    continue
                children.append((item, _child(path, key), depth + 1))
            stack.extend(reversed(children))
        elif isinstance(value, str) and (problem := text_problem(value)):
            problems.append(f"{path or 'the body'} {problem}")
    if problems:
        raise ValidationFailed(problems)
    return data


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
        return True
    return any(
        "\x00" in value
        for key, value in request.META.items()
        if key.startswith("HTTP_") and isinstance(value, str)
    )


def _oauth_has_nul(request: HttpRequest) -> bool:
    """The OAuth2 endpoints are django-oauth-toolkit's views, which look up whatever a form body
    or Basic credentials say (client ids, codes, tokens): a NUL there, raw or percent-encoded,
    is checked here, as our own forms and parsers check theirs."""
    form = request.method == "POST" and request.content_type == "application/x-www-form-urlencoded"
    if form and (b"\x00" in request.body or b"%00" in request.body):
        return True
    auth = request.META.get("HTTP_AUTHORIZATION", "")
    if auth[:6].lower() == "basic ":
        try:
            credentials = base64.b64decode(auth[6:], validate=False)
        except (ValueError, binascii.Error):
            return False
        return b"\x00" in credentials or b"%00" in credentials
    return False


class RefuseNulMiddleware:
    """A NUL in the address, the query string or a header (or in an OAuth2 endpoint's form or
    credentials) is a 400 before any view looks it up (PostgreSQL refuses a NUL in any query,
    which would be a 500). /api/ answers the envelope, /oauth/ the RFC 6749 error body."""

    SENTENCE = "the address, query string or headers must not contain a NUL character"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/oauth/") and (_has_nul(request) or _oauth_has_nul(request)):
            return JsonResponse(
                {
                    "error": "invalid_request",
                    "error_description": "the request must not contain a NUL character",
                },
                status=400,
            )
        if _has_nul(request):
            if request.path.startswith("/api/"):
                from core.envelope import json_failure

                return json_failure(400, invalid=[self.SENTENCE])
            return HttpResponseBadRequest(f"Bad request: {self.SENTENCE}.")
        return self.get_response(request)
