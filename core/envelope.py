"""The API envelope, built in exactly two places: the renderer (success) and the exception
handler (failure). Views return plain data, or ``Envelope`` when they add keys beside ``result``
(``count``/``next`` on paged lists, ``unpriced`` on converted totals)."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from core.exceptions import NotFound, NotReady, PayloadTooLarge, Unavailable, ValidationFailed
from core.limits import TOO_LARGE, too_large_sentence
from core.requestid import current_request_id
from core.timefmt import format_datetime, unix_now

logger = logging.getLogger("api")

# While the task queue is down, how long a client waiting for fetched data should wait.
QUEUE_OUTAGE_RETRY_SECONDS = 30

MESSAGES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Payload too large",
    422: "Invalid",
    429: "Too many requests",
    500: "Server error",
    503: "Unavailable",
}


@dataclass
class Envelope:
    """A success answer with keys beside ``result``."""

    result: Any
    extra: dict[str, Any] = field(default_factory=dict)


def failure_body(status: int, *, message: str | None = None, **extra: Any) -> dict[str, Any]:
    """A failure envelope. Inside a request it names the request's id as ``request_id`` (the
    ``X-Request-ID`` header's value), so any error a user reports leads to its log lines."""
    body: dict[str, Any] = {
        "success": False,
        "time": unix_now(),
        "message": message or MESSAGES.get(status, "Error"),
    }
    request_id = current_request_id()
    if request_id:
        body["request_id"] = request_id
    body.update(extra)
    return body


# orjson writes what DRF's encoder writes for everything an answer holds (str, int, bool,
# None, lists, dicts, their subclasses, UUIDs), compact and UTF-8; the types it would write
# its own way (datetime, date, time, dataclasses) go to DRF's ``default`` as they did.
# Amounts are strings by then (core.money), so nothing is rounded through a float here.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_drf_default = JSONEncoder().default
_LINE_SEPARATORS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))


