"""The ``tickers`` check of ``/api/status``, registered with ``core.health`` by ``PricesConfig``."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Max
from django.utils import timezone

from currencies.models import Currency
from prices.models import SpotPrice
from prices.services import SPOT_REFRESH_SECONDS, currencies_in_use


def tickers_ok() -> bool:
    """Spot prices are younger than twice their refresh interval (or nothing needs a price:
    no currency in use, or a single fiat one)."""
    latest = SpotPrice.objects.aggregate(latest=Max("fetched_at"))["latest"]
    if latest is None:
        in_use = currencies_in_use()
        return (
            len(in_use) <= 1
            and not Currency.objects.filter(code__in=in_use, is_fiat=False).exists()
        )
    return timezone.now() - latest < timedelta(seconds=SPOT_REFRESH_SECONDS * 2)
