"""Small request-level middleware: the health probes, collapsed slashes and a request id for
logs and failure envelopes."""

from __future__ import annotations

import re

from django.http import JsonResponse

from core import health
from core.requestid import accept_or_new, set_request_id

_SLASHES = re.compile(r"/{2,}")


class HealthProbeMiddleware:
    """``GET /healthz`` (liveness) and ``GET /readyz`` (readiness) for a process manager or load
    balancer, answered before anything else runs: no host check (a probe may name the pod's IP),
    no https redirect (probes speak plain http inside the network), no session, no audit row.
    Plain JSON, not the API envelope: they are not part of the API (docs/operations.md)."""

    PATHS = {"/healthz": health.liveness, "/readyz": health.readiness}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = self.PATHS.get(request.path_info.rstrip("/") or "/")
        if probe is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = JsonResponse({"error": "method not allowed"}, status=405)
            response["Allow"] = "GET, HEAD"
            return response
        status, body = probe()
        response = JsonResponse(body, status=status)
        response["Cache-Control"] = "no-store"
        return response


class CollapseSlashesMiddleware:
    """Serve ``//api/user`` as ``/api/user`` (some HTTP client wrappers build such paths)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "//" in request.path_info:
            request.path_info = _SLASHES.sub("/", request.path_info)
            request.path = _SLASHES.sub("/", request.path)
        return self.get_response(request)


class RequestIdMiddleware:
    """Give every request an id (or keep the proxy's X-Request-ID) for the log lines, failure
    envelopes and the ``X-Request-ID`` answer header. The id stays bound until the response is
    closed (``request_finished``), so Django's own line about a 4xx or 5xx answer, written after
    the middleware returns, carries it too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = accept_or_new(request.META.get("HTTP_X_REQUEST_ID"))
        set_request_id(request.request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


def request_finished(**_kwargs) -> None:
    """``request_finished``: the thread serves no request any more (connected in core.apps)."""
    set_request_id(None)
