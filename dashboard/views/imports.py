"""Statement imports: upload a Coinbase CSV, see what it would do (a dry run), confirm or
cancel; the list of imports, one import, and undoing one.

The uploaded file is kept for the confirm step (``dashboard.uploads``): a preview that looks
right is imported from exactly the bytes that were previewed, without choosing the file again.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from core.exceptions import PayloadTooLarge, ValidationFailed
from dashboard.access import owner_view
from dashboard.forms import sentence
from dashboard.forms_ledger import StatementUploadForm
from dashboard.imports import imports_page, shown, statement_preview
from dashboard.uploads import SizeLimitedUploadHandler, pending_discard, pending_get
from ingest.api import import_answer
from ingest.selectors import import_get, missing_acquisitions
from ingest.services import DEFAULT_WALLET, import_undo, statement_import, undo_warnings
from ledger.selectors import wallet_import_names
from portfolios.selectors import portfolio_get
from users.requests import AuthenticatedHttpRequest

IMPORTS_PER_PAGE = 25


@owner_view
def import_list(request: AuthenticatedHttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    page = imports_page(portfolio=portfolio)
    context = {
        "portfolio": portfolio,
        "imports": Paginator(page.imports, IMPORTS_PER_PAGE).get_page(request.GET.get("page")),
        "missing_by_import": page.missing_by_import,
        "missing": page.missing,
        "tab": "imports",
    }
    return render(request, "dashboard/import_list.html", context)


@csrf_exempt  # checked by _import_new, once the size limit is in place (Django's documented way)
@owner_view
def import_new(request: AuthenticatedHttpRequest, portfolio_id: int) -> HttpResponse:
    limiter = SizeLimitedUploadHandler(request, limit=settings.MAX_UPLOAD_SIZE)
    request.upload_handlers.insert(0, limiter)
    return _import_new(request, portfolio_id, limiter)


@csrf_protect
@require_http_methods(["GET", "POST"])
def _import_new(
    request: AuthenticatedHttpRequest, portfolio_id: int, limiter: SizeLimitedUploadHandler
) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    form = StatementUploadForm(initial={"wallet": DEFAULT_WALLET})
    status = 200
    if request.method == "POST":
        # Reading the form runs the upload through the size limit.
        form = StatementUploadForm(request.POST, request.FILES)
        if limiter.too_large:  # the file was dropped unread: say why instead of "missing"
            form.full_clean()
            too_large = sentence(str(PayloadTooLarge(settings.MAX_UPLOAD_SIZE)))
            form.errors["file"] = form.error_class([too_large])
            status = 413
    if form.is_bound and not limiter.too_large and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            token = statement_preview(
                request,
                portfolio=portfolio,
                upload=upload,
                file_name=upload.name or "statement.csv",
                wallet=form.cleaned_data["wallet"] or DEFAULT_WALLET,
            )
        except ValidationFailed as exc:
            form.add_problems(exc)
        else:
            return redirect("dashboard:import-preview", portfolio.pk, token)
    context = {
        "portfolio": portfolio,
        "form": form,
        "wallets": wallet_import_names(portfolio=portfolio),
        "max_size": settings.MAX_UPLOAD_SIZE,
        "tab": "imports",
    }
    return render(request, "dashboard/import_form.html", context, status=status)


@owner_view
@require_http_methods(["GET", "POST"])
def import_preview(
    request: AuthenticatedHttpRequest, portfolio_id: int, token: str
) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    pending = pending_get(request, token=token, portfolio_id=portfolio.pk)
    if pending is None:
        raise Http404("no such upload")
    if request.method == "POST" and request.POST.get("action") == "cancel":
        pending_discard(request, token)
        messages.info(request, f"Nothing was imported from “{pending.file_name}”.")
        return redirect("dashboard:import-list", portfolio.pk)
    if request.method == "POST":
        try:
            with pending.path.open("rb") as stream:
                outcome = statement_import(
                    portfolio=portfolio,
                    user=request.user,
                    stream=stream,
                    file_name=pending.file_name,
                    wallet=pending.wallet,
                )
        except ValidationFailed as exc:
            pending_discard(request, token)
            for problem in exc.problems:
                messages.error(request, f"Nothing was imported: {problem}")
            return redirect("dashboard:import-new", portfolio.pk)
        pending_discard(request, token)
        imp = outcome.imp
        messages.success(
            request,
            f"Imported “{imp.file_name}”: {imp.rows_added} new row{'s' if imp.rows_added != 1 else ''}"
            f" in {imp.wallet.name}, {imp.rows_duplicate} already there.",
        )
        return redirect("dashboard:import-detail", portfolio.pk, imp.pk)
    context = {
        "portfolio": portfolio,
        "pending": pending,
        "answer": shown(pending.answer),
        "tab": "imports",
    }
    return render(request, "dashboard/import_preview.html", context)


@owner_view
def import_detail(
    request: AuthenticatedHttpRequest, portfolio_id: int, import_id: int
) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    imp = import_get(portfolio=portfolio, import_id=import_id)
    missing = [
        m for m in missing_acquisitions(portfolio, wallet=imp.wallet) if m.import_id == imp.pk
    ]
    context = {
        "portfolio": portfolio,
        "imp": imp,
        "answer": shown(import_answer(imp, missing=missing)),
        "tab": "imports",
    }
    return render(request, "dashboard/import_detail.html", context)


@owner_view
@require_http_methods(["GET", "POST"])
def import_undo_view(
    request: AuthenticatedHttpRequest, portfolio_id: int, import_id: int
) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    imp = import_get(portfolio=portfolio, import_id=import_id)
    if request.method == "POST":
        outcome = import_undo(imp=imp)
        text = f"Import of “{imp.file_name}” undone: {outcome.rows_removed} rows removed."
        for warning in undo_warnings(outcome):
            text += f" {sentence(warning)}"
        messages.success(request, text)
        return redirect("dashboard:import-list", portfolio.pk)
    return render(
        request,
        "dashboard/confirm_delete.html",
        {
            "portfolio": portfolio,
            "heading": f"Undo the import of “{imp.file_name}”?",
            "consequences": [
                f"Its {imp.rows_added} row{'s' if imp.rows_added != 1 else ''} leave the "
                f"ledger of {imp.wallet.name}, rows you changed by hand included. Rows of "
                "other imports stay.",
                "Prices the file brought stay in the price store. You can import the file "
                "again later.",
            ],
            "confirm": "Undo import",
            "cancel_url": reverse("dashboard:import-detail", args=[portfolio.pk, imp.pk]),
        },
    )