class EnvelopeRenderer(JSONRenderer):
    """Wraps a successful answer as ``{"success": true, "time": ..., "result": ...}``. Failure
    bodies are already enveloped by the exception handler and pass through untouched.

    Rendered with orjson (several times faster than ``json.dumps`` on the larger answers) to the
    same JSON as DRF's renderer; anything orjson refuses (an int beyond 64 bits, a dict with
    keys that are not strings) and indented output (``Accept: application/json; indent=2``) go
    through DRF's renderer as before. One difference: a float that is not finite is ``null``
    (DRF's renderer raised); no answer holds one, amounts being strings."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code >= 400:
            return self._json(data, accepted_media_type, renderer_context)
        if isinstance(data, Envelope):
            body = {"success": True, "time": unix_now(), "result": data.result, **data.extra}
        else:
            body = {"success": True, "time": unix_now(), "result": data}
        return self._json(body, accepted_media_type, renderer_context)

    def _json(self, data, accepted_media_type, renderer_context) -> bytes:
        if data is None or self.get_indent(accepted_media_type, renderer_context or {}):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            out = orjson.dumps(data, default=_drf_default, option=_ORJSON_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        if b"\xe2\x80" in out:  # as DRF: U+2028/U+2029 escaped, for JavaScript
            for raw, escaped in _LINE_SEPARATORS:
                out = out.replace(raw, escaped)
        return out


def _sentences(detail: Any, prefix: str = "") -> list[str]:
    """Flatten DRF's nested error detail into one sentence per problem."""
    if isinstance(detail, dict):
        out: list[str] = []
        for key, value in detail.items():
            name = (
                ""
                if key == "non_field_errors"
                else (f"{prefix}{key}" if not prefix else f"{prefix}.{key}")
            )
            out.extend(_sentences(value, name))
        return out
    if isinstance(detail, list):
        out = []
        for i, item in enumerate(detail):
            if isinstance(item, (dict, list)) and item:
                out.extend(_sentences(item, f"{prefix}[{i}]" if prefix else f"[{i}]"))
            elif item:
                out.extend(_sentences(item, prefix))
        return out
    text = str(detail)
    if not prefix:
        return [text]
    return [
        f"{prefix} {text[0].lower()}{text[1:]}"
        if text.startswith("This field")
        else f"{prefix}: {text}"
    ]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """Every failure of an /api/ view, as the envelope with the fixed message for its status."""
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    if isinstance(exc, NotReady):
        exc = queue_outage(exc)
    if isinstance(exc, ValidationFailed):
        status, extra = 422, {"invalid": exc.problems}
    elif isinstance(exc, drf.ValidationError):
        status, extra = 422, {"invalid": _sentences(exc.detail) or ["the request is not valid"]}
    elif isinstance(exc, (NotFound, Http404, drf.NotFound)):
        status = 404
    elif isinstance(exc, NotReady):
        status = 503
        extra = {"try_again_at": format_datetime(exc.try_again_at)}
        headers["Retry-After"] = str(max(1, int(exc.try_again_at.timestamp() - unix_now())))
        return Response(
            failure_body(503, message="Not ready", **extra), status=503, headers=headers
        )
    elif isinstance(exc, Unavailable):
        status = 503
        extra = {"reason": str(exc)} if str(exc) else {}
        if exc.try_again_at is not None:
            extra["try_again_at"] = format_datetime(exc.try_again_at)
            headers["Retry-After"] = str(max(1, int(exc.try_again_at.timestamp() - unix_now())))
    elif isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        status = 401
        view = context.get("view")
        request = context.get("request")
        header = (
            view.get_authenticate_header(request)
            if view is not None and request is not None
            else None
        )
        headers["WWW-Authenticate"] = header or 'Bearer realm="api"'
    elif isinstance(exc, (drf.PermissionDenied, DjangoPermissionDenied)):
        status = 403
    elif isinstance(exc, drf.MethodNotAllowed):
        status = 405
    elif isinstance(exc, drf.Throttled):
        status = 429
        wait = exc.wait  # type: ignore[attr-defined]  # set by Throttled.__init__, not in the stubs
        # Whole seconds rounded up: "0" would invite an immediate retry that is refused again.
        headers["Retry-After"] = str(max(1, math.ceil(wait or 0)))
    elif isinstance(exc, PayloadTooLarge):
        status, extra = 413, {"invalid": [str(exc)]}
    elif isinstance(exc, TOO_LARGE):  # Django's refusals of a body: size, fields, files
        status, extra = 413, {"invalid": [too_large_sentence(exc)]}
    elif isinstance(exc, (drf.ParseError, drf.UnsupportedMediaType, drf.NotAcceptable)):
        status = 400
        extra = {"invalid": [str(exc.detail)]}
    elif isinstance(exc, drf.APIException):
        status = exc.status_code
    else:
        request = context.get("request")
        request_id = getattr(getattr(request, "_request", request), "request_id", "-")
        logger.exception(
            "unhandled error in %s (request %s)", context.get("view").__class__.__name__, request_id
        )
        status, extra = 500, {"request_id": request_id}
    return Response(failure_body(status, **extra), status=status, headers=headers)


def queue_outage(exc: NotReady) -> NotReady | Unavailable:
    """Data not there yet waits for background work; while the task queue is down that work
    waits in the outbox (``core.outbox``), so the answer is ``Unavailable`` (a dependency is
    down) with a later ``try_again_at``, not a promise that it is being fetched."""
    from core.outbox import queue_down

    if not queue_down():
        return exc
    later = datetime.now(UTC) + timedelta(seconds=QUEUE_OUTAGE_RETRY_SECONDS)
    return Unavailable(
        "the task queue is down: the work is kept and runs when it is back",
        try_again_at=max(exc.try_again_at, later),
    )


def json_failure(status: int, **extra: Any) -> JsonResponse:
    """A failure outside DRF (Django's 404/500 handlers under /api/)."""
    return JsonResponse(failure_body(status, **extra), status=status)
