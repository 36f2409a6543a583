"""Reads for portfolios, always filtered by owner."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from core.exceptions import NotFound
from portfolios.models import Portfolio, PortfolioCurrency
from users.models import User


def portfolio_list(*, user: User) -> QuerySet[Portfolio]:
    return Portfolio.objects.filter(user=user).annotate(
        currencies_count=Count("reporting_currencies", distinct=True),
        addresses_count=Count("addresses", distinct=True),
        offsets_count=Count("offsets", distinct=True),
    )


def portfolio_title_shared(*, portfolio: Portfolio) -> bool:
    """Does another portfolio of the same user have this one's title? Allowed (API clients
    choose titles freely); the dashboard mentions it so that the user can tell them apart."""
    return (
        Portfolio.objects.filter(user_id=portfolio.user_id, title=portfolio.title)
        .exclude(pk=portfolio.pk)
        .exists()
    )


def portfolio_get(*, user: User, portfolio_id: int | str) -> Portfolio:
    """The user's portfolio or NotFound (also for another user's portfolio)."""
    try:
        pk = int(portfolio_id)
    except (TypeError, ValueError):
        raise NotFound("no such portfolio")
    portfolio = Portfolio.objects.filter(user=user, pk=pk).first()
    if portfolio is None:
        raise NotFound("no such portfolio")
    return portfolio


def portfolio_get_detailed(*, user: User, portfolio_id: int | str) -> Portfolio:
    """The portfolio with its currencies, addresses and offsets loaded in a fixed number of
    queries."""
    from addresses.models import Address
    from offsets.models import Offset

    portfolio = portfolio_get(user=user, portfolio_id=portfolio_id)
    return (
        Portfolio.objects.filter(pk=portfolio.pk)
        .prefetch_related(
            Prefetch(
                "reporting_currencies",
                queryset=PortfolioCurrency.objects.select_related("currency"),
            ),
            Prefetch("addresses", queryset=Address.objects.select_related("currency")),
            Prefetch("offsets", queryset=Offset.objects.all()),
        )
        .get()
    )


def reporting_currencies(portfolio: Portfolio) -> list:
    return [pc.currency for pc in portfolio.reporting_currencies.all()]


def portfolio_currency_codes_in_use() -> set[str]:
    """Every reporting currency of any portfolio, whoever owns it: the price refresh (registered
    in ``PortfoliosConfig.ready``) quotes in them."""
    return set(PortfolioCurrency.objects.values_list("currency__code", flat=True).distinct())
