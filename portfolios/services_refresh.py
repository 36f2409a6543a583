"""Enqueueing a refresh of everything a portfolio's numbers come from."""

from __future__ import annotations

from dataclasses import dataclass

from addresses.models import Address
from portfolios.models import Portfolio


@dataclass(frozen=True)
class RefreshEnqueued:
    addresses: list[int]
    already_queued: list[int]
    prices: bool


def portfolio_refresh(*, portfolio: Portfolio) -> RefreshEnqueued:
    """Fetch every valid address now (whatever its age) and the spot prices. Work already
    queued by anyone is not queued twice."""
    from addresses.tasks import address_fetch_enqueue
    from prices.tasks import prices_spot_enqueue

    queued, already = [], []
    for address_id in Address.objects.filter(portfolio=portfolio, valid=True).values_list(
        "pk", flat=True
    ):
        (queued if address_fetch_enqueue(address_id) else already).append(address_id)
    prices = prices_spot_enqueue()
    return RefreshEnqueued(addresses=queued, already_queued=already, prices=prices)
