"""Reads for portfolios, always filtered by owner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, Literal

from django.db.models import Count, Model, Prefetch, QuerySet, prefetch_related_objects
from django.utils import timezone

from core.exceptions import NotFound
from portfolios.freshness import (
    Holdings,
    Waits,
    fetches_due,
    portfolio_holdings,
    prices_settled_until,
)
from portfolios.models import (
    Portfolio,
    PortfolioCurrency,
    PortfolioTarget,
)
from portfolios.targets import Analytics, Position, portfolio_analytics
from portfolios.totals import (
    ConvertedRows,
    HoldingValue,
    TotalRow,
    convert_totals,
    sum_balances,
    value_holdings,
)
from prices.conversion import convert, rate
from prices.selectors import last_known_rates, spot_rates
from users.models import User

# A portfolio's targets with their currencies, for the API's ``target_allocations``.
_TARGETS = Prefetch("targets", queryset=PortfolioTarget.objects.select_related("currency"))


def portfolio_list(*, user: User) -> QuerySet[Portfolio]:
    return (
        Portfolio.objects.filter(user=user)
        .annotate(
            currencies_count=Count("reporting_currencies", distinct=True),
            addresses_count=Count("addresses", distinct=True),
            offsets_count=Count("offsets", distinct=True),
            accounts_count=Count("accounts", distinct=True),
        )
        .prefetch_related(_TARGETS)
    )


def portfolio_menu(*, user: User) -> QuerySet[Portfolio]:
    """The user's portfolios for a menu: id and title only, by title."""
    return Portfolio.objects.filter(user=user).only("id", "title").order_by("title", "id")


def portfolio_overview(*, user: User) -> QuerySet[Portfolio]:
    """``portfolio_list`` (with its counts) plus the reporting currencies in the user's order,
    in two queries whatever the number of portfolios."""
    return portfolio_list(user=user).prefetch_related(
        Prefetch(
            "reporting_currencies", queryset=PortfolioCurrency.objects.select_related("currency")
        )
    )


def portfolio_title_shared(*, portfolio: Portfolio) -> bool:
    """Does another portfolio of the same user have this one's title? Allowed (API clients
    choose titles freely); the dashboard mentions it so that the user can tell them apart."""
    return (
        Portfolio.objects.filter(user_id=portfolio.user_id, title=portfolio.title)
        .exclude(pk=portfolio.pk)
        .exists()
    )


def portfolio_get(*, user: User, portfolio_id: int | str) -> Portfolio:
    """The user's portfolio or NotFound (also for another user's portfolio)."""
    try:
        pk = int(portfolio_id)
    except (TypeError, ValueError):
        raise NotFound("no such portfolio")
    portfolio = Portfolio.objects.filter(user=user, pk=pk).first()
    if portfolio is None:
        raise NotFound("no such portfolio")
    return portfolio


def portfolio_get_detailed(*, user: User, portfolio_id: int | str) -> Portfolio:
    """The portfolio with its currencies, addresses and offsets loaded in a fixed number of
    queries."""
    portfolio = portfolio_get(user=user, portfolio_id=portfolio_id)
    return (
        Portfolio.objects.filter(pk=portfolio.pk)
        .prefetch_related(
            Prefetch(
                "reporting_currencies",
                queryset=PortfolioCurrency.objects.select_related("currency"),
            ),
            Prefetch(
                "addresses", queryset=_rows(Portfolio, "addresses").select_related("currency")
            ),
            "offsets",
            _TARGETS,
            "accounts",
        )
        .get()
    )


def portfolio_get_with_sources(*, user: User, portfolio_id: int | str) -> Portfolio:
    """``portfolio_get_detailed`` plus each offset's balances and each address's fetch state
    and balances, in a fixed number of queries. NotFound for another user's portfolio."""
    portfolio = portfolio_get_detailed(user=user, portfolio_id=portfolio_id)
    offset = _related(Portfolio, "offsets")
    address = _related(Portfolio, "addresses")
    prefetch_related_objects(
        list(portfolio.offsets.all()),
        Prefetch("balances", queryset=_rows(offset, "balances").select_related("currency")),
    )
    prefetch_related_objects(
        list(portfolio.addresses.all()),
        "fetch_state",
        Prefetch("balances", queryset=_rows(address, "balances").select_related("currency")),
    )
    return portfolio


def _related(model: type[Model], name: str) -> type[Model]:
    """The model behind a reverse relation: addresses and offsets point at Portfolio and
    portfolios does not import them back (no import cycle between the apps)."""
    related = model._meta.get_field(name).related_model
    assert isinstance(related, type), name
    return related


def _rows(model: type[Model], name: str) -> QuerySet[Any]:
    return _related(model, name)._default_manager.all()


