"""Query-string filters of the ledger's lists (``/transactions``, ``/transactions/missing-values``).

- ``asset=btc`` (or ``btc,eth``): currency codes, case-insensitive; an unknown code is 422.
- ``kind=buy`` (or ``unclassified_in,unclassified_out``): ledger kinds; an unknown kind is 422.
- ``wallet=4`` (or ``4,5``): wallet ids (see ``wallet.id`` in each row).
- ``from`` / ``to``: ISO 8601 dates or date-times, both ends included. A date means the whole
  UTC day (``to=2024-03-31`` includes that day); a date-time without an offset is UTC; a ``+``
  in the offset that the query string turned into a space is read back as ``+``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import django_filters
from django import forms

from core.limits import row_id
from currencies.selectors import currencies_visible
from ledger.kinds import Kind
from ledger.models import LedgerEntry


def _items(value: str) -> list[str]:
    return [item.strip() for item in str(value).split(",") if item.strip()]


class KindListField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return []
        kinds = [item.lower() for item in _items(value)]
        for kind in kinds:
            if kind not in Kind._value2member_map_:
                raise forms.ValidationError(
                    f"kind '{kind}' is not a ledger kind; use one of {', '.join(k.value for k in Kind)}"
                )
        return kinds


class CurrencyListField(forms.CharField):
    """Codes the user may use (``currencies.selectors.visible_to``): a code another user's
    statement brought is as unknown as one nobody has."""

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return []
        codes = [item.lower() for item in _items(value)]
        visible = currencies_visible(user=self.user).filter(code__in=codes)
        known = set(visible.values_list("code", flat=True))
        for code in codes:
            if code not in known:
                raise forms.ValidationError(f"unknown currency '{code}'")
        return codes


class IdListField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return []
        ids = []
        for item in _items(value):
            found = row_id(item)
            if found is None:
                raise forms.ValidationError(f"{self.label} '{item}' is not an id (a whole number)")
            ids.append(found)
        return ids


class MomentField(forms.CharField):
    """An ISO 8601 date (returned as ``date``) or date-time (returned aware, in UTC)."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        text = value.strip()
        try:
            if len(text) <= 10:
                return date.fromisoformat(text)
            # "2024-03-31T12:00:00 00:00": the query string turned the offset's "+" into a space
            text = text[:11] + text[11:].replace(" ", "+")
            moment = datetime.fromisoformat(text)
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        except ValueError:
            pass
        raise forms.ValidationError(
            f"{self.label} '{value}' is not an ISO 8601 date or date-time, for example 2024-03-31 "
            "or 2024-03-31T12:00:00+00:00"
        )


class ListFilter(django_filters.Filter):
    """``field__in`` over a comma-separated list."""

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": value})


class KindFilter(ListFilter):
    field_class = KindListField


class CurrencyFilter(ListFilter):
    field_class = CurrencyListField


class UserFilterSet(django_filters.FilterSet):
    """A filter set for one user's rows: ``user`` names the codes its currency filters accept."""

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for each in self.filters.values():
            if isinstance(each, CurrencyFilter):
                each.extra["user"] = user


class IdFilter(ListFilter):
    field_class = IdListField


class MomentFilter(django_filters.Filter):
    field_class = MomentField

    def __init__(self, *args, end: bool, **kwargs):
        self.end = end
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        if not self.end:
            lookup = "gte"
        elif isinstance(value, datetime):
            lookup = "lte"
        else:
            lookup = "lt"  # before the next day's start
        return qs.filter(**{f"{self.field_name}__{lookup}": bound(value, end=self.end)})


def bound(value: date | datetime, *, end: bool) -> datetime:
    """The instant a ``from``/``to`` value stands for: a date's start (from) or the next day's
    start (to, compared with ``<``); a date-time itself."""
    if isinstance(value, datetime):
        return value
    day = value + timedelta(days=1) if end else value
    return datetime.combine(day, time.min, UTC)


class LedgerEntryFilter(UserFilterSet):
    asset = CurrencyFilter(field_name="asset__code", label="asset")
    kind = KindFilter(field_name="kind", label="kind")
    wallet = IdFilter(field_name="wallet_id", label="wallet")

    class Meta:
        model = LedgerEntry
        fields: list[str] = []

    @property
    def problems(self) -> list[str]:
        """The form's errors as sentences (API: 422 ``invalid``)."""
        return [str(message) for messages in self.form.errors.values() for message in messages]

    def is_valid(self) -> bool:
        if not super().is_valid():
            return False
        start, end = self.form.cleaned_data.get("from"), self.form.cleaned_data.get("to")
        if start is not None and end is not None:
            first, last = bound(start, end=False), bound(end, end=True)
            # a date as ``to`` stands for the start of the next day, which is excluded
            if first > last or (first == last and not isinstance(end, datetime)):
                self.form.add_error(None, "from must not be after to")
                return False
        return True


# ``from`` is a Python keyword: declared here rather than in the class body.
LedgerEntryFilter.base_filters["from"] = MomentFilter(
    field_name="occurred_at", label="from", end=False
)
LedgerEntryFilter.base_filters["to"] = MomentFilter(field_name="occurred_at", label="to", end=True)
