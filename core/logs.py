"""Log records that always carry the request id, and a JSON line format for log collectors.

``install_request_id_factory`` (called from ``CoreConfig.ready``) stamps ``request_id`` on every
record when it is created, so every handler sees it: the console, a test's ``caplog``, Celery's
own loggers. ``RequestIdLogFilter`` (in the LOGGING settings) does the same for a handler set up
before the apps were ready."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from core.requestid import current_request_id

_installed = False


def install_request_id_factory() -> None:
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = current_request_id() or "-"
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time`` (ISO 8601, UTC), ``level``, ``logger``,
    ``request_id``, ``message`` and, when there is one, ``exception`` (the traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", None) or current_request_id() or "-",
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


class RequestIdLogFilter(logging.Filter):
    """Stamps ``request_id`` on a record that was made before ``core.logs`` was installed."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id() or "-"
        return True
