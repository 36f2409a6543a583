"""Enqueueing a refresh of everything a portfolio's numbers come from."""

from __future__ import annotations

from dataclasses import dataclass

from portfolios.history_fetch import portfolio_price_history_ensure
from portfolios.models import Portfolio
from portfolios.sources import balance_fetcher, balance_fetchers


@dataclass(frozen=True)
class RefreshEnqueued:
    addresses: list[int]
    already_queued: list[int]
    prices: bool
    # Exchange accounts (and any other fetched source but addresses), by fetcher name.
    others: dict[str, list[int]]


def portfolio_refresh(*, portfolio: Portfolio) -> RefreshEnqueued:
    """Fetch every valid address and exchange account now (whatever its age), the spot prices and the daily
    prices of the held period not stored yet. Work already queued by anyone is not queued
    twice."""
    from prices.tasks import prices_spot_enqueue

    fetcher = balance_fetcher()
    queued: list[int] = []
    already: list[int] = []
    for address_id in fetcher.item_ids(portfolio):
        (queued if fetcher.enqueue(address_id) else already).append(address_id)
    others: dict[str, list[int]] = {}
    for other in balance_fetchers():
        if other.name != fetcher.name:
            others[other.name] = [pk for pk in other.item_ids(portfolio) if other.enqueue(pk)]
    prices = prices_spot_enqueue()
    portfolio_price_history_ensure(portfolio_id=portfolio.pk)  # history missed so far, if any
    return RefreshEnqueued(addresses=queued, already_queued=already, prices=prices, others=others)
