"""The failures of the v1 surface: plain ``{"detail": ...}`` bodies, no envelope.

Validation is 422 ``{"detail": [{"loc", "msg", "type", "input", "ctx"}]}``; every other failure
is ``{"detail": "message"}`` with the status ``/api/`` would answer (401 keeps its
``WWW-Authenticate`` challenge, 503 its ``Retry-After``)."""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response

from core.envelope import exception_handler as envelope_handler
from core.exceptions import ValidationFailed


class Invalid(Exception):
    """One or more problems, each ``(loc, msg, type, input)``."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__(problems)
        self.problems = problems


def problem(loc: list[str | int], msg: str, kind: str = "value_error", value: Any = None) -> dict:
    return {"loc": loc, "msg": msg, "type": kind, "input": value, "ctx": {}}


class Missing(Exception):
    """A 404 whose ``detail`` says what is missing (the generic one says ``Not found``)."""


def v1_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    if isinstance(exc, Invalid):
        return Response({"detail": exc.problems}, status=422)
    if isinstance(exc, Missing):
        return Response({"detail": str(exc)}, status=404)
    request = context.get("request")
    where = "query" if request is not None and request.method in ("GET", "DELETE") else "body"
    if isinstance(exc, ValidationFailed):
        return Response({"detail": [problem([where], p) for p in exc.problems]}, status=422)
    response = envelope_handler(exc, context)
    body = response.data
    if response.status_code == 422:
        return Response(
            {"detail": [problem([where], p) for p in body.get("invalid", [])]},
            status=422,
            headers=dict(response.items()),
        )
    detail: dict[str, Any] = {"detail": body.get("message", "Error")}
    for key in ("try_again_at", "reason"):
        if key in body:
            detail[key] = body[key]
    if response.status_code in (400, 413) and body.get("invalid"):
        detail["detail"] = "; ".join(body["invalid"])
    return Response(detail, status=response.status_code, headers=dict(response.items()))
