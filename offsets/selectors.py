from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from core.exceptions import NotFound
from offsets.models import Offset, OffsetBalance
from portfolios.models import Portfolio


def offset_list(*, portfolio: Portfolio) -> QuerySet[Offset]:
    return Offset.objects.filter(portfolio=portfolio)


def offset_get(*, portfolio: Portfolio, offset_id: int | str) -> Offset:
    try:
        pk = int(offset_id)
    except (TypeError, ValueError):
        raise NotFound("no such offset")
    offset = (
        offset_list(portfolio=portfolio)
        .prefetch_related(
            Prefetch("balances", queryset=OffsetBalance.objects.select_related("currency"))
        )
        .filter(pk=pk)
        .first()
    )
    if offset is None:
        raise NotFound("no such offset")
    return offset


def offset_currency_codes_in_use() -> set[str]:
    """Every currency noted in any offset, for the price refresh (registered in
    ``OffsetsConfig.ready``)."""
    return set(OffsetBalance.objects.values_list("currency__code", flat=True).distinct())
