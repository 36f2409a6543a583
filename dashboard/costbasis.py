"""The dashboard's side of the cost basis (``costbasis.services`` and
``costbasis.selectors``): what the cost-basis page and the overview's unrealized gains read.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.exceptions import NotReady
from costbasis import selectors, services
from costbasis.engine import Method, Pooling


@dataclass(frozen=True)
class Gain:
    """The unrealized gain of ``quantity`` (the part of a holding that open lots cover, which
    may be less than the holding) at a price, and what those lots cost."""

    quantity: Decimal
    cost: Decimal
    unrealized: Decimal


@dataclass(frozen=True)
class GainsSource:
    """The quantity and remaining cost of the open lots in tracked wallets per asset (not the
    ones elsewhere: those coins are not held), in ``currency_code`` (the build's fiat
    currency), from the last cost-basis build."""

    currency_code: str
    held: dict[str, tuple[Decimal, Decimal]]
    stale: bool

    def gain(
        self, code: str, quantity: Decimal, price: Decimal | None, *, valued_in: str
    ) -> Gain | None:
        """The gain of the part of ``quantity`` the lots cover, at ``price`` (of one unit, in
        ``valued_in``). None when the lots know nothing of it, or when the cost is in another
        currency than the price."""
        if price is None or valued_in != self.currency_code or code not in self.held:
            return None
        lots, cost = self.held[code]
        if lots <= 0 or quantity <= 0:
            return None
        covered = min(lots, quantity)
        covered_cost = cost if covered == lots else cost * covered / lots
        return Gain(covered, covered_cost, price * covered - covered_cost)


def unrealized_gains(*, portfolio: Any) -> GainsSource | None:
    """From the stored build (a stale one is used while a rebuild is enqueued); None when it is
    not built yet (its first build is then enqueued)."""
    try:
        freshness = services.costbasis_ready(portfolio=portfolio)
    except NotReady:
        return None
    build = freshness.build
    held = {code: (lots.quantity, lots.cost) for code, lots in selectors.build_lots(build).items()}
    code = build.currency.code if build.currency is not None else "usd"
    return GainsSource(currency_code=code, held=held, stale=freshness.stale)


@dataclass(frozen=True)
class Overview:
    """What the cost-basis page shows. ``summary`` (``costbasis.selectors.Summary``) is
    None while the first build is on its way (``pending``). ``failure`` is the last failed
    build's error."""

    summary: Any = None
    pending: bool = False
    failure: str = ""
    settings: Any = None
    lots: Any = None  # QuerySet of open lots, for paging


def costbasis_overview(*, portfolio: Any) -> Overview:
    """The stored cost basis of the portfolio (enqueueing a build when there is none or it is
    stale, as the API does)."""
    settings = services.costbasis_settings_get(portfolio=portfolio)
    try:
        freshness = services.costbasis_ready(portfolio=portfolio)
    except NotReady:
        build = selectors.costbasis_build_get(portfolio=portfolio)
        failure = build.error if build is not None and build.status == "failed" else ""
        return Overview(pending=True, failure=failure, settings=settings)
    summary = selectors.costbasis_summary(portfolio=portfolio, freshness=freshness)
    failure = freshness.build.error if freshness.build.status == "failed" else ""
    return Overview(
        summary=summary,
        failure=failure,
        settings=settings,
        lots=selectors.costbasis_lots(portfolio=portfolio),
    )


def settings_update(*, portfolio: Any, **changes: Any) -> Any:
    """``costbasis_settings_update`` (ValidationFailed with its sentences)."""
    return services.costbasis_settings_update(portfolio=portfolio, **changes)


def rebuild(*, portfolio: Any) -> services.RebuildRequest:
    """Ask for a rebuild from scratch (one already queued is upgraded to it)."""
    return services.costbasis_rebuild(portfolio, force=True)


def year_report(*, portfolio: Any, year: int) -> str | None:
    """The realized gains of ``year`` as CSV (the API's report), None before the first build."""
    try:
        build = services.costbasis_ready(portfolio=portfolio).build
    except NotReady:
        return None
    return selectors.report_csv(portfolio=portfolio, build=build, year=year)


def choices() -> tuple[list[str], list[str]]:
    """The engine's methods and poolings."""
    return [m.value for m in Method], [p.value for p in Pooling]
