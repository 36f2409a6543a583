"""The ledger of a portfolio: its transactions (filtered as the API filters them, paged), one
row re-classified or valued by hand, the rows missing a value, the transfers to review, and
the inventory. Each view calls the same selectors and services as ``ledger/api``."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import ValidationFailed
from dashboard.access import owner_view
from dashboard.forms_ledger import (
    LedgerEntryForm,
    LedgerFilterForm,
    ValueForm,
    fiat_choices,
    ledger_assets,
)
from ledger.api.inputs import entry_changes
from ledger.filters import LedgerEntryFilter
from ledger.inventory_selectors import portfolio_inventory
from ledger.models import Transfer
from ledger.selectors import (
    entry_transfers,
    ledger_entry_get,
    ledger_entry_list,
    ledger_missing_values,
    transfer_get,
    transfer_list,
    wallet_list,
)
from ledger.services import ledger_entry_update
from ledger.transfers import transfer_accept, transfer_reject
from portfolios.selectors import portfolio_get
from users.requests import AuthenticatedHttpRequest

ROWS_PER_PAGE = 50
TRANSFER_TABS = [
    (Transfer.PROPOSED, "To review"),
    (Transfer.ACCEPTED, "Accepted"),
    (Transfer.REJECTED, "Rejected"),
]


def _filtered_page(request: HttpRequest, rows) -> tuple[Page, list[str]]:
    """``rows`` filtered by the query string (``asset``, ``kind``, ``wallet``, ``from``,
    ``to``: the API's filters and sentences) and paged by ``?page=``."""
    filters = LedgerEntryFilter(request.GET, queryset=rows, user=request.user)
    problems = [] if filters.is_valid() else filters.problems
    shown = filters.qs if not problems else rows.none()
    return Paginator(shown, ROWS_PER_PAGE).get_page(request.GET.get("page")), problems


@owner_view
def transaction_list(request: AuthenticatedHttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    page, problems = _filtered_page(request, ledger_entry_list(portfolio=portfolio))
    context = {
        "portfolio": portfolio,
        "page": page,
        "transfers": entry_transfers([entry.pk for entry in page]),
        "problems": problems,
        "filtered": any(request.GET.get(k) for k in ("asset", "kind", "wallet", "from", "to")),
        "form": LedgerFilterForm(
            request.GET,
            assets=ledger_assets(portfolio=portfolio),
            wallets=list(wallet_list(portfolio=portfolio)),
        ),
        "tab": "transactions",
    }
    return render(request, "dashboard/transaction_list.html", context)


def _back(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@owner_view
@require_http_methods(["GET", "POST"])
def transaction_edit(
    request: AuthenticatedHttpRequest, portfolio_id: int, entry_id: int
) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    entry = ledger_entry_get(portfolio=portfolio, entry_id=entry_id)
    back = _back(request, reverse("dashboard:transaction-list", args=[portfolio.pk]))
    form = LedgerEntryForm(
        request.POST or None,
        initial=LedgerEntryForm.initial_for(entry),
        entry=entry,
        fiat=fiat_choices(portfolio=portfolio),
    )
    if request.method == "POST" and form.is_valid():
        changes = form.changes(entry)
        try:
            if changes:
                ledger_entry_update(entry=entry, **entry_changes(changes))
        except ValidationFailed as exc:
            form.add_problems(exc)
        else:
            done = "saved" if changes else "unchanged: nothing was different"
            when = f"{entry.occurred_at.day} {entry.occurred_at:%b %Y}"
            messages.success(request, f"Transaction of {when} {done}.")
            return redirect(back)
    context = {"portfolio": portfolio, "entry": entry, "form": form, "back": back}
    return render(request, "dashboard/transaction_form.html", context)


@owner_view
def missing_values(request: AuthenticatedHttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    page, problems = _filtered_page(request, ledger_missing_values(portfolio=portfolio))
    fiat = fiat_choices(portfolio=portfolio)
    context = {
        "portfolio": portfolio,
        "page": page,
        "rows": [(entry, ValueForm(fiat=fiat, prefix=f"e{entry.pk}")) for entry in page],
        "fiat": fiat,
        "problems": problems,
        "tab": "missing",
    }
    return render(request, "dashboard/missing_values.html", context)


@owner_view
def transfers(request: AuthenticatedHttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    status = request.GET.get("status") or Transfer.PROPOSED
    if status not in dict(TRANSFER_TABS):
        status = Transfer.PROPOSED
    page = Paginator(transfer_list(portfolio=portfolio, status=status), ROWS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "portfolio": portfolio,
        "page": page,
        "status": status,
        "status_tabs": TRANSFER_TABS,
        "tab": "transfers",
    }
    return render(request, "dashboard/transfer_list.html", context)


def _decide(
    request: AuthenticatedHttpRequest, portfolio_id: int, transfer_id: int, decide, done: str
):
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    transfer = transfer_get(portfolio=portfolio, transfer_id=transfer_id)
    try:
        decide(transfer=transfer)
    except ValidationFailed as exc:
        for problem in exc.problems:
            messages.error(request, f"Transfer not changed: {problem}.")
    else:
        amount = transfer.out_entry.quantity.normalize()
        messages.success(
            request,
            f"Transfer of {amount:f} {transfer.out_entry.asset.code.upper()} from "
            f"{transfer.out_entry.wallet.name} to {transfer.in_entry.wallet.name} {done}.",
        )
    return redirect(_back(request, reverse("dashboard:transfer-list", args=[portfolio.pk])))


@owner_view
@require_POST
def transfer_accept_view(request: AuthenticatedHttpRequest, portfolio_id: int, transfer_id: int):
    return _decide(request, portfolio_id, transfer_id, transfer_accept, "accepted")


@owner_view
@require_POST
def transfer_reject_view(request: AuthenticatedHttpRequest, portfolio_id: int, transfer_id: int):
    return _decide(request, portfolio_id, transfer_id, transfer_reject, "rejected")


@owner_view
def inventory(request: AuthenticatedHttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    rows = portfolio_inventory(portfolio=portfolio)
    context = {
        "portfolio": portfolio,
        "rows": rows,
        # reporting currencies are listed even with nothing counted yet
        "counted": any(row.rows for row in rows),
        "tab": "inventory",
    }
    return render(request, "dashboard/inventory.html", context)
