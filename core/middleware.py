"""Small request-level middleware: collapsed slashes and a request id for logs."""

from __future__ import annotations

import logging
import re
import threading
import uuid

_SLASHES = re.compile(r"/{2,}")
_local = threading.local()


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
    """Give every request an id (or keep the proxy's X-Request-ID) for logs and 500 bodies."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = (
            incoming[:64] if re.fullmatch(r"[\w.-]{1,64}", incoming) else uuid.uuid4().hex
        )
        _local.request_id = request.request_id
        try:
            response = self.get_response(request)
        finally:
            _local.request_id = None
        response["X-Request-ID"] = request.request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = getattr(_local, "request_id", None) or "-"
        return True
