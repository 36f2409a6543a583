"""Totals over the engine's records. They take plain iterables, so the records of several
incremental compute() calls can be chained together."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, localcontext

from costbasis.engine.arith import EXACT, ZERO, share
from costbasis.engine.model import ELSEWHERE, Disposal, Income, Lot, PoolKey


@dataclass(frozen=True, slots=True)
class YearGains:
    """Realized gains of one year (in the tax time zone the disposals' times are expressed in),
    in fiat. Gains by holding period, from the lot portions."""

    proceeds: Decimal
    cost: Decimal
    short_term: Decimal
    long_term: Decimal

    @property
    def total(self) -> Decimal:
        return self.short_term + self.long_term


@dataclass(frozen=True, slots=True)
class Holding:
    """Open quantity and its remaining cost; `elsewhere` of it, costing `elsewhere_cost`, is
    held in untracked wallets."""

    quantity: Decimal
    cost: Decimal
    elsewhere: Decimal = ZERO
    elsewhere_cost: Decimal = ZERO


def realized_gains_by_year(disposals: Iterable[Disposal]) -> dict[int, YearGains]:
    totals: dict[int, list[Decimal]] = {}
    with localcontext(EXACT):
        for disposal in disposals:
            year = totals.setdefault(disposal.at.year, [ZERO, ZERO, ZERO, ZERO])
            year[0] += disposal.proceeds
            year[1] += disposal.cost
            for portion in disposal.portions:
                year[3 if portion.long_term else 2] += portion.proceeds - portion.cost
    return {year: YearGains(*values) for year, values in sorted(totals.items())}


@dataclass(frozen=True, slots=True)
class AssetYear:
    """One asset's realized gains (by holding period) and income in one year, in fiat."""

    proceeds: Decimal
    cost: Decimal
    short_term: Decimal
    long_term: Decimal
    income: Decimal

    @property
    def total(self) -> Decimal:
        return self.short_term + self.long_term


def by_asset_and_year(
    disposals: Iterable[Disposal], incomes: Iterable[Income]
) -> dict[tuple[str, int], AssetYear]:
    """Per (asset, year), sorted: what realized_gains_by_year and income_by_year give per year,
    split by asset. Years as there (the disposals' times, the incomes' own year)."""
    totals: dict[tuple[str, int], list[Decimal]] = {}
    with localcontext(EXACT):
        for disposal in disposals:
            row = totals.setdefault((disposal.asset, disposal.at.year), [ZERO] * 5)
            row[0] += disposal.proceeds
            row[1] += disposal.cost
            for portion in disposal.portions:
                row[3 if portion.long_term else 2] += portion.proceeds - portion.cost
        for income in incomes:
            row = totals.setdefault((income.asset, income.year), [ZERO] * 5)
            row[4] += income.value
    return {key: AssetYear(*values) for key, values in sorted(totals.items())}


def income_by_year(incomes: Iterable[Income]) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = {}
    with localcontext(EXACT):
        for income in incomes:
            totals[income.year] = totals.get(income.year, ZERO) + income.value
    return dict(sorted(totals.items()))


def holdings_by_pool(lots: Iterable[Lot]) -> dict[PoolKey, Holding]:
    """Per (asset, wallet): wallet None in universal pooling; ELSEWHERE and in-transit pools
    appear as their own keys in per-wallet pooling."""
    totals: dict[PoolKey, tuple[Decimal, Decimal]] = {}
    with localcontext(EXACT):
        for lot in lots:
            quantity, cost = totals.get(lot.pool, (ZERO, ZERO))
            totals[lot.pool] = (quantity + lot.remaining_quantity, cost + lot.remaining_cost)
    return {
        key: Holding(quantity, cost)
        for key, (quantity, cost) in sorted(
            totals.items(), key=lambda item: (item[0][0], item[0][1] or "")
        )
    }


def holdings(
    lots: Iterable[Lot], elsewhere: dict[str, Decimal] | None = None
) -> dict[str, Holding]:
    """Per asset, everywhere (tracked wallets, elsewhere, in transit); pass Result.elsewhere to
    fill `Holding.elsewhere` and `elsewhere_cost`: per wallet the cost of the lots in the
    ELSEWHERE pool; in universal pooling, where the coins elsewhere are no particular lots, their
    share of the pool's cost by quantity."""
    totals: dict[str, tuple[Decimal, Decimal]] = {}
    apart: dict[str, Decimal] = {}  # cost of the lots in the ELSEWHERE pool (per wallet)
    with localcontext(EXACT):
        for lot in lots:
            quantity, cost = totals.get(lot.asset, (ZERO, ZERO))
            totals[lot.asset] = (quantity + lot.remaining_quantity, cost + lot.remaining_cost)
            if lot.wallet == ELSEWHERE:
                apart[lot.asset] = apart.get(lot.asset, ZERO) + lot.remaining_cost
        elsewhere = elsewhere or {}
        held = {}
        for asset, (quantity, cost) in sorted(totals.items()):
            there = elsewhere.get(asset, ZERO)
            there_cost = apart.get(asset)
            if there_cost is None:
                there_cost = share(cost, there, quantity) if there and quantity else ZERO
            held[asset] = Holding(quantity, cost, there, there_cost)
    return held
