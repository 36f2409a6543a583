"""The imports page's lists, and the statement preview: a dry run of the upload, kept for
the confirm step. Composes
``ingest.services.statement_import`` (dry run), ``ingest.api.import_answer`` (what the API
answers for it) and ``dashboard.uploads`` (the kept file)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

from django.db.models import QuerySet

from dashboard.uploads import pending_remember, pending_save
from ingest.api import import_answer
from ingest.selectors import import_list, missing_acquisitions
from ingest.services import statement_import
from users.requests import AuthenticatedHttpRequest

MISSING_PREFIX = "missing acquisition:"


@dataclass
class ImportsPage:
    """The portfolio's imports (newest first), the missing acquisitions of its whole history,
    and those grouped by the import whose row first runs short."""

    imports: QuerySet[Any]
    missing: list[Any]
    missing_by_import: dict[int | None, list[Any]]


def imports_page(*, portfolio: Any) -> ImportsPage:
    missing = list(missing_acquisitions(portfolio))
    by_import: dict[int | None, list[Any]] = {}
    for item in missing:
        by_import.setdefault(item.import_id, []).append(item)
    return ImportsPage(import_list(portfolio=portfolio), missing, by_import)


def statement_preview(
    request: AuthenticatedHttpRequest,
    *,
    portfolio: Any,
    upload: IO[bytes],
    file_name: str,
    wallet: str,
) -> str:
    """Dry-run ``upload`` into ``wallet``; when the file is accepted, keep it and its answer
    for this session and return the token naming them. Raises ValidationFailed (a refused
    file: ``StatementRejected`` names its line) having kept nothing."""
    upload.seek(0)
    outcome = statement_import(
        portfolio=portfolio,
        user=request.user,
        stream=upload,
        file_name=file_name,
        wallet=wallet,
        dry_run=True,
    )
    token, _ = pending_save(upload, user_id=request.user.pk)
    pending_remember(
        request,
        token=token,
        portfolio_id=portfolio.pk,
        wallet=wallet,
        file_name=file_name,
        answer=import_answer(outcome.imp, dry_run=True, missing=outcome.missing),
    )
    return token


def shown(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer with ``notes``: its warnings except the missing acquisitions, which the
    page lists apart."""
    notes = [w for w in answer.get("warnings", []) if not w.startswith(MISSING_PREFIX)]
    return {**answer, "notes": notes}
