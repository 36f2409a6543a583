"""Statements uploaded for a preview, kept until the person confirms or cancels the import.

A pending upload is a file ``<UPLOAD_DIR>/<user id>/<token>.csv`` and an entry in that user's
session (``token -> portfolio, wallet, file name, the dry run's answer``). Both are needed to
use it: a token from another session or another user finds nothing, and the token is never
part of a path without being checked to be a token. The files are outside every served
directory, deleted on confirm or cancel, and any older than ``MAX_AGE`` (an abandoned preview)
are swept on the next upload of the same user.

Size: a ``SizeLimitedUploadHandler`` stops reading an upload past ``settings.MAX_UPLOAD_SIZE``
(the rest of the request is discarded, never stored).
"""

from __future__ import annotations

import contextlib
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

from users.requests import AuthenticatedHttpRequest

SESSION_KEY = "dashboard:pending-imports"
MAX_AGE = 24 * 3600
MAX_PENDING = 5  # per session: older ones are dropped
TOKEN = re.compile(r"^[A-Za-z0-9_-]{22}$")


def upload_root() -> Path:
    return Path(getattr(settings, "DASHBOARD_UPLOAD_DIR", settings.BASE_DIR / "var" / "uploads"))


class SizeLimitedUploadHandler(FileUploadHandler):
    """Counts the bytes of the uploaded files and stops the upload past ``limit``. The view
    reads ``too_large`` (the file is then missing from request.FILES)."""

    def __init__(self, request: HttpRequest | None = None, *, limit: int):
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.too_large = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.too_large = True
            raise StopUpload(connection_reset=False)
        return raw_data  # passed on to the next handler, which stores it

    def file_complete(self, file_size: int) -> None:
        return None


@dataclass(frozen=True)
class Pending:
    token: str
    portfolio_id: int
    wallet: str
    file_name: str
    answer: dict[str, Any]
    path: Path


def _user_dir(user_id: int) -> Path:
    return upload_root() / str(int(user_id))


def _path(user_id: int, token: str) -> Path:
    if not TOKEN.match(token or ""):
        raise ValueError("not an upload token")
    return _user_dir(user_id) / f"{token}.csv"


def pending_save(upload: IO[bytes], *, user_id: int) -> tuple[str, Path]:
    """Copy an uploaded file into the user's pending directory; returns (token, path)."""
    _sweep(user_id)
    folder = _user_dir(user_id)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = secrets.token_urlsafe(16)
    path = _path(user_id, token)
    upload.seek(0)
    with path.open("xb") as out:
        shutil.copyfileobj(upload, out, length=1024 * 1024)
    path.chmod(0o600)
    return token, path


def pending_remember(
    request: AuthenticatedHttpRequest,
    *,
    token: str,
    portfolio_id: int,
    wallet: str,
    file_name: str,
    answer,
) -> None:
    entries = dict(request.session.get(SESSION_KEY, {}))
    entries[token] = {
        "portfolio": portfolio_id,
        "wallet": wallet,
        "file_name": file_name,
        "answer": answer,
        "at": time.time(),
    }
    while len(entries) > MAX_PENDING:
        oldest = min(entries, key=lambda t: entries[t].get("at", 0))
        pending_discard(request, oldest, entries=entries)
    request.session[SESSION_KEY] = entries


def pending_get(
    request: AuthenticatedHttpRequest, *, token: str, portfolio_id: int
) -> Pending | None:
    """The session's pending upload ``token`` for that portfolio, if its file is still there."""
    entry = request.session.get(SESSION_KEY, {}).get(token)
    if not entry or entry.get("portfolio") != portfolio_id:
        return None
    try:
        path = _path(request.user.pk, token)
    except ValueError:
        return None
    if not path.is_file():
        pending_discard(request, token)
        return None
    return Pending(token, portfolio_id, entry["wallet"], entry["file_name"], entry["answer"], path)


def pending_discard(
    request: AuthenticatedHttpRequest, token: str, *, entries: dict | None = None
) -> None:
    """Forget ``token`` and delete its file (if it is this user's)."""
    own = entries if entries is not None else dict(request.session.get(SESSION_KEY, {}))
    own.pop(token, None)
    if entries is None:
        request.session[SESSION_KEY] = own
    with contextlib.suppress(ValueError):  # not a token: there is no such file
        _path(request.user.pk, token).unlink(missing_ok=True)


def discard_file(path: Path) -> None:
    path.unlink(missing_ok=True)


def _sweep(user_id: int) -> None:
    """Delete the user's pending files older than MAX_AGE (abandoned previews)."""
    folder = _user_dir(user_id)
    if not folder.is_dir():
        return
    cutoff = time.time() - MAX_AGE
    for path in folder.glob("*.csv"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            pass
