"""Statement imports over the API: upload (or dry-run) a Coinbase CSV, list imports with their
warnings, undo one.

    POST   /api/portfolios/ID/ingest/csv[?dry_run=1][&wallet=NAME|ID]   multipart ``file``
    GET    /api/portfolios/ID/imports
    GET    /api/portfolios/ID/imports/ID
    DELETE /api/portfolios/ID/imports/ID
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from core.api import PAGING, paginate
from core.exceptions import PayloadTooLarge
from core.timefmt import format_datetime
from currencies.selectors import currency_titles
from ingest import services
from ingest.inputs import StatementUploadInputSerializer
from ingest.selectors import MissingAcquisition, import_get, import_list, missing_acquisitions
from ledger.models import Import
from portfolios.api_base import PortfolioScopedView
from users.requests import AuthenticatedRequest

# Room for the multipart envelope around the file (boundaries, part headers, other fields).
MULTIPART_ALLOWANCE = 64 * 1024


def import_answer(
    imp: Import, *, dry_run: bool = False, missing: list[MissingAcquisition] | None = None
) -> dict[str, Any]:
    """An import as the API shows it. ``missing``: the missing acquisitions to show for it
    (live ones in lists; those found at import time otherwise)."""
    summary = imp.summary or {}
    if missing is None:
        shown = summary.get("missing_acquisitions", [])
    else:
        shown = [services.missing_answer(m) for m in missing]
    return {
        "id": None if dry_run else imp.pk,
        "dry_run": dry_run,
        "wallet": {"id": imp.wallet.pk, "name": imp.wallet.name},
        "source": imp.source,
        "file_name": imp.file_name,
        "file_sha256": imp.file_sha256,
        "variant": imp.variant,
        "user": imp.user.email,
        "created_at": format_datetime(imp.created_at),
        "file_rows": summary.get("file_rows"),  # rows of the file; rows_read: ledger rows
        "rows_read": imp.rows_read,
        "rows_added": imp.rows_added,
        "rows_duplicate": imp.rows_duplicate,
        "rows_skipped": imp.rows_skipped,
        "first_at": format_datetime(_parse(summary.get("first_at"))),
        "last_at": format_datetime(_parse(summary.get("last_at"))),
        "rows_by_type": summary.get("rows_by_type", []),
        "holdings_change": summary.get("holdings_change", []),
        "cash_change": summary.get("cash_change", []),
        "values": summary.get("values", {}),
        "prices_observed": summary.get("prices_observed", 0),
        "new_currencies": summary.get("new_currencies", []),
        "warnings": summary.get("warnings", []) + [m["message"] for m in shown],
        "missing_acquisitions": shown,
    }


# The rows of an import's answer that name a currency. The stored summary keeps codes (the
# dashboard shows them); the API answers each as {code, title} (API.md "Formats").
_CURRENCY_ROWS = ("rows_by_type", "holdings_change", "cash_change", "missing_acquisitions")


def with_currency_refs(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``answers`` with the currency of every row as ``{code, title}``, titles in one query
    (new dicts: the import's stored summary is left alone). A code the table does not know (a
    new asset in a dry run, not stored) is titled as an import would store it: upper case."""
    codes = {row["currency"] for a in answers for key in _CURRENCY_ROWS for row in a.get(key, [])}
    titles = currency_titles(codes)

    def ref(row: dict[str, Any]) -> dict[str, Any]:
        code = row["currency"]
        return {**row, "currency": {"code": code, "title": titles.get(code, code.upper())}}

    return [
        {**a, **{key: [ref(row) for row in a[key]] for key in _CURRENCY_ROWS if key in a}}
        for a in answers
    ]


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _refuse_declared_oversize(request) -> None:
    """Refuse by the Content-Length header alone, before any of the body is read."""
    limit = settings.MAX_UPLOAD_SIZE
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit + MULTIPART_ALLOWANCE:
        raise PayloadTooLarge(limit, declared)


class StatementUploadView(PortfolioScopedView):
    def initial(self, request, *args, **kwargs):
        # Before authentication: authenticating reads the form body, which spools the upload.
        if request.method == "POST":
            _refuse_declared_oversize(request)
        super().initial(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": StatementUploadInputSerializer},
        parameters=[
            OpenApiParameter(
                "dry_run", OpenApiTypes.BOOL, description="only say what would happen"
            ),
            OpenApiParameter("wallet", OpenApiTypes.STR, description="wallet name or id"),
        ],
        responses={201: OpenApiTypes.OBJECT, 200: OpenApiTypes.OBJECT},
        summary="Import a Coinbase 'Transaction history' CSV (multipart field `file`); with "
        "`dry_run=1`, only report what it would do",
    )
    def post(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        data = StatementUploadInputSerializer.from_request(request)
        upload, dry_run = data["file"], data["dry_run"]
        upload.seek(0)
        outcome = services.statement_import(
            portfolio=self.portfolio,
            user=request.user,
            stream=upload,
            file_name=upload.name or "statement.csv",
            wallet=data["wallet"],
            dry_run=dry_run,
        )
        [answer] = with_currency_refs(
            [import_answer(outcome.imp, dry_run=dry_run, missing=outcome.missing)]
        )
        return Response(answer, status=200 if dry_run else 201)


class ImportListView(PortfolioScopedView):
    envelope_extra = {"missing_acquisitions": serializers.ListField(child=serializers.DictField())}

    @extend_schema(
        operation_id="portfolios_imports_list",
        parameters=PAGING,
        responses={200: {"type": "array", "items": {"type": "object"}}},
        summary="The portfolio's statement imports, newest first, with their warnings; the "
        "envelope's `missing_acquisitions` lists every wallet and asset whose history still "
        "lacks an acquisition",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        portfolio = self.portfolio
        missing = list(missing_acquisitions(portfolio))
        by_import: dict[int | None, list[MissingAcquisition]] = defaultdict(list)
        for m in missing:
            by_import[m.import_id].append(m)
        page = paginate(
            request,
            import_list(portfolio=portfolio),
            lambda rows: with_currency_refs(
                [import_answer(imp, missing=by_import.get(imp.pk, [])) for imp in rows]
            ),
        )
        [everything] = with_currency_refs(
            [{"missing_acquisitions": [services.missing_answer(m) for m in missing]}]
        )
        page.extra["missing_acquisitions"] = everything["missing_acquisitions"]
        return Response(page)


class ImportDetailView(PortfolioScopedView):
    @extend_schema(responses=OpenApiTypes.OBJECT, summary="One statement import")
    def get(self, request: AuthenticatedRequest, portfolio_id: int, import_id: int) -> Response:
        portfolio = self.portfolio
        imp = import_get(portfolio=portfolio, import_id=import_id)
        missing = [
            m for m in missing_acquisitions(portfolio, wallet=imp.wallet) if m.import_id == imp.pk
        ]
        [answer] = with_currency_refs([import_answer(imp, missing=missing)])
        return Response(answer)

    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        summary="Undo an import: remove exactly its rows (also rows you modified: the answer "
        "says how many) and recompute the wallet's holdings",
    )
    def delete(self, request: AuthenticatedRequest, portfolio_id: int, import_id: int) -> Response:
        portfolio = self.portfolio
        imp = import_get(portfolio=portfolio, import_id=import_id)
        [before] = with_currency_refs([import_answer(imp)])
        outcome = services.import_undo(imp=imp)
        before.update(
            rows_removed=outcome.rows_removed,
            user_modified_removed=outcome.user_modified_removed,
            warnings=services.undo_warnings(outcome) + before["warnings"],
        )
        return Response(before)
