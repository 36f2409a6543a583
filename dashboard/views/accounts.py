"""Exchange accounts on the dashboard: connect one (pick the exchange, fill the credentials it
needs), its page (balances, recent history, sync state in plain words), edit, remove. Everything
goes through ``accounts.services`` and ``accounts.selectors``; credentials are never shown."""

from __future__ import annotations

import contextlib

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.freshness import account_data_ready
from accounts.models import AccountFetchState
from accounts.selectors import account_balances, account_get, account_movements
from accounts.services import account_create, account_delete, account_ledger_rows, account_update
from core.exceptions import NotReady, ValidationFailed
from dashboard.access import owner_view
from dashboard.accountwords import account_words
from dashboard.forms_accounts import AccountForm
from portfolios.selectors import portfolio_get
from users.requests import AuthenticatedHttpRequest

MOVEMENTS_PER_PAGE = 50


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@owner_view
@require_http_methods(["GET", "POST"])
def account_new(request: AuthenticatedHttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    form = AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = account_create(
                portfolio=portfolio,
                title=form.cleaned_data["title"] or None,
                exchange=form.cleaned_data["exchange"],
                credentials=form.credentials(),
            )
        except ValidationFailed as exc:
            form.add_problems(exc)
        else:
            messages.success(
                request,
                f"Account “{account}” connected. Its key is being checked with "
                f"{account.exchange_title}; balances and history follow in the background.",
            )
            return redirect("dashboard:account-detail", portfolio.pk, account.pk)
    return render(request, "dashboard/account_form.html", {"form": form, "portfolio": portfolio})


@owner_view
def account_detail(
    request: AuthenticatedHttpRequest, portfolio_id: int, account_id: int
) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    account = account_get(portfolio=portfolio, account_id=account_id)
    # Never synced: a fetch is enqueued (the page says "pending"); stale: a refresh is.
    with contextlib.suppress(NotReady):
        account_data_ready(account)
    state = AccountFetchState.objects.filter(account=account).first()
    context = {
        "portfolio": portfolio,
        "account": account,
        "state": state,
        "words": account_words(account, state, now=timezone.now()),
        "balances": list(account_balances(account=account)),
        "movements": Paginator(account_movements(account=account), MOVEMENTS_PER_PAGE).get_page(
            request.GET.get("page")
        ),
    }
    return render(request, "dashboard/account_detail.html", context)


@owner_view
@require_http_methods(["GET", "POST"])
def account_edit(
    request: AuthenticatedHttpRequest, portfolio_id: int, account_id: int
) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    account = account_get(portfolio=portfolio, account_id=account_id)
    initial = {"title": account.title, "exchange": account.exchange}
    form = AccountForm(request.POST or None, initial=initial, account=account)
    if request.method == "POST" and form.is_valid():
        credentials = form.credentials()
        try:
            account_update(
                account=account,
                title=form.cleaned_data["title"],
                exchange=form.cleaned_data["exchange"],
                credentials=credentials,
            )
        except ValidationFailed as exc:
            form.add_problems(exc)
        else:
            if credentials is None:
                messages.success(request, f"Account “{account}” saved.")
            else:
                messages.success(
                    request,
                    f"Account “{account}” saved with its new key, which is being checked with "
                    f"{account.exchange_title}.",
                )
            return redirect("dashboard:account-detail", portfolio.pk, account.pk)
    return render(
        request,
        "dashboard/account_form.html",
        {"form": form, "portfolio": portfolio, "account": account},
    )


@owner_view
@require_http_methods(["GET", "POST"])
def account_remove(
    request: AuthenticatedHttpRequest, portfolio_id: int, account_id: int
) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    account = account_get(portfolio=portfolio, account_id=account_id)
    if request.method == "POST":
        name = str(account)
        rows = account_delete(account=account)
        messages.success(
            request,
            f"Account “{name}” removed from “{portfolio.title}”, with "
            f"{_plural(rows, 'ledger row', 'ledger rows')}.",
        )
        return redirect("dashboard:portfolio-detail", portfolio.pk)
    rows = account_ledger_rows(account)
    return render(
        request,
        "dashboard/confirm_delete.html",
        {
            "portfolio": portfolio,
            "heading": f"Remove the account “{account}”?",
            "consequences": [
                f"Its {_plural(rows, 'ledger row', 'ledger rows')} (trades, deposits, "
                f"withdrawals, fees, rewards) are deleted with it, and its balances stop "
                f"counting towards “{portfolio.title}”.",
                f"Its key is deleted too. Nothing changes on {account.exchange_title}: you can "
                "connect the account again later, and its history is read again then.",
            ],
            "confirm": "Remove account",
            "cancel_url": reverse("dashboard:account-detail", args=[portfolio.pk, account.pk]),
        },
    )
