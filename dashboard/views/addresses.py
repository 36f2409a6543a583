import contextlib
from urllib.parse import urlsplit

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from addresses.freshness import address_data_ready
from addresses.selectors import (
    address_balances,
    address_get,
    address_transactions,
    address_with_state,
)
from addresses.services import address_create, address_delete, address_update
from core.exceptions import NotReady, ValidationFailed
from dashboard.access import owner_view
from dashboard.display import explorer_url
from dashboard.forms import AddressForm, address_currency_choices
from dashboard.live import address_words
from portfolios.models import Portfolio
from portfolios.selectors import portfolio_get
from users.requests import AuthenticatedHttpRequest

TRANSACTIONS_PER_PAGE = 50


@owner_view
@require_http_methods(["GET", "POST"])
def address_new(request: AuthenticatedHttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    form = AddressForm(
        request.POST or None,
        initial={"currency": "btc"},
        currency_choices=address_currency_choices(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            address = address_create(
                portfolio=portfolio,
                title=form.cleaned_data["title"] or None,
                address=form.cleaned_data["address"],
                currency_code=form.cleaned_data["currency"],
                source=Portfolio.SOURCE_WEB,
            )
        except ValidationFailed as exc:
            form.add_problems(exc)
        else:
            messages.success(
                request, f"Address “{address}” added. Its balance is fetched in the background."
            )
            return redirect("dashboard:portfolio-detail", portfolio.pk)
    return render(request, "dashboard/address_form.html", {"form": form, "portfolio": portfolio})


@owner_view
def address_detail(
    request: AuthenticatedHttpRequest, portfolio_id: int, address_id: int
) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    address = address_get(portfolio=portfolio, address_id=address_id)
    # A first fetch or a refresh of stale data is enqueued; never fetched, the page says so.
    with contextlib.suppress(NotReady):
        address_data_ready(address)
    url = explorer_url(
        address.address, address.currency.code, is_ethereum_token=address.currency.is_ethereum_token
    )
    context = {
        "portfolio": portfolio,
        "address": address,
        "explorer_url": url,
        "explorer_host": urlsplit(url).netloc if url else "",
        "balances": list(address_balances(address=address)),
        "words": address_words(address_with_state(address=address), now=timezone.now()),
        "transactions": Paginator(
            address_transactions(address=address), TRANSACTIONS_PER_PAGE
        ).get_page(request.GET.get("page")),
    }
    return render(request, "dashboard/address_detail.html", context)


@owner_view
@require_http_methods(["GET", "POST"])
def address_edit(
    request: AuthenticatedHttpRequest, portfolio_id: int, address_id: int
) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    address = address_get(portfolio=portfolio, address_id=address_id)
    initial = {
        "title": address.title,
        "address": address.address,
        "currency": address.currency.code,
    }
    form = AddressForm(
        request.POST or None, initial=initial, currency_choices=address_currency_choices()
    )
    if request.method == "POST" and form.is_valid():
        try:
            address_update(
                address=address,
                title=form.cleaned_data["title"],
                new_address=form.cleaned_data["address"],
                currency_code=form.cleaned_data["currency"],
            )
        except ValidationFailed as exc:
            form.add_problems(exc)
        else:
            messages.success(request, f"Address “{address}” saved.")
            return redirect("dashboard:address-detail", portfolio.pk, address.pk)
    return render(
        request,
        "dashboard/address_form.html",
        {"form": form, "portfolio": portfolio, "address": address},
    )


@owner_view
@require_http_methods(["GET", "POST"])
def address_remove(
    request: AuthenticatedHttpRequest, portfolio_id: int, address_id: int
) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    address = address_get(portfolio=portfolio, address_id=address_id)
    if request.method == "POST":
        name = str(address)
        address_delete(address=address)
        messages.success(request, f"Address “{name}” removed from “{portfolio.title}”.")
        return redirect("dashboard:portfolio-detail", portfolio.pk)
    return render(
        request,
        "dashboard/confirm_delete.html",
        {
            "portfolio": portfolio,
            "heading": f"Remove the address “{address}”?",
            "consequences": [
                f"{address.address} ({address.currency.code.upper()}) stops counting towards “{portfolio.title}”.",
                "Nothing happens on the blockchain: you can add the address again later.",
            ],
            "confirm": "Remove address",
            "cancel_url": reverse("dashboard:address-detail", args=[portfolio.pk, address.pk]),
        },
    )
