"""Query-string filters of the cost-basis lists (the API's lots and disposals)."""

from __future__ import annotations

from datetime import tzinfo

import django_filters
from django import forms

from costbasis.models import Disposal, Lot
from costbasis.selectors import year_span
from ledger.filters import CurrencyFilter, IdFilter, UserFilterSet

# The years a filter takes: the last one's end (the next New Year) must still be a datetime.
FIRST_YEAR, LAST_YEAR = 1970, 9998


class YearField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        text = value.strip()
        if not (len(text) == 4 and text.isascii() and text.isdigit()) or not (
            FIRST_YEAR <= int(text) <= LAST_YEAR
        ):
            raise forms.ValidationError(f"year '{value}' is not a year such as 2024")
        return int(text)


class YearFilter(django_filters.Filter):
    field_class = YearField


class _Problems:
    form: forms.Form  # the FilterSet's bound form

    @property
    def problems(self) -> list[str]:
        return [str(message) for messages in self.form.errors.values() for message in messages]


class LotFilter(_Problems, UserFilterSet):
    """``asset=btc`` (or ``btc,eth``); ``wallet=4`` (or ``4,5``): the wallet holding the lot
    (per-wallet pooling) or the one it was acquired in (universal pooling)."""

    asset = CurrencyFilter(field_name="asset__code", label="asset")
    wallet = IdFilter(field_name="wallet_id", label="wallet")

    class Meta:
        model = Lot
        fields: list[str] = []


class DisposalFilter(_Problems, UserFilterSet):
    """``asset=btc`` (or ``btc,eth``); ``year=2024`` (the disposal's year in ``zone``, the tax
    time zone of the build)."""

    asset = CurrencyFilter(field_name="asset__code", label="asset")
    year = YearFilter(method="filter_year", label="year")

    class Meta:
        model = Disposal
        fields: list[str] = []

    def __init__(self, *args, zone: tzinfo, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone

    def filter_year(self, qs, name, value):
        if value is None:
            return qs
        start, end = year_span(value, self.zone)
        return qs.filter(at__gte=start, at__lt=end)
