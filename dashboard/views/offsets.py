from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.exceptions import ValidationFailed
from dashboard.access import owner_view
from dashboard.display import Unit, format_money
from dashboard.forms import OffsetEditor
from offsets.selectors import offset_get
from offsets.services import offset_create, offset_delete, offset_update
from portfolios.models import Portfolio
from portfolios.selectors import portfolio_get
from users.requests import AuthenticatedHttpRequest


@owner_view
@require_http_methods(["GET", "POST"])
def offset_new(request: AuthenticatedHttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    editor = OffsetEditor(request.POST or None)
    if request.method == "POST" and editor.is_valid():
        try:
            offset = offset_create(
                portfolio=portfolio,
                title=editor.title,
                balances=editor.balances(),
                source=Portfolio.SOURCE_WEB,
            )
        except ValidationFailed as exc:
            editor.add_problems(exc)
        else:
            messages.success(request, f"Offset “{offset.title}” added.")
            return redirect("dashboard:portfolio-detail", portfolio.pk)
    return render(request, "dashboard/offset_form.html", {"editor": editor, "portfolio": portfolio})


@owner_view
@require_http_methods(["GET", "POST"])
def offset_edit(
    request: AuthenticatedHttpRequest, portfolio_id: int, offset_id: int
) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    offset = offset_get(portfolio=portfolio, offset_id=offset_id)
    editor = OffsetEditor(request.POST or None, offset=offset, balances=list(offset.balances.all()))
    if request.method == "POST" and editor.is_valid():
        try:
            offset_update(
                offset=offset,
                title=editor.title,
                balances=editor.balances(),
                source=Portfolio.SOURCE_WEB,
            )
        except ValidationFailed as exc:
            editor.add_problems(exc)
        else:
            messages.success(request, f"Offset “{offset.title}” saved.")
            return redirect("dashboard:portfolio-detail", portfolio.pk)
    return render(
        request,
        "dashboard/offset_form.html",
        {"editor": editor, "portfolio": portfolio, "offset": offset},
    )


@owner_view
@require_http_methods(["GET", "POST"])
def offset_remove(
    request: AuthenticatedHttpRequest, portfolio_id: int, offset_id: int
) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    offset = offset_get(portfolio=portfolio, offset_id=offset_id)
    if request.method == "POST":
        offset_delete(offset=offset)
        messages.success(request, f"Offset “{offset.title}” deleted.")
        return redirect("dashboard:portfolio-detail", portfolio.pk)
    balances = ", ".join(
        format_money(b.balance, Unit.of(b.currency)) for b in offset.balances.all()
    )
    return render(
        request,
        "dashboard/confirm_delete.html",
        {
            "portfolio": portfolio,
            "heading": f"Delete the offset “{offset.title}”?",
            "consequences": [
                f"Its balances ({balances or 'none'}) stop counting towards “{portfolio.title}”.",
                "This cannot be undone.",
            ],
            "confirm": "Delete offset",
            "cancel_url": reverse("dashboard:portfolio-detail", args=[portfolio.pk]),
        },
    )
