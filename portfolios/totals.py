"""Summing a portfolio's holdings and valuing them. Pure: dataclasses in, dataclasses out.

Each source of holdings (an address's explorer balance, an offset, a wallet fed by statement
imports or an exchange account) contributes ``SourceBalance`` rows; a currency's total is their
exact sum (README "What counts where"). The data age of a total (``balance_at``) is the oldest
of what went into it, so it never looks fresher than it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from prices.conversion import convert, exact_sum, rate

CALCULATED = "calculated"

# Where a part of the holdings comes from (``SourceBalance.origin``).
FROM_ADDRESS = "address"  # an address's balance, as its explorer reports it (confirmed)
FROM_WALLET = "wallet"  # a statement's wallet: what its ledger rows add up to
FROM_ACCOUNT = "account"  # an exchange account's balance, as the exchange reports it
FROM_OFFSET = "offset"  # a balance noted by hand


@dataclass(frozen=True)
class SourceBalance:
    currency: str
    balance: Decimal
    at: datetime | None
    source: str
    origin: str = ""  # FROM_ADDRESS, FROM_WALLET, FROM_ACCOUNT or FROM_OFFSET


@dataclass(frozen=True)
class HeldQuantity:
    """What the portfolio holds of one currency (``held``, the number every page shows), and
    how much of it offsets noted by hand."""

    held: Decimal
    offsets: Decimal


def held_quantities(parts: Iterable[SourceBalance]) -> dict[str, HeldQuantity]:
    """Per currency code, the exact sum of ``parts`` and of the offsets among them."""
    held: dict[str, Decimal] = {}
    offsets: dict[str, Decimal] = {}
    for part in parts:
        held[part.currency] = held.get(part.currency, Decimal(0)) + part.balance
        if part.origin == FROM_OFFSET:
            offsets[part.currency] = offsets.get(part.currency, Decimal(0)) + part.balance
    return {
        code: HeldQuantity(total, offsets.get(code, Decimal(0)))
        for code, total in sorted(held.items())
    }


@dataclass(frozen=True)
class TotalRow:
    currency: str
    balance: Decimal
    balance_at: datetime | None
    source: str


def _oldest(times: Iterable[datetime | None]) -> datetime | None:
    known = [t for t in times if t is not None]
    return min(known) if known else None


def sum_balances(
    parts: Iterable[SourceBalance], reporting: Iterable[str], *, now: datetime | None
) -> list[TotalRow]:
    """One row per currency that is held (by any source) or is a reporting currency, sorted by
    code. ``source`` is the one source when a single one contributed, else ``calculated``.
    A row with no time of its own is as old as the oldest part, else ``now`` (None: left None,
    the form the stored totals keep, filled in when served)."""
    totals: dict[str, Decimal] = {}
    times: dict[str, list[datetime | None]] = {}
    sources: dict[str, set[str]] = {}
    for part in parts:
        totals[part.currency] = totals.get(part.currency, Decimal(0)) + part.balance
        times.setdefault(part.currency, []).append(part.at)
        sources.setdefault(part.currency, set()).add(part.source)
    overall = _oldest(t for ts in times.values() for t in ts) or now
    for code in reporting:
        totals.setdefault(code, Decimal(0))
    rows = []
    for code in sorted(totals):
        names = sources.get(code, set())
        rows.append(
            TotalRow(
                currency=code,
                balance=totals[code],
                balance_at=_oldest(times.get(code, [])) or overall,
                source=next(iter(names)) if len(names) == 1 else CALCULATED,
            )
        )
    return rows


@dataclass(frozen=True)
class ConvertedRows:
    """``rows``: one total per reporting currency; ``unpriced``: the held currencies left out
    of any of them; ``left_out``: per reporting currency, the held currencies left out of it."""

    rows: list[TotalRow]
    unpriced: list[str]
    left_out: dict[str, list[str]] = field(default_factory=dict)


def convert_totals(
    totals: list[TotalRow],
    reporting: list[str],
    rates: Mapping[tuple[str, str], Decimal],
    rate_times: Mapping[tuple[str, str], datetime],
    *,
    now: datetime | None,
) -> ConvertedRows:
    """The whole portfolio valued in each reporting currency (rows sorted by code). Holdings
    with no price path to a reporting currency are left out of that total and listed in
    ``unpriced``. With no time from the balances or rates a row is ``now`` (see
    ``sum_balances``)."""
    held = [row for row in totals if row.balance != 0]
    unpriced: set[str] = set()
    rows = []
    oldest_rate = _oldest(rate_times.values())
    oldest_balance = _oldest(row.balance_at for row in held)
    left_out: dict[str, list[str]] = {}
    for target in sorted(set(reporting)):
        values = []
        missing = []
        for row in held:
            value = convert(row.balance, row.currency, target, rates)
            if value is None:
                missing.append(row.currency)
            else:
                values.append(value)
        unpriced.update(missing)
        left_out[target] = missing
        at = _oldest([oldest_balance, oldest_rate]) or now
        total = exact_sum(values)
        rows.append(TotalRow(currency=target, balance=total, balance_at=at, source=CALCULATED))
    return ConvertedRows(rows=rows, unpriced=sorted(unpriced), left_out=left_out)


@dataclass(frozen=True)
class HoldingValue:
    """One currency held: its quantity (``quantity``, exact), the names of the sources it comes
    from, the price of one unit and the value in the valuation currency (None without a price
    path), ``estimated`` when that price is a last stored one rather than a spot price
    (``price_at`` says from when)."""

    currency: str
    quantity: Decimal
    sources: tuple[str, ...]
    price: Decimal | None = None
    value: Decimal | None = None
    estimated: bool = False
    price_at: datetime | None = None


def value_holdings(
    totals: list[TotalRow],
    parts: Iterable[SourceBalance],
    target: str | None,
    *,
    spot: Mapping[tuple[str, str], Decimal],
    rates: Mapping[tuple[str, str], Decimal],
    estimate_times: Mapping[tuple[str, str], datetime],
) -> list[HoldingValue]:
    """Each row of ``totals`` (as ``sum_balances`` makes them) valued in ``target``, leaving
    out a reporting currency nothing holds. ``rates`` are the rates to value with: ``spot``
    itself, or ``spot`` over last known prices (``estimate_times``: their times); a holding
    whose price does not come from ``spot`` is ``estimated``."""
    sources: dict[str, set[str]] = {}
    for part in parts:
        sources.setdefault(part.currency, set()).add(part.source)
    valued = []
    for row in totals:
        if row.balance == 0 and row.currency not in sources:
            continue  # a reporting currency nothing holds
        price = value = price_at = None
        estimated = False
        if target is not None:
            live = rate(spot, row.currency, target)
            known = live or rate(rates, row.currency, target)
            if known is not None:
                price = known[0]
                value = convert(row.balance, row.currency, target, rates)
                estimated = live is None and row.currency != target
                if estimated:
                    price_at = max(
                        (at for (base, _), at in estimate_times.items() if base == row.currency),
                        default=None,
                    )
        valued.append(
            HoldingValue(
                currency=row.currency,
                quantity=row.balance,
                sources=tuple(sorted(sources.get(row.currency, ()))),
                price=price,
                value=value,
                estimated=estimated,
                price_at=price_at,
            )
        )
    return valued
