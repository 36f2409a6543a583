"""Turning currency codes from requests into Currency rows, with the API's sentences."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.exceptions import ValidationFailed
from currencies.models import Currency
from currencies.selectors import currencies_visible
from users.models import User


def currency_code_text(raw: Any, *, field: str = "currency") -> str:
    if isinstance(raw, dict) and "code" in raw:  # a client echoing {"code": "btc", "title": ...}
        raw = raw["code"]
    if not isinstance(raw, str) or not raw.strip() or "\x00" in raw:
        raise ValidationFailed(f"{field} must be a currency code such as 'btc'")
    return raw.strip().lower()


def resolve_currencies(
    raw_codes: Sequence[Any], *, user: User, field: str = "currencies"
) -> list[Currency]:
    """Currency rows for the codes, in the order given, duplicates dropped; every code ``user``
    may not use (unknown, or brought by another user's statement and not listed) is reported
    as unknown, so nobody learns what others imported."""
    codes: list[str] = []
    problems: list[str] = []
    for raw in raw_codes:
        try:
            code = currency_code_text(raw, field=field)
        except ValidationFailed as exc:
            problems.extend(exc.problems)
            continue
        if code not in codes:
            codes.append(code)
    found = {c.code: c for c in currencies_visible(user=user).filter(code__in=codes)}
    problems.extend(f"unknown currency '{code}'" for code in codes if code not in found)
    if problems:
        raise ValidationFailed(problems)
    return [found[code] for code in codes]


def resolve_currency(raw: Any, *, user: User, field: str = "currency") -> Currency:
    return resolve_currencies([raw], user=user, field=field)[0]
