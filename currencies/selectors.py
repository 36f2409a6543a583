from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from core.exceptions import NotFound
from currencies.models import Currency
from users.models import User

FILTERS = {
    "cryptocurrencies": {"is_cryptocurrency": True},
    "fiat": {"is_fiat": True},
    "tokens": {"is_ethereum_token": True},
}


def visible_to(user: User | None) -> Q:
    """The currencies ``user`` may see and use: every listed one, and the unlisted codes their
    own statements brought (a subquery, so that a currency known to many users is one row)."""
    listed = Q(listed=True)
    if user is None or user.pk is None:
        return listed
    known = Currency.known_to.through.objects.filter(user_id=user.pk).values("currency_id")
    return listed | Q(pk__in=known)


def currencies_visible(*, user: User | None) -> QuerySet[Currency]:
    return Currency.objects.filter(visible_to(user))


def currency_list(*, kind: str | None = None) -> QuerySet[Currency]:
    """The public list: listed currencies only, the same for every client."""
    qs = Currency.objects.filter(listed=True)
    return qs.filter(**FILTERS[kind]) if kind else qs


def currency_get(*, code: str) -> Currency:
    """A listed currency by its code, any case; NotFound (404) for an unknown or unlisted one."""
    currency = currency_list().filter(code=code.lower()).first()
    if currency is None:
        raise NotFound(code)
    return currency


def currency_titles(codes: Iterable[str]) -> dict[str, str]:
    """code -> title of the given codes, one query: what API rows that carry a bare code (sums,
    conversions) need to answer ``{code, title}`` (``core.api.CURRENCY_TITLES``)."""
    return dict(Currency.objects.filter(code__in=set(codes)).values_list("code", "title"))


def currencies_by_code(codes: Iterable[str]) -> dict[str, Currency]:
    """code -> Currency of the given codes (unknown codes left out). One query."""
    return {c.code: c for c in Currency.objects.filter(code__in=set(codes))}


def currency_code_titles(*, user: User | None = None) -> list[tuple[str, str]]:
    """(code, title) of every currency ``user`` may use (``visible_to``), by code. One query."""
    return list(currencies_visible(user=user).order_by("code").values_list("code", "title"))


def fiat_codes() -> list[str]:
    """The codes of every fiat currency, by code. One query."""
    return list(
        Currency.objects.filter(is_fiat=True).order_by("code").values_list("code", flat=True)
    )
