from __future__ import annotations

from django.db.models import QuerySet

from currencies.models import Currency

FILTERS = {
    "cryptocurrencies": {"is_cryptocurrency": True},
    "fiat": {"is_fiat": True},
    "tokens": {"is_ethereum_token": True},
}


def currency_list(*, kind: str | None = None) -> QuerySet[Currency]:
    qs = Currency.objects.all()
    return qs.filter(**FILTERS[kind]) if kind else qs
