"""The targets page of a portfolio: edit the target allocation (in percent), see current versus
target, the drift and the trades back to target (``portfolios.targets`` defines them)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from core.exceptions import NotReady, ValidationFailed
from currencies.models import Currency
from currencies.selectors import currencies_by_code
from dashboard.access import owner_view
from portfolios.models import Portfolio
from portfolios.selectors import (
    portfolio_get,
    portfolio_target_analytics,
    portfolio_targets,
    reporting_currencies,
)
from portfolios.services import portfolio_update
from portfolios.targets import Allocation, Analytics, target_fractions
from users.requests import AuthenticatedHttpRequest

BLANK_ROWS = 3
HUNDRED = Decimal(100)


@dataclass
class TargetRow:
    """One line of the editor: the asset, the percent typed (or stored), and the analytics of
    that asset when known."""

    code: str
    percent: str
    allocation: Allocation | None = None
    currency: Currency | None = None


def _percent_text(fraction: Decimal) -> str:
    text = format(fraction.scaleb(2), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def targets_from_form(assets: list[str], percents: list[str]) -> dict[str, Decimal]:
    """``{code: fraction}`` from the editor's rows (percent → fraction exactly); a row with no
    percent is no target; every problem in words for people, in percent."""
    fractions: dict[str, Decimal] = {}
    problems: list[str] = []
    for raw_code, raw_percent in zip(assets, percents, strict=False):
        code, text = raw_code.strip().lower(), raw_percent.strip().rstrip("%").strip()
        if not text:
            continue
        if not code:
            problems.append(f"The target of {text} % names no asset.")
            continue
        try:
            percent = Decimal(text)
            if not percent.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            problems.append(f"The target of {code} ('{text}') is not a number.")
            continue
        if percent < 0 or percent > 100:
            problems.append(f"The target of {code} must be between 0 and 100 %.")
        if code in fractions:
            problems.append(f"{code} has two targets; give it one.")
        fractions[code] = percent.scaleb(-2)
    total = sum(fractions.values(), Decimal(0))
    if not problems and fractions and total != 1:
        problems.append(f"The targets add up to {_percent_text(total)} %, not 100 %.")
    if problems:
        raise ValidationFailed(problems)
    return target_fractions({code: str(f) for code, f in fractions.items()})


def _analytics(
    portfolio: Portfolio, currency: str, min_trade: Decimal
) -> tuple[Analytics | None, str]:
    try:
        return portfolio_target_analytics(portfolio, currency=currency, min_trade=min_trade), ""
    except NotReady:
        return None, "Balances or prices are being fetched; reload this page in a moment."


@owner_view
@require_http_methods(["GET", "POST"])
def portfolio_targets_view(request: AuthenticatedHttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    reporting = reporting_currencies(portfolio)
    by_code = {c.code: c for c in reporting}
    currency = by_code.get(request.GET.get("currency", "").lower(), reporting[0])
    try:
        min_trade = Decimal(request.GET.get("min_trade") or settings.PORTFOLIO_MIN_TRADE)
        min_trade = min_trade if min_trade.is_finite() and min_trade >= 0 else Decimal(0)
    except InvalidOperation:
        min_trade = Decimal(0)
    problems: list[str] = []
    assets, percents = request.POST.getlist("asset"), request.POST.getlist("percent")
    if request.method == "POST":
        try:
            fractions = targets_from_form(assets, percents)
            portfolio_update(portfolio=portfolio, fields={"target_allocations": fractions})
        except ValidationFailed as exc:
            problems = exc.problems
        else:
            messages.success(request, "Targets saved.")
            return redirect(request.get_full_path())
    analytics, waiting = _analytics(portfolio, currency.code, min_trade)
    allocations = {a.currency: a for a in analytics.allocations} if analytics else {}
    if problems:  # show what was typed, to be corrected
        typed = zip(assets, percents, strict=False)
        rows = [TargetRow(c.strip().lower(), p) for c, p in typed if c.strip() or p.strip()]
    else:
        stored = portfolio_targets(portfolio)
        codes = sorted(set(stored) | set(allocations))
        rows = [TargetRow(c, _percent_text(stored[c]) if c in stored else "") for c in codes]
    trades = analytics.trades if analytics else []
    known = currencies_by_code([r.code for r in rows] + [t.currency for t in trades])
    for row in rows:
        row.allocation = allocations.get(row.code)
        row.currency = known.get(row.code)
    rows += [TargetRow("", "") for _ in range(BLANK_ROWS)]
    context = {
        "portfolio": portfolio,
        "tab": "targets",
        "rows": rows,
        "analytics": analytics,
        "trades": [(trade, known[trade.currency]) for trade in trades],
        "largest": (
            known[analytics.concentration.largest.currency]
            if analytics and analytics.concentration.largest
            else None
        ),
        "waiting": waiting,
        "currency": currency,
        "reporting": reporting,
        "min_trade": min_trade,
        "problems": problems,
    }
    return render(request, "dashboard/targets.html", context)
