"""Loading what a portfolio's value history is computed from (a fixed number of queries)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Min
from django.utils import timezone

from addresses.models import AddressBalance, AddressTransaction
from ledger.models import LedgerEntry
from offsets.models import Offset, OffsetBalance
from portfolios.history import SPOT, HistoryPoint, Holding, PricePoint, value_history
from portfolios.models import Portfolio
from prices.models import Price, SpotPrice

MAX_DAYS = 365


def portfolio_value_history(
    *, portfolio: Portfolio, target: str, days: int, today: date | None = None
) -> list[HistoryPoint]:
    """The value of ``portfolio`` in ``target`` at the end of each of the last ``days`` days,
    today last (valued with today's spot prices), each day with that day's own prices only."""
    today = today or timezone.now().date()
    day_list = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
    since = datetime.combine(day_list[0], time.min, UTC)
    holdings = _holdings(portfolio, since)
    codes = {h.currency for h in holdings} | {target, "usd", "btc"}
    prices = _prices(codes, day_list[0], today)
    return value_history(holdings, prices, target, day_list)


def _holdings(portfolio: Portfolio, since: datetime) -> list[Holding]:
    holdings: list[Holding] = []
    moves: dict[int, list[tuple[datetime, Decimal]]] = defaultdict(list)
    txns = AddressTransaction.objects.filter(
        address__portfolio=portfolio, address__valid=True, confirmed=True, txn_at__gte=since
    ).values_list("address_id", "txn_at", "delta")
    for address_id, at, delta in txns.iterator(chunk_size=5000):
        moves[address_id].append((at, delta))
    for address_id, code, balance in AddressBalance.objects.filter(
        address__portfolio=portfolio, address__valid=True
    ).values_list("address_id", "currency__code", "balance"):
        holdings.append(Holding(code, balance, tuple(moves.get(address_id, ()))))
    for code, balance, created in OffsetBalance.objects.filter(
        offset__portfolio=portfolio
    ).values_list("currency__code", "balance", "created_at"):
        holdings.append(Holding(code, balance, ((created, balance),)))
    holdings.extend(_ledger_holdings(portfolio, since))
    return holdings


def _ledger_holdings(portfolio: Portfolio, since: datetime) -> list[Holding]:
    """Each ledger-fed wallet's current holding per asset and its signed movements since
    ``since`` (fiat cash left out, as in the holdings)."""
    from ledger.holdings import CASH_KINDS, INFLOW_KINDS
    from ledger.models import LedgerEntry, WalletHolding
    from ledger.selectors import LEDGER_FED

    moves: dict[tuple[int, str], list[tuple[datetime, Decimal]]] = defaultdict(list)
    entries = (
        LedgerEntry.objects.filter(
            portfolio=portfolio, wallet__kind__in=LEDGER_FED, occurred_at__gte=since
        )
        .exclude(kind__in=CASH_KINDS)
        .values_list("wallet_id", "asset__code", "occurred_at", "kind", "quantity")
    )
    for wallet_id, code, at, kind, quantity in entries.iterator(chunk_size=5000):
        moves[(wallet_id, code)].append((at, quantity if kind in INFLOW_KINDS else -quantity))
    rows = WalletHolding.objects.filter(
        wallet__portfolio=portfolio, wallet__kind__in=LEDGER_FED
    ).values_list("wallet_id", "asset__code", "quantity")
    return [
        Holding(code, quantity, tuple(moves.get((wallet_id, code), ())))
        for wallet_id, code, quantity in rows
    ]


def _prices(codes: set[str], start: date, today: date) -> list[PricePoint]:
    """Every stored price of the window, each for the day it belongs to: daily closes and
    prices observed in statements (their day), and the spot prices quoted inside the window
    (the day they were quoted: today's value is today's quote). Nothing from before the window
    is carried in. Two queries."""
    since = datetime.combine(start, time.min, UTC)
    until = datetime.combine(today + timedelta(days=1), time.min, UTC)
    points = [
        PricePoint(base, quote, at.date(), price, kind=kind, at=at)
        for base, quote, at, price, kind in Price.objects.filter(
            base__code__in=codes, quote__code__in=codes, at__gte=since, at__lt=until
        ).values_list("base__code", "quote__code", "at", "price", "kind")
    ]
    points.extend(
        PricePoint(base, quote, at.date(), price, kind=SPOT, at=at)
        for base, quote, price, at in SpotPrice.objects.filter(
            base__code__in=codes, quote__code__in=codes, at__gte=since, at__lt=until
        ).values_list("base__code", "quote__code", "price", "at")
    )
    return points


def portfolio_first_day(*, portfolio: Portfolio) -> date | None:
    """The UTC day of the portfolio's earliest known movement (a ledger row, an address
    transaction, an offset): where "all" of its value history starts. Three queries."""
    moments = [
        LedgerEntry.objects.filter(portfolio=portfolio).aggregate(m=Min("occurred_at"))["m"],
        AddressTransaction.objects.filter(address__portfolio=portfolio).aggregate(m=Min("txn_at"))[
            "m"
        ],
        Offset.objects.filter(portfolio=portfolio).aggregate(m=Min("created_at"))["m"],
    ]
    known = [m for m in moments if m is not None]
    return min(known).date() if known else None
