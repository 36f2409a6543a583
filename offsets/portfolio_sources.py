"""What portfolios reads from the offsets (registered in ``OffsetsConfig.ready()``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Min

from offsets.models import Offset, OffsetBalance
from portfolios.freshness import Holdings
from portfolios.history import Holding
from portfolios.models import Portfolio
from portfolios.sources import HoldingsSource, Watched
from portfolios.totals import FROM_OFFSET, SourceBalance


def offset_holdings(portfolio: Portfolio, holdings: Holdings, now: datetime) -> None:
    """Each offset's balances, one query."""
    rows = (
        OffsetBalance.objects.filter(offset__portfolio=portfolio)
        .order_by()
        .values_list("currency__code", "balance", "updated_at")
    )
    holdings.parts.extend(
        SourceBalance(code, balance, at, "offset", FROM_OFFSET) for code, balance, at in rows
    )


def offset_history(portfolio: Portfolio, since: datetime) -> list[Holding]:
    """An offset's balance is held from its creation on, unchanged."""
    return [
        Holding(code, balance, ((created, balance),))
        for code, balance, created in OffsetBalance.objects.filter(
            offset__portfolio=portfolio
        ).values_list("currency__code", "balance", "created_at")
    ]


def offset_held_since(portfolio_id: int) -> Iterable[tuple[str, datetime | None]]:
    return (
        OffsetBalance.objects.filter(offset__portfolio_id=portfolio_id)
        .values_list("currency__code")
        .annotate(first=Min("created_at"))
        .order_by()
    )


def offset_first_moment(portfolio: Portfolio) -> datetime | None:
    return Offset.objects.filter(portfolio=portfolio).aggregate(m=Min("created_at"))["m"]


SOURCE = HoldingsSource(
    name="offsets",
    current=offset_holdings,
    history=offset_history,
    held_since=offset_held_since,
    first_moment=offset_first_moment,
    watches=(Watched("offsets.Offset"), Watched("offsets.OffsetBalance", through="offset")),
)