def fiat_reporting_codes(*, portfolio: Portfolio) -> list[str]:
    """The portfolio's fiat reporting currencies, in the user's order."""
    return list(
        PortfolioCurrency.objects.filter(portfolio=portfolio, currency__is_fiat=True)
        .order_by("position", "id")
        .values_list("currency__code", flat=True)
    )


def reporting_currencies(portfolio: Portfolio) -> list:
    return [pc.currency for pc in portfolio.reporting_currencies.all()]


def portfolio_currency_codes_in_use() -> set[str]:
    """Every reporting currency and every target asset of any portfolio, whoever owns it: the
    price refresh (registered in ``PortfoliosConfig.ready``) quotes in the first and prices the
    second, so that a target asset not held yet has a price for the quantity to buy."""
    reporting = PortfolioCurrency.objects.values_list("currency__code", flat=True).distinct()
    targets = PortfolioTarget.objects.values_list("currency__code", flat=True).distinct()
    return set(reporting) | set(targets)


# How ``portfolio_valuation`` prices the holdings.
SPOT: Final = "spot"  # the stored spot prices only (the API)
LAST_KNOWN: Final = "last_known"  # spot, else the newest stored price of the pair, marked estimated
PriceBasis = Literal["spot", "last_known"]


@dataclass(frozen=True)
class Settled:
    """A valuation that enqueued nothing and waits for nothing (everything fetched and fresh,
    prices tried), in the form the stored totals keep (``portfolios.models.PortfolioTotals``):
    rows as ``sum_balances`` and ``convert_totals`` make them but with ``balance_at`` None where
    it is "now", and when each answer changes by time alone (None: never)."""

    balances: list[TotalRow]
    balances_until: datetime | None
    converted: ConvertedRows | None = None  # only for spot prices
    converted_until: datetime | None = None


@dataclass(frozen=True)
class PortfolioValuation:
    """A portfolio's holdings and values at one moment, what the API's totals and the
    dashboard both render.

    ``reporting``: the reporting currency codes in the user's order (the first is the main
    one); ``holdings``: the parts and their fetch state; ``balances``: one row per currency
    held or reported, sorted by code (``sum_balances``); ``converted``: the whole portfolio in
    each reporting currency, sorted by code (None when not priced); ``rows``: each held
    currency valued in the main reporting currency; ``waits``: what is being fetched (only
    when the valuation enqueued the fetches due); ``prices_at``: the quote time of the oldest
    spot price at hand."""

    reporting: list[str]
    holdings: Holdings
    balances: list[TotalRow]
    converted: ConvertedRows | None
    rows: list[HoldingValue]
    waits: Waits
    prices_at: datetime | None = None
    settled: Settled | None = None

    @property
    def main(self) -> str | None:
        return self.reporting[0] if self.reporting else None

    def total(self, code: str) -> Decimal | None:
        """The portfolio's value in reporting currency ``code``: the sum of what has a price
        path (the rest is in ``left_out(code)``), None when nothing held can be priced."""
        if self.converted is None:
            return None
        held = {row.currency for row in self.balances if row.balance != 0}
        if held and set(self.left_out(code)) >= held:
            return None
        return next((r.balance for r in self.converted.rows if r.currency == code), None)

    def left_out(self, code: str) -> list[str]:
        """The held currencies without a price path to ``code``, sorted."""
        return self.converted.left_out.get(code, []) if self.converted else []

    @property
    def totals(self) -> list[TotalRow]:
        """The whole portfolio in each reporting currency, sorted by code (empty unpriced)."""
        return self.converted.rows if self.converted else []

    @property
    def unpriced(self) -> list[str]:
        """The held currencies left out of some reporting currency's total, sorted."""
        return self.converted.unpriced if self.converted else []

    @property
    def estimated(self) -> list[str]:
        """The held currencies valued at a last stored price rather than a spot price."""
        return [row.currency for row in self.rows if row.estimated]

    @property
    def balances_at(self) -> datetime | None:
        """The oldest figure that went into the held balances."""
        return min(
            (r.balance_at for r in self.balances if r.balance != 0 and r.balance_at),
            default=None,
        )

    @property
    def updated_at(self) -> datetime | None:
        """The newest figure that went into the balances."""
        return max((p.at for p in self.holdings.parts if p.at), default=None)


