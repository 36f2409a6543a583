"""What portfolios reads from the exchange accounts (registered in ``AccountsConfig.ready()``).

An account's holding is its balance as the exchange reports it (total: free plus held in
orders), like an address's is its explorer's; its ledger rows mirror its history and give the
value history its movements. The ledger source leaves account wallets out, so nothing counts
twice."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db.models import Min

from accounts.freshness import FIRST_FETCH_SECONDS
from accounts.models import Account, AccountBalance, SharedMovement
from accounts.shared import SHARING_EXCHANGES
from accounts.sync import REFRESH_INTERVAL
from accounts.tasks import account_fetch_enqueue
from ledger.holdings import CASH_KINDS, INFLOW_KINDS
from ledger.models import LedgerEntry
from portfolios.freshness import Holdings
from portfolios.history import Holding
from portfolios.models import Portfolio
from portfolios.sources import BalanceFetcher, HoldingsSource, Watched
from portfolios.totals import FROM_ACCOUNT, SourceBalance

NAME = "accounts"


def account_holdings(portfolio: Portfolio, holdings: Holdings, now: datetime) -> None:
    """Each valid account's exchange balances (those fetched), ``source`` the exchange's ccxt
    id, and the fetch state: never fetched (the answer waits), retrying after a failed first
    fetch, stale (refreshed in the background). One query."""
    rows = (
        Account.objects.filter(portfolio=portfolio, valid=True)
        .order_by()
        .values_list(
            "pk",
            "exchange",
            "fetch_state__balances_fetched_at",
            "fetch_state__next_retry_at",
            "balances__currency__code",
            "balances__balance",
        )
    )
    seen: set[int] = set()
    sharing = False
    for pk, exchange, fetched_at, next_retry_at, code, balance in rows:
        sharing = sharing or exchange in SHARING_EXCHANGES
        if code is not None and balance:
            holdings.parts.append(SourceBalance(code, balance, fetched_at, exchange, FROM_ACCOUNT))
        if pk in seen:
            continue
        seen.add(pk)
        waiting = next_retry_at if next_retry_at and next_retry_at > now else None
        if fetched_at is None:
            holdings.first_fetches += 1
            if waiting:
                holdings.retry_at = max(waiting, holdings.retry_at or waiting)
            else:
                holdings.due.append((NAME, pk))
        elif fetched_at < now - REFRESH_INTERVAL and not waiting:
            holdings.due.append((NAME, pk))
        elif fetched_at >= now - REFRESH_INTERVAL:
            holdings.expires(fetched_at + REFRESH_INTERVAL)  # turns stale
        elif waiting:
            holdings.expires(waiting)  # stale, refreshed once its backoff ends
    # Statement rows the account reports too: the exchange's balance holds them already
    # (only exchanges with statements share rows: no query for the others).
    if not sharing:
        return
    for code, signed, at, exchange in _shared_rows(portfolio):
        holdings.parts.append(SourceBalance(code, -signed, at, exchange, FROM_ACCOUNT))


def _shared_rows(portfolio: Portfolio) -> list[tuple[str, Decimal, datetime, str]]:
    """Per currency, what the statement rows shared with a valid account add up to (signed,
    fiat cash left out as the statement wallet leaves it out), with the exchange's id."""
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    latest: dict[tuple[str, str], datetime] = {}
    rows = (
        SharedMovement.objects.filter(account__portfolio=portfolio, account__valid=True)
        .exclude(statement_entry__kind__in=CASH_KINDS)
        .values_list(
            "statement_entry__asset__code",
            "statement_entry__kind",
            "statement_entry__quantity",
            "statement_entry__occurred_at",
            "account__exchange",
        )
    )
    for code, kind, quantity, at, exchange in rows:
        key = (code, exchange)
        totals[key] += quantity if kind in INFLOW_KINDS else -quantity
        latest[key] = max(at, latest.get(key, at))
    return [(code, total, latest[(code, ex)], ex) for (code, ex), total in totals.items() if total]


def account_history(portfolio: Portfolio, since: datetime) -> list[Holding]:
    """Each valid account's balances with its ledger movements since ``since`` (fiat cash
    left out, as in the ledger's own holdings)."""
    moves: dict[tuple[int, str], list[tuple[datetime, Decimal]]] = defaultdict(list)
    entries = (
        LedgerEntry.objects.filter(
            wallet__account__portfolio=portfolio,
            wallet__account__valid=True,
            occurred_at__gte=since,
        )
        .exclude(kind__in=CASH_KINDS)
        .values_list("wallet__account__id", "asset__code", "occurred_at", "kind", "quantity")
    )
    for account_id, code, at, kind, quantity in entries.iterator(chunk_size=5000):
        moves[(account_id, code)].append((at, quantity if kind in INFLOW_KINDS else -quantity))
    held = [
        Holding(code, balance, tuple(moves.get((account_id, code), ())))
        for account_id, code, balance in AccountBalance.objects.filter(
            account__portfolio=portfolio, account__valid=True
        ).values_list("account_id", "currency__code", "balance")
    ]
    # The shared statement rows, subtracted with their movements (see account_holdings).
    shared: dict[str, list[tuple[datetime, Decimal]]] = defaultdict(list)
    for code, kind, quantity, at in (
        SharedMovement.objects.filter(account__portfolio=portfolio, account__valid=True)
        .exclude(statement_entry__kind__in=CASH_KINDS)
        .values_list(
            "statement_entry__asset__code",
            "statement_entry__kind",
            "statement_entry__quantity",
            "statement_entry__occurred_at",
        )
    ):
        shared[code].append((at, -quantity if kind in INFLOW_KINDS else quantity))
    for code, moved in shared.items():
        total = sum((q for _, q in moved), Decimal(0))
        recent = tuple(m for m in moved if m[0] >= since)
        held.append(Holding(code, total, recent))
    return held


def account_held_since(portfolio_id: int) -> Iterable[tuple[str, datetime | None]]:
    return (
        AccountBalance.objects.filter(account__portfolio_id=portfolio_id, account__valid=True)
        .values_list("currency__code")
        .annotate(first=Min("account__created_at"))
        .order_by()
    )


def account_first_moment(portfolio: Portfolio) -> datetime | None:
    return Account.objects.filter(portfolio=portfolio).aggregate(m=Min("created_at"))["m"]


def account_ids(portfolio: Portfolio) -> list[int]:
    return list(
        Account.objects.filter(portfolio=portfolio, valid=True).values_list("pk", flat=True)
    )


SOURCE = HoldingsSource(
    name=NAME,
    current=account_holdings,
    history=account_history,
    held_since=account_held_since,
    first_moment=account_first_moment,
    watches=(
        Watched("accounts.Account"),
        Watched("accounts.AccountFetchState", through="account"),
        Watched("accounts.AccountBalance", through="account"),
        Watched("accounts.SharedMovement", through="account"),
    ),
)
FETCHER = BalanceFetcher(
    item_ids=account_ids,
    enqueue=account_fetch_enqueue,
    first_fetch_seconds=FIRST_FETCH_SECONDS,
    name=NAME,
)
