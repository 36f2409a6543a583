"""Reads of a portfolio's stored cost basis, for the API and the dashboard: the summary (per
asset, valued at spot prices in every reporting currency), open lots, disposals with the lots
they used, and the realized gains of a year as a Form 8949-like CSV.

A position's ``quantity`` is what the portfolio holds, from the same selector as the totals
and the dashboard (``portfolios.freshness.portfolio_holdings``); the lots cover
``lots_quantity`` of it, and cost, value and unrealized gain are of that part. The rest
(``without_lots``) is what has no purchase history here: offsets, and an address balance its
fetched history does not explain. Coins sent out of tracked wallets are ``elsewhere``: not
held, their lots kept for when they come back (README "What counts where").

Every figure is in the build's fiat currency (``CostBasisBuild.currency``) unless it says
otherwise; amounts are answered at the 18 decimal places they are stored with (the summary's
exact sums rounded once, half-even). Years and dates are those of the tax time zone the build
was computed in (``build_zone``): the user's, UTC by default.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal, localcontext
from typing import Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from core.money import format_amount, quantize_for_display
from costbasis.engine import tax_zone
from costbasis.engine.arith import EXACT, div, share
from costbasis.models import CostBasisBuild, CostBasisSettings, Disposal, DisposalLot, Lot
from costbasis.services import Freshness, costbasis_settings_get, q18
from currencies.models import Currency
from ledger.models import LedgerEntry
from portfolios.freshness import portfolio_holdings
from portfolios.models import Portfolio
from portfolios.selectors import reporting_currencies
from portfolios.totals import HeldQuantity, held_quantities
from prices.conversion import convert
from prices.selectors import spot_rates

ZERO = Decimal(0)


# --- the summary -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Valuation:
    """An asset (or the portfolio) valued in one reporting currency; None where no price path
    exists (the asset's spot price, or the rate from the build's fiat currency)."""

    currency: str
    cost: Decimal | None
    market_value: Decimal | None
    unrealized_gain: Decimal | None


@dataclass(frozen=True)
class Position:
    """One asset: ``quantity`` held (as every page shows it), ``lots_quantity`` of it covered
    by open lots in tracked wallets (costing ``cost``; ``values`` are of that part),
    ``without_lots`` the rest (of which ``offsets`` noted by hand), ``elsewhere`` sent out of
    tracked wallets (not held; its lots cost ``elsewhere_cost``)."""

    currency: Currency
    quantity: Decimal
    lots_quantity: Decimal
    without_lots: Decimal
    offsets: Decimal
    elsewhere: Decimal
    cost: Decimal
    elsewhere_cost: Decimal
    average_unit_cost: Decimal | None
    values: list[Valuation]


@dataclass(frozen=True)
class LotsHeld:
    """One asset's open lots in a stored build: in tracked wallets, and elsewhere."""

    quantity: Decimal
    cost: Decimal
    elsewhere: Decimal
    elsewhere_cost: Decimal


NO_LOTS = LotsHeld(ZERO, ZERO, ZERO, ZERO)
NOT_HELD = HeldQuantity(ZERO, ZERO)


def build_lots(build: CostBasisBuild) -> dict[str, LotsHeld]:
    """Per asset code, from the build's stored summary (exact). A build stored before the
    elsewhere cost was kept gives it its share of the cost by quantity."""
    held = {}
    with localcontext(EXACT):
        for code, values in (build.summary or {}).get("holdings", {}).items():
            quantity, cost = Decimal(values[0]), Decimal(values[1])
            there = Decimal(values[2]) if len(values) > 2 else ZERO
            if len(values) > 3:
                there_cost = Decimal(values[3])
            else:
                there_cost = share(cost, there, quantity) if there and quantity else ZERO
            held[code] = LotsHeld(quantity - there, cost - there_cost, there, there_cost)
    return held


@dataclass(frozen=True)
class Total:
    """Over the assets priced in ``currency``; ``unpriced`` are left out of all three."""

    currency: str
    cost: Decimal
    market_value: Decimal
    unrealized_gain: Decimal
    unpriced: list[str]