def portfolio_valuation(
    portfolio: Portfolio,
    *,
    prices: PriceBasis | None = SPOT,
    enqueue: bool = False,
    now: datetime | None = None,
) -> PortfolioValuation:
    """The one selector of a portfolio's holdings and values (README "What counts where"):
    every source's balances summed, and with ``prices`` valued in each reporting currency at
    the stored spot prices (``SPOT``) or, where no spot price was fetched yet, at the newest
    stored price of the pair (``LAST_KNOWN``: an offline server still shows values, marked
    estimated). ``prices=None``: quantities only, no price is read.

    With ``enqueue`` the fetches that are due (balances, and spot prices when priced) are
    enqueued, never twice, and ``waits`` says what is awaited; nothing is raised here (the API
    raises ``NotReady`` from ``waits``, the dashboard says it in words).

    A fixed number of queries whatever the number of addresses, offsets and wallets."""
    now = now or timezone.now()
    holdings = portfolio_holdings(portfolio, now=now)
    reporting = holdings.reporting
    balances = sum_balances(holdings.parts, reporting, now=now)
    if prices is None:
        waits = Waits()
        settled = None
        if enqueue:
            waits = fetches_due(holdings, spot_unpriced=None, spot={}, fetched_at={}, now=now)
            if holdings.settled and waits.try_again_at is None:
                timeless = sum_balances(holdings.parts, reporting, now=None)
                settled = Settled(timeless, holdings.changes_at)
        rows = value_holdings(balances, holdings.parts, None, spot={}, rates={}, estimate_times={})
        return PortfolioValuation(reporting, holdings, balances, None, rows, waits, settled=settled)
    codes = {row.currency for row in balances} | holdings.fetching_codes
    spot, spot_times, fetched_at = spot_rates(codes)
    converted = spot_converted = convert_totals(balances, reporting, spot, spot_times, now=now)
    rates = spot
    estimate_times: dict[tuple[str, str], datetime] = {}
    if prices == LAST_KNOWN:
        last_known, estimate_times = last_known_rates(codes)
        rates = {**last_known, **spot}
        times = {**estimate_times, **spot_times}
        converted = convert_totals(balances, reporting, rates, times, now=now)
    waits = Waits()
    if enqueue:
        waits = fetches_due(
            holdings,
            spot_unpriced=spot_converted.unpriced,
            spot=spot,
            fetched_at=fetched_at,
            now=now,
        )
    main = reporting[0] if reporting else None
    rows = value_holdings(
        balances, holdings.parts, main, spot=spot, rates=rates, estimate_times=estimate_times
    )
    settled = None
    if enqueue and prices == SPOT and holdings.settled and waits.try_again_at is None:
        settled = _settled(holdings, spot, spot_times, fetched_at, now=now)
    return PortfolioValuation(
        reporting,
        holdings,
        balances,
        converted,
        rows,
        waits,
        prices_at=min(spot_times.values()) if spot_times else None,
        settled=settled,
    )


def _settled(
    holdings: Holdings,
    spot: dict[tuple[str, str], Decimal],
    spot_times: dict[tuple[str, str], datetime],
    fetched_at: dict[tuple[str, str], datetime],
    *,
    now: datetime,
) -> Settled | None:
    """The stored form of a spot valuation that enqueued nothing (see ``Settled``); None when
    the prices were due for a refresh."""
    prices_settled, prices_until = prices_settled_until(fetched_at, now=now)
    if not prices_settled:
        return None
    timeless = sum_balances(holdings.parts, holdings.reporting, now=None)
    balances_until = holdings.changes_at
    if any(row.balance_at is None for row in timeless if row.balance != 0):
        # A held currency without a time (never the case for fetched data): its converted
        # row's age would depend on the moment it is served; not stored.
        return Settled(timeless, balances_until)
    converted = convert_totals(timeless, holdings.reporting, spot, spot_times, now=None)
    until = min((t for t in (balances_until, prices_until) if t is not None), default=None)
    return Settled(timeless, balances_until, converted, until)


def portfolio_targets(portfolio: Portfolio) -> dict[str, Decimal]:
    """``{code: fraction}`` of the portfolio's target allocations, by code (empty: none set)."""
    return dict(
        PortfolioTarget.objects.filter(portfolio=portfolio)
        .order_by("currency__code")
        .values_list("currency__code", "fraction")
    )


def portfolio_target_analytics(
    portfolio: Portfolio, *, currency: str, min_trade: Decimal
) -> Analytics:
    """Current versus target allocation, drift, trades back to target and concentration
    (``portfolios.targets``), valued in reporting currency ``currency`` at the stored spot
    prices, from ``portfolio_valuation`` (so the same holdings as ``converted``). Enqueues the
    fetches due; raises NotReady while a first fetch of balances or prices is awaited. A target
    asset the portfolio does not hold is priced too, for the quantity to buy."""
    valuation = portfolio_valuation(portfolio, prices=SPOT, enqueue=True)
    valuation.waits.raise_not_ready()
    targets = portfolio_targets(portfolio)
    held = {row.currency: row.balance for row in valuation.balances if row.balance != 0}
    spot, _, _ = spot_rates(set(held) | set(targets) | {currency})
    positions = []
    for code in sorted(set(held) | set(targets)):
        quantity = held.get(code, Decimal(0))
        found = rate(spot, code, currency)
        price = found[0] if found else None
        value = convert(quantity, code, currency, spot) if found else None
        positions.append(Position(code, quantity, value, price))
    return portfolio_analytics(positions, targets, min_trade=min_trade)
