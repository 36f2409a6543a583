"""The base of every API view under ``/api/portfolios/ID/``: the owner's portfolio, resolved once.

It lives here, not in ``core``, because it knows the Portfolio model (``core`` imports no app)."""

from __future__ import annotations

from typing import Any, cast

from rest_framework.request import Request

from core.api import ApiView
from portfolios.models import Portfolio
from portfolios.selectors import portfolio_get
from users.models import User


# ``self.portfolio`` is the signed-in user's portfolio named by the URL's ``portfolio_id``;
# anyone else's (or none) is 404 ``Not found`` before the handler runs, never 403, so ids cannot
# be probed. It is looked up after authentication and the scope check, so a request without a
# valid token is still 401 and one without the scope 403. (A comment, not a docstring: the schema
# would show a view's docstring to API clients as each operation's description.)
class PortfolioScopedView(ApiView):
    portfolio: Portfolio

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # After the permission check (above) request.user is a User: no anonymous visitor
        # reaches a private view (core.permissions).
        user = cast(User, request.user)
        self.portfolio = self.get_portfolio(user, kwargs["portfolio_id"])

    def get_portfolio(self, user: User, portfolio_id: int | str) -> Portfolio:
        """The one lookup; a view that needs more of the portfolio in the same query says so."""
        return portfolio_get(user=user, portfolio_id=portfolio_id)
