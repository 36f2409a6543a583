"""The one place where the dashboard turns "not yours or not there" into a 404 page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from core.exceptions import NotFound


def owner_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-out visitors go to the sign-in page; a ``NotFound`` raised by an owner-filtered
    selector or service (another user's object, or none at all) becomes a plain 404, so a
    page never tells whether someone else's object exists."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(str(exc)) from exc

    return login_required(wrapped)
