"""What portfolios reads from the addresses (registered in ``AddressesConfig.ready()``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db.models import Min

from addresses.freshness import FIRST_FETCH_SECONDS
from addresses.models import Address, AddressBalance, AddressTransaction
from addresses.sync import REFRESH_INTERVAL
from addresses.tasks import address_fetch_enqueue
from portfolios.freshness import Holdings
from portfolios.history import Holding
from portfolios.models import Portfolio
from portfolios.sources import BalanceFetcher, HoldingsSource, Watched
from portfolios.totals import FROM_ADDRESS, SourceBalance


def address_holdings(portfolio: Portfolio, holdings: Holdings, now: datetime) -> None:
    """Each valid address's explorer balances (those fetched), and the fetch state: never
    fetched, retrying after a failed first fetch, stale. One query (one row per address and
    balance, joined)."""
    rows = (
        Address.objects.filter(portfolio=portfolio, valid=True)
        .order_by()
        .values_list(
            "pk",
            "currency__code",
            "fetch_state__balances_fetched_at",
            "fetch_state__next_retry_at",
            "balances__currency__code",
            "balances__balance",
            "balances__source",
        )
    )
    seen: set[int] = set()
    for pk, code, fetched_at, next_retry_at, held_code, balance, source in rows:
        if held_code is not None:
            holdings.parts.append(
                SourceBalance(held_code, balance, fetched_at, source, FROM_ADDRESS)
            )
        if pk in seen:
            continue
        seen.add(pk)
        waiting = next_retry_at if next_retry_at and next_retry_at > now else None
        if fetched_at is None:
            holdings.fetching_codes.add(code)
            if not waiting:
                holdings.never_fetched.append(pk)
            else:
                # Only what is still missing decides when to ask again, not another's backoff.
                holdings.retrying.append(pk)
                holdings.retry_at = max(waiting, holdings.retry_at or waiting)
        elif fetched_at < now - REFRESH_INTERVAL and not waiting:
            holdings.stale.append(pk)
        elif fetched_at >= now - REFRESH_INTERVAL:
            holdings.expires(fetched_at + REFRESH_INTERVAL)  # turns stale
        elif waiting:
            holdings.expires(waiting)  # stale, refreshed once its backoff ends


def address_history(portfolio: Portfolio, since: datetime) -> list[Holding]:
    """Each valid address's balances with its confirmed movements since ``since``."""
    moves: dict[int, list[tuple[datetime, Decimal]]] = defaultdict(list)
    txns = AddressTransaction.objects.filter(
        address__portfolio=portfolio, address__valid=True, confirmed=True, txn_at__gte=since
    ).values_list("address_id", "txn_at", "delta")
    for address_id, at, delta in txns.iterator(chunk_size=5000):
        moves[address_id].append((at, delta))
    return [
        Holding(code, balance, tuple(moves.get(address_id, ())))
        for address_id, code, balance in AddressBalance.objects.filter(
            address__portfolio=portfolio, address__valid=True
        ).values_list("address_id", "currency__code", "balance")
    ]


def address_held_since(portfolio_id: int) -> Iterable[tuple[str, datetime | None]]:
    return (
        AddressTransaction.objects.filter(address__portfolio_id=portfolio_id, address__valid=True)
        .values_list("currency__code")
        .annotate(first=Min("txn_at"))
        .order_by()
    )


def address_first_moment(portfolio: Portfolio) -> datetime | None:
    return AddressTransaction.objects.filter(address__portfolio=portfolio).aggregate(
        m=Min("txn_at")
    )["m"]


def address_ids(portfolio: Portfolio) -> list[int]:
    return list(
        Address.objects.filter(portfolio=portfolio, valid=True).values_list("pk", flat=True)
    )


SOURCE = HoldingsSource(
    name="addresses",
    current=address_holdings,
    history=address_history,
    held_since=address_held_since,
    first_moment=address_first_moment,
    watches=(
        Watched("addresses.Address"),
        Watched("addresses.AddressFetchState", through="address"),
        Watched("addresses.AddressBalance", through="address"),
    ),
)
FETCHER = BalanceFetcher(
    item_ids=address_ids,
    enqueue=address_fetch_enqueue,
    first_fetch_seconds=FIRST_FETCH_SECONDS,
)
