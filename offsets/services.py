"""Writes for offsets: hand-entered balances, which may be negative."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from core.exceptions import NotFound, ValidationFailed
from core.money import parse_amount
from currencies.validation import resolve_currency
from offsets.models import Offset, OffsetBalance
from portfolios.models import Portfolio
from users.models import User


def parse_balances(raw: Sequence[Any], *, user: User) -> list[tuple[Any, Any]]:
    """[(Currency, Decimal)] from ``[{"currency": "btc", "balance": "1"}, ...]``, every problem
    reported in one go; the currencies are those ``user`` may use."""
    problems: list[str] = []
    parsed = []
    seen: set[str] = set()
    for i, item in enumerate(raw, start=1):
        where = f"balance {i}"
        if not isinstance(item, dict):
            problems.append(f"{where} must be an object with currency and balance")
            continue
        missing = [k for k in ("currency", "balance") if k not in item]
        if missing:
            problems.append(f"{where} is missing {' and '.join(missing)}")
            continue
        try:
            currency = resolve_currency(_single(item["currency"]), user=user)
        except ValidationFailed as exc:
            problems.extend(exc.problems)
            continue
        try:
            amount = parse_amount(_single(item["balance"]), field=f"balance for {currency.code}")
        except ValidationFailed as exc:
            problems.extend(exc.problems)
            continue
        if currency.code in seen:
            problems.append(f"currency '{currency.code}' is listed more than once")
            continue
        seen.add(currency.code)
        parsed.append((currency, amount))
    if problems:
        raise ValidationFailed(problems)
    return parsed


def _single(value: Any) -> Any:
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _replace_balances(
    offset: Offset, balances: Sequence[Mapping[str, Any]], source: str, user: User
) -> None:
    parsed = parse_balances(balances, user=user)
    OffsetBalance.objects.filter(offset=offset).delete()
    OffsetBalance.objects.bulk_create(
        OffsetBalance(offset=offset, currency=currency, balance=amount, source=source)
        for currency, amount in parsed
    )


@transaction.atomic
def offset_create(
    *,
    portfolio: Portfolio,
    title: str,
    balances: Sequence[Mapping[str, Any]] | None,
    source: str,
) -> Offset:
    offset = Offset.objects.create(portfolio=portfolio, title=title, source=source)
    _replace_balances(offset, balances or [], source, portfolio.user)
    return offset


@transaction.atomic
def offset_update(
    *,
    offset: Offset,
    title: str | None = None,
    balances: Sequence[Mapping[str, Any]] | None = None,
    source: str,
) -> Offset:
    """``balances`` given replaces the whole set; None keeps them. Concurrent updates of one
    offset take turns on its locked row (two replacements at once would both insert and collide
    on the one-balance-per-currency constraint): each is applied whole, the last one wins."""
    locked = Offset.objects.select_for_update().filter(pk=offset.pk).first()
    if locked is None:
        raise NotFound(f"offset {offset.pk}")
    if title is not None:
        locked.title = title
    if balances is not None:
        _replace_balances(locked, balances, source, offset.portfolio.user)
    locked.save()
    offset.title, offset.updated_at = locked.title, locked.updated_at
    return locked


@transaction.atomic
def offset_delete(*, offset: Offset) -> None:
    offset.delete()
