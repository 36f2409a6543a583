"""Writes for portfolios. Every function takes an object already checked to be the user's."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from core.exceptions import ValidationFailed
from currencies.validation import resolve_currencies
from portfolios.models import Portfolio, PortfolioCurrency
from users.models import User

NO_CURRENCY = "must have at least one reporting currency selected"


def _set_currencies(portfolio: Portfolio, raw_codes: Sequence[str]) -> None:
    currencies = resolve_currencies(raw_codes)
    if not currencies:
        raise ValidationFailed(NO_CURRENCY)
    PortfolioCurrency.objects.filter(portfolio=portfolio).delete()
    PortfolioCurrency.objects.bulk_create(
        PortfolioCurrency(portfolio=portfolio, currency=c, position=i)
        for i, c in enumerate(currencies)
    )


@transaction.atomic
def portfolio_create(
    *, user: User, title: str, currency_codes: Sequence[str] | None, source: str
) -> Portfolio:
    """Titles need not be unique: two portfolios of one user may share one (API.md)."""
    if not currency_codes:
        raise ValidationFailed(NO_CURRENCY)
    portfolio = Portfolio.objects.create(user=user, title=title, source=source)
    _set_currencies(portfolio, currency_codes)
    return portfolio


@transaction.atomic
def portfolio_update(
    *, portfolio: Portfolio, title: str | None = None, currency_codes: Sequence[str] | None = None
) -> Portfolio:
    if title is not None:
        portfolio.title = title
    if currency_codes is not None:
        if not currency_codes:
            raise ValidationFailed(NO_CURRENCY)
        _set_currencies(portfolio, currency_codes)
    portfolio.save()
    return portfolio


@transaction.atomic
def portfolio_delete(*, portfolio: Portfolio) -> None:
    portfolio.delete()
