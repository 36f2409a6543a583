"""Building and updating the materialised value series (``ValuePoint``).

The value of a day is ``portfolios.history``'s: the holdings at the end of the day (walked back
from the current balances through the movements) valued with that day's own prices (a daily
close; today the spot price), never an earlier day's. The day's net external flow
(``performance.flows``) is valued with the same prices. One pass computes every reporting
currency.

Updating is incremental: ``series_update`` reads what changed since the series was last built
(ledger rows, accepted transfers, offsets, address transactions, daily closes, spot prices, a
new day) and recomputes the days from the earliest one touched; rows before it are kept. A
deleted ledger row, offset or transfer (seen as a lower count) or a changed set of reporting
currencies rebuilds the whole series. Every trigger (``ledger_changed``, prices stored, an
address sync, an offset saved) enqueues the same task, once per portfolio across processes.
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from addresses.models import AddressTransaction
from core.money import SQLITE_SIGNIFICANT_DIGITS, significant_digits
from core.tasks import enqueue_once
from ledger.models import LedgerEntry, Transfer
from offsets.models import OffsetBalance
from performance.flows import external_flows
from performance.models import SeriesState, ValuePoint
from portfolios.history import balances_by_day, rates_by_day
from portfolios.history_selectors import portfolio_first_day, portfolio_price_points
from portfolios.models import Portfolio, PortfolioCurrency
from portfolios.sources import holdings_sources
from prices.conversion import convert, exact_sum
from prices.models import Price, SpotPrice

UPDATE_FLAG_SECONDS = 600
BUILT_AT_MARGIN = timedelta(seconds=60)


def update_key(portfolio_id: int) -> str:
    return f"performance:series:{portfolio_id}"


def series_update_enqueue(portfolio_id: int) -> bool:
    """Enqueue (after commit) an update of the portfolio's series, unless one is queued."""
    from performance.tasks import series_update_task  # the task module imports this one

    return enqueue_once(
        update_key(portfolio_id), UPDATE_FLAG_SECONDS, series_update_task, portfolio_id
    )


def series_update_all_enqueue() -> int:
    """New prices: every built series may have days to revalue (each update finds its own)."""
    count = 0
    for portfolio_id in SeriesState.objects.values_list("portfolio_id", flat=True):
        count += series_update_enqueue(portfolio_id)
    return count


@dataclass(frozen=True)
class UpdateResult:
    since: date | None  # the first day recomputed; None: nothing changed
    days: int  # days recomputed
    rows: int  # rows written (days x currencies)
    seconds: float


def series_update(*, portfolio_id: int, today: date | None = None) -> UpdateResult:
    """Bring the portfolio's series up to date (see the module docstring)."""
    started = clock.perf_counter()
    # Changes stored while this update runs are read again by the next one: the margin covers
    # a transaction that stamped its rows before this read and committed after it.
    counted_at = timezone.now()
    now = counted_at - BUILT_AT_MARGIN
    today = today or timezone.now().date()
    portfolio = Portfolio.objects.filter(pk=portfolio_id).first()
    if portfolio is None:
        return UpdateResult(None, 0, 0, 0.0)
    state = SeriesState.objects.filter(portfolio=portfolio).first()
    counts = _counts(portfolio_id)
    first = portfolio_first_day(portfolio=portfolio)
    since = _dirty_since(portfolio, state, counts, first, today)
    if since is None:
        SeriesState.objects.filter(portfolio=portfolio).update(
            built_at=now,
            counted_at=counted_at,
            ledger_rows=counts[0],
            offset_rows=counts[1],
            transfer_rows=counts[2],
        )
        return UpdateResult(None, 0, 0, clock.perf_counter() - started)
    rows = _compute(portfolio, first, since, today) if first is not None else []
    with transaction.atomic():
        # Two updates of one portfolio may run at once (a trigger during an update enqueues
        # another): their writes take turns on the portfolio's row, the later one wins whole.
        locked = Portfolio.objects.select_for_update().filter(pk=portfolio.pk)
        if not list(locked.values_list("pk", flat=True)):
            return UpdateResult(None, 0, 0, clock.perf_counter() - started)
        ValuePoint.objects.filter(portfolio=portfolio).filter(
            day__gte=since if first is not None else date.min
        ).delete()
        ValuePoint.objects.bulk_create(rows, batch_size=2000)
        seconds = clock.perf_counter() - started
        SeriesState.objects.update_or_create(
            portfolio=portfolio,
            defaults={
                "built_at": now,
                "counted_at": counted_at,
                "ledger_rows": counts[0],
                "offset_rows": counts[1],
                "transfer_rows": counts[2],
                "first_day": first,
                **({"last_full_seconds": seconds} if first is not None and since == first else {}),
            },
        )
    days = (today - since).days + 1 if first is not None else 0
    return UpdateResult(since, days, len(rows), seconds)


def _counts(portfolio_id: int) -> tuple[int, int, int]:
    return (
        LedgerEntry.objects.filter(portfolio_id=portfolio_id).count(),
        OffsetBalance.objects.filter(offset__portfolio_id=portfolio_id).count(),
        Transfer.objects.filter(portfolio_id=portfolio_id, status=Transfer.ACCEPTED).count(),
    )


