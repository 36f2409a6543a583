from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from core.exceptions import NotFound
from currencies.models import Currency

FILTERS = {
    "cryptocurrencies": {"is_cryptocurrency": True},
    "fiat": {"is_fiat": True},
    "tokens": {"is_ethereum_token": True},
}


def currency_list(*, kind: str | None = None) -> QuerySet[Currency]:
    qs = Currency.objects.all()
    return qs.filter(**FILTERS[kind]) if kind else qs


def currency_get(*, code: str) -> Currency:
    """A listed currency by its code, any case; NotFound (404) for an unknown one."""
    currency = Currency.objects.filter(code=code.lower()).first()
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


def currency_code_titles() -> list[tuple[str, str]]:
    """(code, title) of every currency by code. One query."""
    return list(Currency.objects.order_by("code").values_list("code", "title"))


def fiat_codes() -> list[str]:
    """The codes of every fiat currency, by code. One query."""
    return list(
        Currency.objects.filter(is_fiat=True).order_by("code").values_list("code", flat=True)
    )
