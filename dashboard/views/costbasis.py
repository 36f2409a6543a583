"""The cost basis of a portfolio: positions with their cost and unrealized gain, realized
gains and income by year (with the year's report as CSV), open lots, and the settings it is
computed with. Shown from the stored build (``costbasis.services``); while the first build
runs, the page says so."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.exceptions import ValidationFailed
from dashboard import costbasis
from dashboard.access import owner_view
from dashboard.forms_ledger import CostBasisSettingsForm
from portfolios.selectors import portfolio_get, reporting_currencies
from users.requests import AuthenticatedHttpRequest

LOTS_PER_PAGE = 50


def _settings_form(data=None, *, settings=None) -> CostBasisSettingsForm:
    methods, poolings = costbasis.choices()
    initial = (
        {
            "method": settings.method,
            "pooling": settings.pooling,
            "unclassified_out_to_elsewhere": settings.unclassified_out_to_elsewhere,
            "tax_time_zone": settings.portfolio.user.tax_time_zone,
        }
        if settings is not None
        else None
    )
    return CostBasisSettingsForm(data, initial=initial, methods=methods, poolings=poolings)


@owner_view
def cost_basis(request: AuthenticatedHttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    overview = costbasis.costbasis_overview(portfolio=portfolio)
    return _render(request, portfolio, overview, form=None)


def _render(request, portfolio, overview, *, form, status=200) -> HttpResponse:
    lots = overview.lots if overview.lots is not None else []
    context = {
        "portfolio": portfolio,
        "overview": overview,
        "summary": overview.summary,
        "main": (reporting_currencies(portfolio) or [None])[0],
        "lots": Paginator(lots, LOTS_PER_PAGE).get_page(request.GET.get("page")),
        "form": form or _settings_form(settings=overview.settings),
        "tab": "cost-basis",
    }
    return render(request, "dashboard/cost_basis.html", context, status=status)


@owner_view
@require_POST
def cost_basis_settings(request: AuthenticatedHttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    form = _settings_form(request.POST)
    if form.is_valid():
        try:
            costbasis.settings_update(portfolio=portfolio, **form.cleaned_data)
        except ValidationFailed as exc:
            form.add_problems(exc)
        else:
            messages.success(
                request, "Settings saved. The cost basis is computed again in the background."
            )
            return redirect("dashboard:cost-basis", portfolio.pk)
    overview = costbasis.costbasis_overview(portfolio=portfolio)
    return _render(request, portfolio, overview, form=form)


@owner_view
@require_POST
def cost_basis_rebuild(request: AuthenticatedHttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    if costbasis.rebuild(portfolio=portfolio).merged:
        messages.success(
            request,
            "A computation was already on its way: it now runs from scratch, in the background.",
        )
    else:
        messages.success(
            request, "The cost basis is computed again from scratch in the background."
        )
    return redirect("dashboard:cost-basis", portfolio.pk)


@owner_view
def cost_basis_report(
    request: AuthenticatedHttpRequest, portfolio_id: int, year: int
) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    text = costbasis.year_report(portfolio=portfolio, year=year)
    if text is None:
        raise Http404("no cost basis yet")
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="cost-basis-{portfolio.pk}-{year}.csv"'
    return response