@dataclass(frozen=True)
class Realized:
    year: int
    proceeds: Decimal
    cost: Decimal
    short_term: Decimal
    long_term: Decimal

    @property
    def total(self) -> Decimal:
        return self.short_term + self.long_term


@dataclass(frozen=True)
class AssetYear:
    """One asset's realized gains and income in one year (of the tax time zone)."""

    currency: Currency
    year: int
    proceeds: Decimal
    cost: Decimal
    short_term: Decimal
    long_term: Decimal
    income: Decimal

    @property
    def total(self) -> Decimal:
        return self.short_term + self.long_term


@dataclass(frozen=True)
class Missing:
    currency: Currency
    quantity: Decimal
    count: int
    transactions: list[int]


@dataclass(frozen=True)
class Summary:
    build: CostBasisBuild
    stale: bool
    settings: CostBasisSettings
    positions: list[Position]
    totals: list[Total]
    realized: list[Realized]
    income: list[tuple[int, Decimal]]
    by_asset: list[AssetYear]  # sorted by currency code, then year
    missing: list[Missing]
    flags: dict[str, int]

    @property
    def explains_differences(self) -> bool:
        """Whether some position is held without lots, or has coins elsewhere."""
        return any(p.without_lots or p.elsewhere for p in self.positions)


def costbasis_summary(*, portfolio: Portfolio, freshness: Freshness) -> Summary:
    """The stored summary valued at the stored spot prices, beside what the portfolio holds
    now: a fixed number of queries."""
    build = freshness.build
    data = build.summary or {}
    lots = build_lots(build)
    held = held_quantities(portfolio_holdings(portfolio).parts)
    missing = data.get("missing", {})
    by_asset = data.get("by_asset", {})
    codes = set(lots) | set(held) | set(missing) | set(by_asset)
    currencies = {c.code: c for c in Currency.objects.filter(code__in=codes)}
    reporting = sorted({c.code for c in reporting_currencies(portfolio)})
    fiat = build.currency.code if build.currency is not None else "usd"
    rates, _, _ = spot_rates(set(lots) | set(held) | set(reporting) | {fiat})
    positions = []
    # target -> [cost, market value, codes without a price]
    sums: dict[str, list[Any]] = {code: [ZERO, ZERO, []] for code in reporting}
    with localcontext(EXACT):
        for code in sorted(set(lots) | set(held)):
            part = lots.get(code, NO_LOTS)
            holding = held.get(code, NOT_HELD)
            if not (holding.held or part.quantity or part.elsewhere) or code not in currencies:
                continue
            values = []
            # Valued where there are lots: a holding without any has no cost to compare with.
            for target in reporting if part.quantity or part.cost else ():
                market = convert(part.quantity, code, target, rates)
                cost_there = convert(part.cost, fiat, target, rates)
                gain = None if market is None or cost_there is None else market - cost_there
                values.append(Valuation(target, _q(cost_there), _q(market), _q(gain)))
                if gain is None:
                    sums[target][2].append(code)
                else:
                    sums[target][0] += cost_there
                    sums[target][1] += market
            positions.append(
                Position(
                    currency=currencies[code],
                    quantity=q18(holding.held),
                    lots_quantity=q18(part.quantity),
                    without_lots=q18(holding.held - part.quantity),
                    offsets=q18(holding.offsets),
                    elsewhere=q18(part.elsewhere),
                    cost=q18(part.cost),
                    elsewhere_cost=q18(part.elsewhere_cost),
                    average_unit_cost=q18(div(part.cost, part.quantity)) if part.quantity else None,
                    values=values,
                )
            )
    totals = [
        Total(target, q18(cost), q18(market), q18(market - cost), sorted(unpriced))
        for target, (cost, market, unpriced) in sums.items()
    ]
    realized = [
        Realized(int(year), *(q18(Decimal(v)) for v in values))
        for year, values in sorted(data.get("realized", {}).items())
    ]
    income = [(int(y), q18(Decimal(v))) for y, v in sorted(data.get("income", {}).items())]
    per_asset = [
        AssetYear(currencies[code], int(year), *(q18(Decimal(v)) for v in values))
        for code, years in sorted(by_asset.items())
        for year, values in sorted(years.items(), key=lambda item: int(item[0]))
    ]
    shown = [
        Missing(currencies[code], q18(Decimal(quantity)), count, list(ids))
        for code, (quantity, count, ids) in sorted(missing.items())
    ]
    return Summary(
        build=build,
        stale=freshness.stale,
        settings=costbasis_settings_get(portfolio=portfolio),
        positions=positions,
        totals=totals,
        realized=realized,
        income=income,
        by_asset=per_asset,
        missing=shown,
        flags=dict(sorted(data.get("flags", {}).items())),
    )


