"""Enqueueing a refresh of everything a portfolio's numbers come from."""

from __future__ import annotations

from dataclasses import dataclass

from addresses.models import Address
from portfolios.history_fetch import portfolio_price_history_ensure
from portfolios.models import Portfolio


@dataclass(frozen=True)
class RefreshEnqueued:
    addresses: list[int]
    already_queued: list[int]
    prices: bool


def portfolio_refresh(*, portfolio: Portfolio) -> RefreshEnqueued:
    """Fetch every valid address now (whatever its age), the spot prices and the daily
    prices of the held period not stored yet. Work already queued by anyone is not queued
    twice."""
    from addresses.tasks import address_fetch_enqueue
    from prices.tasks import prices_spot_enqueue

    queued: list[int] = []
    already: list[int] = []
    for address_id in Address.objects.filter(portfolio=portfolio, valid=True).values_list(
        "pk", flat=True
    ):
        (queued if address_fetch_enqueue(address_id) else already).append(address_id)
    prices = prices_spot_enqueue()
    portfolio_price_history_ensure(portfolio_id=portfolio.pk)  # history missed so far, if any
    return RefreshEnqueued(addresses=queued, already_queued=already, prices=prices)
