"""The schema generator of every /api/ view: the OpenAPI document at ``/api/schema`` says what the
API answers, envelope and failures included, so a client generated from it (or a fuzzer run
against it, tests/api/test_schemathesis.py) meets no surprise.

- Each success body is wrapped in the envelope ``{"success": true, "time", "result"}``; a paged
  list (a view that documents ``limit`` and ``offset``) adds ``count`` and ``next``, and a view's
  ``envelope_extra`` names other keys it puts beside ``result``.
- Each operation lists the failures it can answer, each in the failure envelope: 400 everywhere
  (a NUL in the address, query string or a header; an unparseable body), 413 on a request body, 401 and 403 on a private view, 404 on a route with an id, 422 on a write or a
  view with query parameters (a DELETE takes neither), 429 everywhere (throttling), and 503
  everywhere: ``Not ready`` (with ``try_again_at``) or ``Unavailable`` on an async view (one
  whose summary says "(async", as every such view's does), ``Unavailable`` elsewhere (a
  dependency is down).

API.md "Envelope" is the contract this follows; core.envelope builds the bodies it describes.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent

# The failure statuses and the sentence each one documents.
_DESCRIPTIONS = {
    "400": "Bad request: the body cannot be parsed or has an unsupported media type, or the "
    "address, query string or a header holds a NUL character",
    "401": "Unauthorized: no credential, or a bad, expired or revoked one "
    "(a bearer token route also sets WWW-Authenticate)",
    "403": "Forbidden: the credential lacks the scope (or an API key was used for a write)",
    "404": "Not found: no such object, or it belongs to another user",
    "413": "Payload too large",
    "422": "Invalid: `invalid` lists the problems, one sentence each",
    "429": "Too many requests: `Retry-After` says when to try again",
    "503": "Not ready (async data not fetched yet) or Unavailable (a dependency is down)",
}
_WRITES = {"POST", "PUT", "PATCH"}
# Schema-generation views (/api/schema, /api/docs) are no part of the API they describe.
_NOT_ENVELOPED = ("/api/schema", "/api/docs", "/api/redoc")
# The second seed's surface answers plain JSON and ``{"detail": ...}`` failures (the v1 app).
V1_PREFIX = "/api/v1/"
_DETAIL = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
_DETAIL_LIST = {
    "type": "object",
    "properties": {
        "detail": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                    "input": {},
                    "ctx": {"type": "object"},
                },
                "required": ["loc", "msg", "type"],
            },
        }
    },
    "required": ["detail"],
}


def _failure(message: list[str] | None = None, **properties: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "success": {"type": "boolean", "enum": [False]},
            "time": {"type": "integer", "description": "the server's Unix time in seconds"},
            "message": {"type": "string", **({"enum": message} if message else {})},
            "invalid": {"type": "array", "items": {"type": "string"}},
            "request_id": {"type": "string"},
            **properties,
        },
        "required": ["success", "time", "message"],
        "not": {"required": ["result"]},
    }
    return schema


_WHEN = {"type": "string", "format": "date-time"}

COMPONENTS: dict[str, dict[str, Any]] = {
    "Failure": _failure(),
    "Invalid": {**_failure(["Invalid"]), "required": ["success", "time", "message", "invalid"]},
    "NotReady": {
        **_failure(["Not ready", "Unavailable"], try_again_at=_WHEN, reason={"type": "string"}),
        "description": "`Not ready`: async data not fetched yet, ask again at `try_again_at`; "
        "`Unavailable`: a dependency is down",
    },
    "Unavailable": _failure(["Unavailable"], try_again_at=_WHEN, reason={"type": "string"}),
}


class EnvelopeAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, with the envelope and the failure answers (module doc)."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None or not path.startswith("/api/") or path.startswith(_NOT_ENVELOPED):
            return operation
        if path.startswith(V1_PREFIX):
            return self._v1(path, operation)
        query = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
        for code, response in operation["responses"].items():
            if code.startswith("2"):
                self._envelope(response, paged={"limit", "offset"} <= query)
        for code, component in self._failures(path, operation, query).items():
            operation["responses"].setdefault(
                code,
                {
                    "description": _DESCRIPTIONS[code],
                    "content": {"application/json": {"schema": self._component(component)}},
                },
            )
        return operation

    def _failures(self, path: str, operation: dict[str, Any], query: set[str]) -> dict[str, str]:
        # 400 everywhere: a NUL in the address, query string or a header (core.limits).
        codes: dict[str, str] = {"400": "Failure"}
        if self.method in _WRITES and "requestBody" in operation:
            codes["413"] = "Failure"
        if not getattr(self.view, "public", False):
            codes.update({"401": "Failure", "403": "Failure"})
        if "{" in path:
            codes["404"] = "Failure"
        if self.method in _WRITES or query:
            codes["422"] = "Invalid"
        codes["429"] = "Failure"
        codes["503"] = "NotReady" if "(async" in operation.get("summary", "") else "Unavailable"
        return dict(sorted(codes.items()))

    def _v1(self, path: str, operation: dict[str, Any]) -> dict[str, Any]:
        """The v1 surface: success bodies as they are, failures as ``{"detail": ...}``."""
        query = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
        codes = {**self._failures(path, operation, query), "404": "Failure"}
        for code in sorted(codes):
            schema = _DETAIL_LIST if code == "422" else _DETAIL
            operation["responses"].setdefault(
                code,
                {
                    "description": _DESCRIPTIONS[code],
                    "content": {"application/json": {"schema": schema}},
                },
            )
        return operation

    def _component(self, name: str) -> dict[str, str]:
        # A copy: drf-spectacular's enum hook rewrites component schemas in place.
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, object=name, schema=deepcopy(COMPONENTS[name])
        )
        self.registry.register_on_missing(component)
        return component.ref

    def _envelope(self, response: dict[str, Any], *, paged: bool) -> None:
        content = response.get("content", {})
        if "application/json" not in content:
            return  # a file answer (text/csv) is not enveloped
        media = content["application/json"]
        properties: dict[str, Any] = {
            "success": {"type": "boolean", "enum": [True]},
            "time": {"type": "integer", "description": "the server's Unix time in seconds"},
            "result": media.get("schema", {}),
        }
        required = ["success", "time", "result"]
        if paged:
            properties["count"] = {"type": "integer", "description": "all rows"}
            properties["next"] = {
                "type": "string",
                "format": "uri",
                "nullable": True,
                "description": "the next page, null on the last",
            }
            required += ["count", "next"]
        for name, field in getattr(self.view, "envelope_extra", {}).items():
            properties[name] = self._map_serializer_field(field, "response")
            required.append(name)
        media["schema"] = {"type": "object", "properties": properties, "required": required}