def _q(value: Decimal | None) -> Decimal | None:
    return None if value is None else q18(value)


# --- lots and disposals ------------------------------------------------------------------------


def build_zone(build: CostBasisBuild) -> tzinfo:
    """The tax time zone the build's results were computed in (UTC for a build made before
    the zone was a setting)."""
    return tax_zone((build.settings or {}).get("time_zone", "UTC"))


def year_span(year: int, zone: tzinfo) -> tuple[datetime, datetime]:
    """The first moment of the year and of the next, in ``zone``."""
    return datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)


# --- the source's id of a ledger row ----------------------------------------------------------

LEG_SUFFIXES = ("in", "out", "fee")


def source_external_id(external_id: str | None, reference: str | None) -> str | None:
    """The id a ledger row has at its source, for a user to find it there: the chain
    transaction id of an address row (``reference``), else the statement row's ID (the row's
    external id without the ``:in``/``:out`` leg the import adds when one row gives two
    movements). None when the row is gone (results older than the ledger)."""
    if reference:
        return reference
    if not external_id:
        return None
    base, colon, leg = external_id.rpartition(":")
    return base if colon and leg in LEG_SUFFIXES else external_id


def _with_source_ids(queryset: QuerySet, entry_field: str, prefix: str) -> QuerySet[Any]:
    """Annotate ``<prefix>_external_id`` and ``<prefix>_reference`` of the ledger row named by
    ``entry_field``. Subqueries rather than a join: the derived rows' links have no database
    constraint, and a row whose entry is gone must still be listed."""
    entry = LedgerEntry.objects.filter(pk=OuterRef(entry_field))
    return queryset.annotate(
        **{
            f"{prefix}_external_id": Subquery(entry.values("external_id")[:1]),
            f"{prefix}_reference": Subquery(entry.values("reference")[:1]),
        }
    )


def costbasis_build_get(*, portfolio: Portfolio) -> CostBasisBuild | None:
    """The portfolio's last build as stored (a failed or unfinished one too), None before any."""
    return CostBasisBuild.objects.filter(portfolio=portfolio).select_related("currency").first()


def costbasis_lots(*, portfolio: Portfolio) -> QuerySet[Lot]:
    """The open lots, by asset and acquisition time, with their currency, wallet and the
    acquiring row's source ids (``source_external_id``, ``source_reference``)."""
    lots = (
        Lot.objects.filter(portfolio=portfolio)
        .select_related("asset", "wallet")
        .order_by("asset__code", "acquired_at", "source_entry_id", "pool", "id")
    )
    return _with_source_ids(lots, "source_entry_id", "source")


def costbasis_disposals(*, portfolio: Portfolio) -> QuerySet[Disposal]:
    """The disposals in time order, with their currency, wallet and the lots they used (two
    queries a page), and the source ids of their rows (``entry_*`` on a disposal, ``source_*``
    on a lot used)."""
    used = DisposalLot.objects.filter(portfolio=portfolio).order_by("disposal_id", "position")
    disposals = (
        Disposal.objects.filter(portfolio=portfolio)
        .select_related("asset", "wallet")
        .prefetch_related(
            Prefetch("lots", queryset=_with_source_ids(used, "source_entry_id", "source"))
        )
        .order_by("at", "entry_id", "id")
    )
    return _with_source_ids(disposals, "entry_id", "entry")


