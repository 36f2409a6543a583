""" "Refresh now": enqueue a fetch of every address and the prices of a portfolio, then show
how far the workers have got. The progress page re-checks with a small script polling
``refresh-status`` (JSON, session-authenticated, owner-filtered), or without JavaScript with a
``<meta http-equiv="refresh">`` until everything is finished."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from dashboard.access import owner_view
from dashboard.progress import refresh_progress
from portfolios.selectors import portfolio_get
from portfolios.services_refresh import portfolio_refresh
from users.requests import AuthenticatedHttpRequest

POLL_SECONDS = 2
# Without a start time (a bookmarked page), progress is measured over the last few minutes.
DEFAULT_WINDOW = timedelta(minutes=10)


def _since(request: HttpRequest) -> datetime:
    """The refresh's start, from ``?since=`` (Unix seconds)."""
    now = timezone.now()
    try:
        since = datetime.fromtimestamp(int(request.GET.get("since", "")), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return now - DEFAULT_WINDOW
    return min(since, now)


@owner_view
@require_POST
def portfolio_refresh_view(request: AuthenticatedHttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    started = int(timezone.now().timestamp())
    portfolio_refresh(portfolio=portfolio)
    url = reverse("dashboard:portfolio-refresh-progress", args=[portfolio.pk])
    return redirect(f"{url}?since={started}")


@owner_view
@require_GET
@never_cache
def refresh_progress_view(request: AuthenticatedHttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    since = _since(request)
    progress = refresh_progress(portfolio=portfolio, since=since, now=timezone.now())
    status_url = reverse("dashboard:portfolio-refresh-status", args=[portfolio.pk])
    context = {
        "portfolio": portfolio,
        "progress": progress,
        "status_url": f"{status_url}?since={int(since.timestamp())}",
        "poll_seconds": POLL_SECONDS,
        "tab": "overview",
    }
    return render(request, "dashboard/refresh_progress.html", context)


@owner_view
@require_GET
@never_cache
def refresh_status_view(request: AuthenticatedHttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = portfolio_get(user=request.user, portfolio_id=portfolio_id)
    progress = refresh_progress(portfolio=portfolio, since=_since(request), now=timezone.now())
    return JsonResponse(progress.as_json())
