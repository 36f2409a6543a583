from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.exceptions import ValidationFailed
from dashboard.access import owner_view
from dashboard.accountwords import account_rows
from dashboard.forms import PortfolioForm
from dashboard.live import address_words
from dashboard.performance import performance_panel
from dashboard.totals import portfolio_summary, totals_context
from portfolios.history_selectors import portfolio_first_day
from portfolios.models import Portfolio
from portfolios.selectors import (
    portfolio_get,
    portfolio_get_with_sources,
    portfolio_overview,
    portfolio_title_shared,
    reporting_currencies,
)
from portfolios.services import portfolio_create, portfolio_delete, portfolio_update
from users.requests import AuthenticatedHttpRequest

DEFAULT_CURRENCIES = "usd, btc"


@owner_view
def portfolio_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    portfolios = [
        (portfolio, portfolio_summary(portfolio=portfolio))
        for portfolio in portfolio_overview(user=request.user)
    ]
    return render(request, "dashboard/portfolio_list.html", {"portfolios": portfolios})


@owner_view
@require_http_methods(["GET", "POST"])
def portfolio_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PortfolioForm(request.POST or None, initial={"currencies": DEFAULT_CURRENCIES})
    if request.method == "POST" and form.is_valid():
        try:
            portfolio = portfolio_create(
                user=request.user,
                title=form.cleaned_data["title"],
                currency_codes=form.currency_codes(),
                source=Portfolio.SOURCE_WEB,
                fields=form.settings_fields(),
            )
        except ValidationFailed as exc:
            form.add_problems(exc)
        else:
            messages.success(request, f"Portfolio “{portfolio.title}” created.")
            _warn_if_title_shared(request, portfolio)
            return redirect("dashboard:portfolio-detail", portfolio.pk)
    return render(request, "dashboard/portfolio_form.html", {"form": form})


def _warn_if_title_shared(request: HttpRequest, portfolio: Portfolio) -> None:
    """Two portfolios may share a title (API clients choose titles freely); say so, never
    refuse it."""
    if portfolio_title_shared(portfolio=portfolio):
        messages.warning(
            request,
            f"Another of your portfolios is also called “{portfolio.title}”. That is allowed; "
            "a different title makes them easier to tell apart.",
        )


@owner_view
def portfolio_detail(request: AuthenticatedHttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = portfolio_get_with_sources(user=request.user, portfolio_id=portfolio_id)
    reporting = reporting_currencies(portfolio)
    now = timezone.now()
    first_day = portfolio_first_day(portfolio=portfolio)
    context = {
        "portfolio": portfolio,
        "reporting": reporting,
        "addresses": [(a, address_words(a, now=now)) for a in portfolio.addresses.all()],
        "offsets": list(portfolio.offsets.all()),
        "accounts": account_rows(portfolio, now=now),
        "tab": "overview",
        **totals_context(
            portfolio=portfolio,
            reporting=reporting,
            range_key=request.GET.get("range", ""),
            first_day=first_day,
        ),
    }
    context["performance_panel"] = performance_panel(
        portfolio=portfolio,
        currency=reporting[0] if reporting else None,
        range_key=context["range"],
        first_day=first_day,
    )
    return render(request, "dashboard/portfolio_detail.html", context)


@owner_view
@require_http_methods(["GET", "POST"])
def portfolio_edit(request: AuthenticatedHttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    codes = ", ".join(c.code for c in reporting_currencies(portfolio))
    initial = {"title": portfolio.title, "currencies": codes}
    form = PortfolioForm(
        request.POST or None, initial=initial | PortfolioForm.initial_settings(portfolio)
    )
    if request.method == "POST" and form.is_valid():
        try:
            portfolio_update(
                portfolio=portfolio,
                title=form.cleaned_data["title"],
                currency_codes=form.currency_codes(),
                fields=form.settings_fields(),
            )
        except ValidationFailed as exc:
            form.add_problems(exc)
        else:
            messages.success(request, f"Portfolio “{portfolio.title}” saved.")
            _warn_if_title_shared(request, portfolio)
            return redirect("dashboard:portfolio-detail", portfolio.pk)
    return render(request, "dashboard/portfolio_form.html", {"form": form, "portfolio": portfolio})


@owner_view
@require_http_methods(["GET", "POST"])
def portfolio_remove(request: AuthenticatedHttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    if request.method == "POST":
        title = portfolio.title
        portfolio_delete(portfolio=portfolio)
        messages.success(request, f"Portfolio “{title}” deleted.")
        return redirect("dashboard:portfolio-list")
    addresses, offsets = portfolio.addresses.count(), portfolio.offsets.count()
    return render(
        request,
        "dashboard/confirm_delete.html",
        {
            "portfolio": portfolio,
            "heading": f"Delete the portfolio “{portfolio.title}”?",
            "consequences": [
                f"Its {addresses} address{'es' if addresses != 1 else ''} and {offsets} offset"
                f"{'s' if offsets != 1 else ''} are deleted with it.",
                "This cannot be undone.",
            ],
            "confirm": "Delete portfolio",
            "cancel_url": reverse("dashboard:portfolio-detail", args=[portfolio.pk]),
        },
    )
