"""The id of the request a thread is serving, for log lines and failure envelopes. Set by
``core.middleware.RequestIdMiddleware`` for a request, and around a task that a request enqueued
(``core.tasks``), so the task's log lines carry the id of the request that asked for it."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

# A proxy's X-Request-ID is kept when it is a plain token: ASCII letters, digits, ``.``, ``_``
# and ``-``, at most 64 characters (a UUID, a hex id, ``req-2025.01``). Anything else gets a
# fresh id, so a header can never smuggle spaces, quotes or line breaks into a log line.
_VALID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_local = threading.local()


def accept_or_new(incoming: str | None) -> str:
    """The incoming id when it is a plain token, else a fresh random one."""
    if incoming and _VALID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """The id bound to this thread, or None outside any request or task."""
    return getattr(_local, "request_id", None)


def set_request_id(request_id: str | None) -> None:
    """Bind ``request_id`` to this thread until it is set again (Celery's task signals, which
    come in pairs, cannot use a ``with`` block)."""
    _local.request_id = request_id


@contextmanager
def bound_request_id(request_id: str | None) -> Iterator[None]:
    """Log lines and failure envelopes written inside carry ``request_id``."""
    previous = current_request_id()
    _local.request_id = request_id
    try:
        yield
    finally:
        _local.request_id = previous
