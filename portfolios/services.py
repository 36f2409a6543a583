"""Writes for portfolios. Every function takes an object already checked to be the user's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TypedDict

from django.db import transaction

from core.exceptions import NotFound, ValidationFailed
from currencies.selectors import currencies_visible
from currencies.validation import resolve_currencies
from portfolios.models import Portfolio, PortfolioCurrency, PortfolioTarget
from portfolios.targets import TARGETS
from users.models import User

NO_CURRENCY = "must have at least one reporting currency selected"
MAX_DESCRIPTION = 2000
MAX_TAGS = 20
MAX_TAG_LENGTH = 50


class PortfolioFields(TypedDict, total=False):
    """The portfolio's own settings beside its title and currencies, each optional: a missing
    key keeps the stored value. ``target_allocations`` as ``portfolios.targets.target_fractions``
    answers it (checked shape and sum; ``{}`` clears the targets)."""

    description: str
    risk_tolerance: str
    tags: list[str]
    is_default: bool
    is_active: bool
    status: str
    last_rebalanced_at: datetime | None
    target_allocations: Mapping[str, Decimal]


def _one_of(name: str, value: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValidationFailed(f"{name} must be one of {', '.join(choices)} (not '{value}')")
    return value


def _check_tags(tags: Sequence[str]) -> list[str]:
    """Stripped, empty ones refused, duplicates dropped, the user's order kept."""
    kept: list[str] = []
    problems: list[str] = []
    for tag in tags:
        text = str(tag).strip()
        if not text:
            problems.append("tags must not be empty")
        elif len(text) > MAX_TAG_LENGTH:
            problems.append(f"tag '{text[:20]}…' is longer than {MAX_TAG_LENGTH} characters")
        elif text not in kept:
            kept.append(text)
    if len(kept) > MAX_TAGS:
        problems.append(f"a portfolio has at most {MAX_TAGS} tags")
    if problems:
        raise ValidationFailed(problems)
    return kept


def _set_targets(portfolio: Portfolio, fractions: Mapping[str, Decimal]) -> None:
    """Replace the targets; an asset the user may not use (unknown, or another user's
    unlisted import) is refused by name, as ``resolve_currencies`` does."""
    found = {
        c.code: c for c in currencies_visible(user=portfolio.user).filter(code__in=list(fractions))
    }
    unknown = [code for code in fractions if code not in found]
    if unknown:
        raise ValidationFailed([f"{TARGETS} names an unknown asset '{code}'" for code in unknown])
    PortfolioTarget.objects.filter(portfolio=portfolio).delete()
    PortfolioTarget.objects.bulk_create(
        PortfolioTarget(portfolio=portfolio, currency=found[code], fraction=fraction)
        for code, fraction in fractions.items()
    )


def _apply_fields(portfolio: Portfolio, fields: PortfolioFields) -> None:
    """Check and set ``fields`` on a locked (or new, unsaved-fields) portfolio; the targets are
    written, the row is saved by the caller. Every problem found is reported at once."""
    problems: list[str] = []
    if "description" in fields:
        text = fields["description"].strip()
        if len(text) > MAX_DESCRIPTION:
            problems.append(f"description must be at most {MAX_DESCRIPTION} characters")
        portfolio.description = text
    for name, choices in (
        ("risk_tolerance", Portfolio.RiskTolerance.values),
        ("status", Portfolio.Status.values),
    ):
        if name in fields:
            try:
                setattr(portfolio, name, _one_of(name, fields[name], choices))  # type: ignore[literal-required]
            except ValidationFailed as exc:
                problems.extend(exc.problems)
    if "tags" in fields:
        try:
            portfolio.tags = _check_tags(fields["tags"])
        except ValidationFailed as exc:
            problems.extend(exc.problems)
    if "is_active" in fields:
        portfolio.is_active = fields["is_active"]
    if "last_rebalanced_at" in fields:
        portfolio.last_rebalanced_at = fields["last_rebalanced_at"]
    if problems:
        raise ValidationFailed(problems)
    if "target_allocations" in fields:
        _set_targets(portfolio, fields["target_allocations"])


def user_lock(user_id: int) -> None:
    """The user's row, locked until the transaction ends: the writers that mark a default take
    turns. Always taken before any portfolio row (one order for every writer, so two of them
    cannot wait on each other); again later in the same transaction it is a no-op. The v1
    surface takes it too, around its per-user name check."""
    User.objects.select_for_update().filter(pk=user_id).first()


def _make_default(portfolio: Portfolio) -> None:
    """Mark ``portfolio`` as its user's default and clear the others, in the caller's
    transaction. The user's row is locked first, so two of these for one user take turns (on
    PostgreSQL the second waits, then sees the first's row and clears it); the partial unique
    index ``portfolio_one_default_per_user`` is the last guard."""
    user_lock(portfolio.user_id)
    Portfolio.objects.filter(user_id=portfolio.user_id, is_default=True).exclude(
        pk=portfolio.pk
    ).update(is_default=False)
    portfolio.is_default = True


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
    *,
    user: User,
    title: str,
    currency_codes: Sequence[str] | None,
    source: str,
    fields: PortfolioFields | None = None,
) -> Portfolio:
    """Titles need not be unique: two portfolios of one user may share one (API.md).
    ``fields``: the other settings (``PortfolioFields``); ``is_default`` clears the user's
    other default."""
    fields = fields or {}
    if not currency_codes:
        raise ValidationFailed(NO_CURRENCY)
    if fields.get("is_default"):
        user_lock(user.pk)  # before the insert: one order of locks for every writer
    portfolio = Portfolio.objects.create(user=user, title=title, source=source)
    _set_currencies(portfolio, currency_codes)
    _apply_fields(portfolio, fields)
    if fields.get("is_default"):
        _make_default(portfolio)
    portfolio.save()
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
    *,
    portfolio: Portfolio,
    title: str | None = None,
    currency_codes: Sequence[str] | None = None,
    fields: PortfolioFields | None = None,
) -> Portfolio:
    """Concurrent updates take turns (``portfolio_lock``): each is applied whole, the last one
    wins. ``fields``: the other settings to change (``PortfolioFields``); ``is_default: true``
    clears the user's other default, ``false`` leaves the user without one."""
    fields = fields or {}
    if fields.get("is_default"):
        user_lock(portfolio.user_id)
    locked = portfolio_lock(portfolio)
    if title is not None:
        locked.title = title
    if currency_codes is not None:
        if not currency_codes:
            raise ValidationFailed(NO_CURRENCY)
        _set_currencies(locked, currency_codes)
    _apply_fields(locked, fields)
    if "is_default" in fields:
        if fields["is_default"]:
            _make_default(locked)
        else:
            locked.is_default = False
    locked.save()
    portfolio.refresh_from_db()
    return locked


@transaction.atomic
def portfolio_delete(*, portfolio: Portfolio) -> None:
    portfolio.delete()