def _dirty_since(
    portfolio: Portfolio,
    state: SeriesState | None,
    counts: tuple[int, int, int],
    first: date | None,
    today: date,
) -> date | None:
    """The first day whose stored row may be wrong, or None when every row is right."""
    if first is None:
        # Nothing held any more: an empty series, written once.
        if state is None or ValuePoint.objects.filter(portfolio=portfolio).exists():
            return date.min
        return None
    if state is None or state.first_day != first:
        return first
    stored = set(
        ValuePoint.objects.filter(portfolio=portfolio)
        .values_list("currency__code", flat=True)
        .distinct()
    )
    reporting = set(
        PortfolioCurrency.objects.filter(portfolio=portfolio).values_list(
            "currency__code", flat=True
        )
    )
    if stored != reporting:
        return first
    built, counted = state.built_at, state.counted_at or state.built_at
    new_ledger = LedgerEntry.objects.filter(portfolio=portfolio, created_at__gte=counted).count()
    new_offsets = OffsetBalance.objects.filter(
        offset__portfolio=portfolio, created_at__gte=counted
    ).count()
    if counts[0] != state.ledger_rows + new_ledger or counts[1] != state.offset_rows + new_offsets:
        # Fewer rows: some were deleted. More: a transaction stamped rows before the last
        # count and committed after it. Neither can be dated: rebuild from the first day.
        return first
    if counts[2] < state.transfer_rows:
        return first  # a transfer was rejected
    candidates: list[date] = []
    last = (
        ValuePoint.objects.filter(portfolio=portfolio)
        .order_by("-day")
        .values_list("day", flat=True)
        .first()
    )
    if last is None or last < today:
        candidates.append(last or first)
    moments = [
        LedgerEntry.objects.filter(portfolio=portfolio, updated_at__gte=built).aggregate(
            m=Min("occurred_at")
        )["m"],
        Transfer.objects.filter(portfolio=portfolio, updated_at__gte=built).aggregate(
            m=Min("out_entry__occurred_at")
        )["m"],
        Transfer.objects.filter(portfolio=portfolio, updated_at__gte=built).aggregate(
            m=Min("in_entry__occurred_at")
        )["m"],
        OffsetBalance.objects.filter(offset__portfolio=portfolio, updated_at__gte=built).aggregate(
            m=Min("created_at")
        )["m"],
        AddressTransaction.objects.filter(
            address__portfolio=portfolio, created_at__gte=built
        ).aggregate(m=Min("txn_at"))["m"],
    ]
    codes = _codes(portfolio)
    moments.append(
        Price.objects.filter(
            created_at__gte=built, base__code__in=codes, quote__code__in=codes
        ).aggregate(m=Min("at"))["m"]
    )
    if SpotPrice.objects.filter(
        fetched_at__gte=built, base__code__in=codes, quote__code__in=codes
    ).exists():
        candidates.append(today)
    candidates.extend(m.date() for m in moments if m is not None)
    if not candidates:
        return None
    return max(min(candidates), first)


def _codes(portfolio: Portfolio) -> set[str]:
    """Every currency the portfolio holds, held or reports in, and the bridges."""
    held = set(
        LedgerEntry.objects.filter(portfolio=portfolio)
        .values_list("asset__code", flat=True)
        .distinct()
    )
    held |= set(
        OffsetBalance.objects.filter(offset__portfolio=portfolio).values_list(
            "currency__code", flat=True
        )
    )
    held |= set(
        AddressTransaction.objects.filter(address__portfolio=portfolio)
        .values_list("currency__code", flat=True)
        .distinct()
    )
    held |= set(
        PortfolioCurrency.objects.filter(portfolio=portfolio).values_list(
            "currency__code", flat=True
        )
    )
    return held | {"usd", "btc"}


def _compute(portfolio: Portfolio, first: date, since: date, today: date) -> list[ValuePoint]:
    """The rows of every reporting currency from ``since`` to ``today``."""
    start = max(first, since)
    days = [start + timedelta(days=n) for n in range((today - start).days + 1)]
    moment = datetime.combine(start, time.min, UTC)
    holdings = [h for source in holdings_sources() for h in source.history(portfolio, moment)]
    flows = external_flows(portfolio_id=portfolio.pk, since=moment)
    targets = list(
        PortfolioCurrency.objects.filter(portfolio=portfolio).values_list(
            "currency_id", "currency__code"
        )
    )
    codes = {h.currency for h in holdings} | {c for f in flows.values() for c in f}
    codes |= {code for _, code in targets} | {"usd", "btc"}
    balances = balances_by_day(holdings, days)
    rates = rates_by_day(portfolio_price_points(codes, start, today), days)
    rows = []
    for day in days:
        table = rates[day]
        held = {code: amount for code, amount in balances[day].items() if amount != 0}
        moved = {code: amount for code, amount in flows.get(day, {}).items() if amount != 0}
        for currency_id, target in targets:
            values, unpriced, priced = [], set(), set()
            for code, amount in held.items():
                value = convert(amount, code, target, table)
                if value is None:
                    unpriced.add(code)
                else:
                    values.append(value)
                    priced.add(code)
            flow_values = []
            for code, amount in moved.items():
                value = convert(amount, code, target, table)
                if value is None:
                    unpriced.add(code)
                else:
                    flow_values.append(value)
            rows.append(
                ValuePoint(
                    portfolio=portfolio,
                    currency_id=currency_id,
                    day=day,
                    value=_storable(exact_sum(values)),
                    flow=_storable(exact_sum(flow_values)),
                    unpriced=sorted(unpriced),
                    priced=sorted(priced),
                )
            )
    return rows


def _storable(value: Decimal) -> Decimal:
    """A day's value or flow as the database keeps it: exact on PostgreSQL (18 places); on the
    embedded SQLite database, which keeps 15 significant digits, rounded half-even to them. These
    are figures computed here (quantity x price), not what the user entered."""
    if connection.vendor != "sqlite" or value == 0:
        return value
    if significant_digits(value) <= SQLITE_SIGNIFICANT_DIGITS:
        return value
    exponent = value.adjusted() - SQLITE_SIGNIFICANT_DIGITS + 1
    return value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_EVEN)
