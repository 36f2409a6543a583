"""Writes for portfolios. Every function takes an object already checked to be the user's."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from core.exceptions import NotFound, ValidationFailed
from currencies.validation import resolve_currencies
from portfolios.models import Portfolio, PortfolioCurrency
from users.models import User

NO_CURRENCY = "must have at least one reporting currency selected"


def _set_currencies(portfolio: Portfolio, raw_codes: Sequence[str]) -> None:
    currencies = resolve_currencies(raw_codes, user=portfolio.user)
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


def portfolio_lock(portfolio: Portfolio) -> Portfolio:
    """The portfolio's row, read afresh and locked until the transaction ends: writes that
    replace a set of its rows (reporting currencies, addresses) take turns, so two of them at
    once cannot both insert and collide on a unique constraint, and neither writes back fields
    the other changed meanwhile. NotFound when it was deleted meanwhile."""
    locked = Portfolio.objects.select_for_update().filter(pk=portfolio.pk).first()
    if locked is None:
        raise NotFound(f"portfolio {portfolio.pk}")
    return locked


@transaction.atomic
def portfolio_update(
    *, portfolio: Portfolio, title: str | None = None, currency_codes: Sequence[str] | None = None
) -> Portfolio:
    """Concurrent updates take turns (``portfolio_lock``): each is applied whole, the last one
    wins."""
    locked = portfolio_lock(portfolio)
    if title is not None:
        locked.title = title
    if currency_codes is not None:
        if not currency_codes:
            raise ValidationFailed(NO_CURRENCY)
        _set_currencies(locked, currency_codes)
    locked.save()
    portfolio.title, portfolio.updated_at = locked.title, locked.updated_at
    return locked


@transaction.atomic
def portfolio_delete(*, portfolio: Portfolio) -> None:
    portfolio.delete()