# --- the tax report ----------------------------------------------------------------------------


def report_rows(*, portfolio: Portfolio, year: int, zone: tzinfo) -> Iterable[tuple]:
    """One row per lot used by the disposals of the year (in ``zone``), in time order:
    (quantity, code, acquired at, source entry, sold at, disposal entry, proceeds, cost,
    long_term, and the source ids of the disposal's row and of the acquiring row: external id
    and reference of each). Streamed."""
    start, end = year_span(year, zone)
    used = DisposalLot.objects.filter(
        portfolio=portfolio, disposal__at__gte=start, disposal__at__lt=end
    )
    linked = _with_source_ids(used, "disposal__entry_id", "entry")
    linked = _with_source_ids(linked, "source_entry_id", "source")
    return (
        linked.order_by("disposal__at", "disposal__entry_id", "disposal_id", "position")
        .values_list(
            "quantity",
            "disposal__asset__code",
            "acquired_at",
            "source_entry_id",
            "disposal__at",
            "disposal__entry_id",
            "proceeds",
            "cost",
            "long_term",
            "entry_external_id",
            "entry_reference",
            "source_external_id",
            "source_reference",
        )
        .iterator(chunk_size=5000)
    )


def report_csv(*, portfolio: Portfolio, build: CostBasisBuild, year: int) -> str:
    """The realized gains of ``year`` as CSV, Form 8949-like: one line per lot used, then three
    totals lines (short-term, long-term, all). Each line names the disposal's and the
    acquisition's ledger row and, last, their ids at the source (Coinbase ID, chain txid). Amounts are rounded to the currency's minor unit
    (cents) for display only; each total is the exact sum of the stored amounts rounded once,
    so it equals the API's realized gains of the year to the cent (and may differ from the sum
    of the rounded lines by a cent or so). Years and dates are those of the build's tax time
    zone, the dates the holding period was judged on; a lot that was missing (an oversell) is
    acquired "unknown"."""
    zone = build_zone(build)
    currency = build.currency
    code = currency.code.upper() if currency is not None else "USD"
    places = currency.decimals if currency is not None else 2
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "Description",
            "Date acquired",
            "Date sold",
            f"Proceeds ({code})",
            f"Cost basis ({code})",
            f"Gain or loss ({code})",
            "Term",
            "Transaction",
            "Acquired by transaction",
            "External ID",
            "Acquired by external ID",
        ]
    )
    sums = {True: [ZERO, ZERO, ZERO], False: [ZERO, ZERO, ZERO]}

    def money(value: Decimal) -> str:
        return format(quantize_for_display(value, places), "f")

    with localcontext(EXACT):
        for row in report_rows(portfolio=portfolio, year=year, zone=zone):
            quantity, asset, acquired, source, sold, entry, proceeds, cost, long_term = row[:9]
            entry_ids, source_ids = row[9:11], row[11:13]
            gain = proceeds - cost
            sums[long_term][0] += proceeds
            sums[long_term][1] += cost
            sums[long_term][2] += gain
            writer.writerow(
                [
                    f"{format_amount(quantity)} {asset.upper()}",
                    "unknown" if source is None else f"{acquired.astimezone(zone):%Y-%m-%d}",
                    f"{sold.astimezone(zone):%Y-%m-%d}",
                    money(proceeds),
                    money(cost),
                    money(gain),
                    "long" if long_term else "short",
                    entry,
                    "" if source is None else source,
                    source_external_id(*entry_ids) or "",
                    "" if source is None else source_external_id(*source_ids) or "",
                ]
            )
        both = [a + b for a, b in zip(sums[False], sums[True], strict=True)]
        for label, values in (
            ("Total short-term", sums[False]),
            ("Total long-term", sums[True]),
            ("Total", both),
        ):
            writer.writerow([label, "", "", *(money(v) for v in values), "", "", "", "", ""])
    return out.getvalue()
