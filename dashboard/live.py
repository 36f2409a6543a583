"""A portfolio's live numbers for the dashboard, composed the way the API composes them
(``portfolios/api_totals.py``): holdings from every source (``portfolio_holdings``), summed
(``sum_balances``), valued with the stored spot prices (``spot_rates``, ``convert_totals``),
and the fetches that are due enqueued (``ensure_balances``, ``ensure_prices``).

Unlike the API, nothing here raises ``NotReady``: a page shows what is there with a
"fetching…" sentence instead. And where no spot price was fetched yet, a holding is valued at
the last price the price store knows (a daily close or a price observed in a statement), marked
as such, so an offline server (the demo) still shows values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from addresses.sync import REFRESH_INTERVAL
from core.exceptions import NotReady
from currencies.models import Currency
from dashboard.fetchwords import FetchWords, clock, error_reason, fetch_words
from portfolios.freshness import (
    Holdings,
    ensure_balances,
    ensure_prices,
    portfolio_holdings,
)
from portfolios.models import Portfolio, PortfolioCurrency
from portfolios.totals import TotalRow, convert_totals, sum_balances
from prices.conversion import convert, exact_sum, rate
from prices.selectors import latest_prices, spot_rates
from prices.services import LAST_ATTEMPT_KEY

Pair = tuple[str, str]


def last_known_rates(codes: Iterable[str]) -> tuple[dict[Pair, Decimal], dict[Pair, datetime]]:
    """The newest stored historical price of every pair among ``codes`` and the bridge
    currencies, and its time."""
    rows = latest_prices({c.lower() for c in codes} | {"usd", "btc"})
    return {(b, q): price for b, q, price, _ in rows}, {(b, q): at for b, q, _, at in rows}


@dataclass(frozen=True)
class Valued:
    """One currency of the portfolio: its quantity, the price of one unit and the value in the
    main reporting currency (None without a price path), ``estimated`` when that price is the
    last stored one rather than a live spot price (``price_at`` says from when)."""

    currency: Currency
    quantity: Decimal
    sources: tuple[str, ...]
    price: Decimal | None = None
    value: Decimal | None = None
    estimated: bool = False
    price_at: datetime | None = None


@dataclass
class LiveNumbers:
    """Everything the dashboard shows of a portfolio's totals. ``rows`` are the held
    currencies (reporting currencies held at zero left out), ``totals`` the whole portfolio in
    each reporting currency, in the user's order (None when it cannot be valued at all).
    ``fetching`` and ``problems`` are sentences; ``try_again_at`` is set while something is
    being fetched."""

    reporting: list[Currency]
    rows: list[Valued]
    totals: list[tuple[Currency, Decimal | None]]
    unpriced: list[str] = field(default_factory=list)
    estimated: list[str] = field(default_factory=list)
    fetching: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    try_again_at: datetime | None = None
    balances_at: datetime | None = None  # the oldest figure that went into the balances
    updated_at: datetime | None = None  # the newest one
    prices_at: datetime | None = None  # the oldest spot price used

    @property
    def currency(self) -> Currency | None:
        return self.reporting[0] if self.reporting else None

    @property
    def total(self) -> Decimal | None:
        return self.totals[0][1] if self.totals else None

    @property
    def pending(self) -> bool:
        return self.try_again_at is not None


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _reporting(portfolio: Portfolio) -> list[Currency]:
    """The reporting currencies in the user's order (loaded already when prefetched)."""
    cache_ = getattr(portfolio, "_prefetched_objects_cache", {})
    if "reporting_currencies" in cache_:
        return [pc.currency for pc in cache_["reporting_currencies"]]
    rows = PortfolioCurrency.objects.filter(portfolio=portfolio).select_related("currency")
    return [pc.currency for pc in rows.order_by("position", "id")]


def live_numbers(
    *, portfolio: Portfolio, now: datetime | None = None, enqueue: bool = True
) -> LiveNumbers:
    """The portfolio's numbers now, in a fixed number of queries whatever the number of
    addresses, offsets and wallets. With ``enqueue`` the fetches that are due are enqueued,
    exactly as the API's totals do (never twice)."""
    now = now or timezone.now()
    holdings = portfolio_holdings(portfolio, now=now)
    # In the user's order: the first one is the main currency of the page.
    holdings.reporting = [c.code for c in _reporting(portfolio)]
    rows = sum_balances(holdings.parts, holdings.reporting, now=now)
    codes = {row.currency for row in rows} | holdings.fetching_codes
    spot, spot_times, fetched_at = spot_rates(codes)
    spot_converted = convert_totals(rows, holdings.reporting, spot, spot_times, now=now)
    fallback, fallback_times = last_known_rates(codes)
    merged = {**fallback, **spot}
    currencies = {c.code: c for c in Currency.objects.filter(code__in=codes)}
    numbers = LiveNumbers(
        reporting=[currencies[code] for code in holdings.reporting if code in currencies],
        rows=[],
        totals=[],
        prices_at=min(spot_times.values()) if spot_times else None,
    )
    target = holdings.reporting[0] if holdings.reporting else None
    numbers.rows = _valued(rows, holdings, currencies, target, spot, merged, fallback_times)
    held = [r for r in rows if r.balance != 0]
    numbers.balances_at = min((r.balance_at for r in held if r.balance_at), default=None)
    numbers.updated_at = max((p.at for p in holdings.parts if p.at), default=None)
    numbers.estimated = [v.currency.code for v in numbers.rows if v.estimated]
    for code in holdings.reporting:
        if code not in currencies:
            continue
        values = {r.currency: convert(r.balance, r.currency, code, merged) for r in held}
        missing = sorted(c for c, v in values.items() if v is None)
        known = [v for v in values.values() if v is not None]
        total = exact_sum(known) if known or not held else None
        numbers.totals.append((currencies[code], total))
        if code == target:
            numbers.unpriced = missing
        elif missing and known and not numbers.unpriced:
            numbers.problems.append(
                f"The {code.upper()} total leaves out {', '.join(c.upper() for c in missing)} "
                f"(no price in {code.upper()} yet)."
            )
    if enqueue:
        _enqueue(numbers, holdings, spot_converted.unpriced, spot, fetched_at, now)
    _explain(numbers, holdings, now)
    return numbers


def _valued(
    rows: list[TotalRow],
    holdings: Holdings,
    currencies: dict[str, Currency],
    target: str | None,
    spot: dict[Pair, Decimal],
    merged: dict[Pair, Decimal],
    fallback_times: dict[Pair, datetime],
) -> list[Valued]:
    sources: dict[str, set[str]] = {}
    for part in holdings.parts:
        sources.setdefault(part.currency, set()).add(part.source)
    valued = []
    for row in rows:
        currency = currencies.get(row.currency)
        if currency is None or (row.balance == 0 and row.currency not in sources):
            continue  # a reporting currency nothing holds
        price = value = price_at = None
        estimated = False
        if target is not None:
            live = rate(spot, row.currency, target)
            known = live or rate(merged, row.currency, target)
            if known is not None:
                price = known[0]
                value = convert(row.balance, row.currency, target, merged)
                estimated = live is None and row.currency != target
                if estimated:
                    price_at = max(
                        (at for (base, _), at in fallback_times.items() if base == row.currency),
                        default=None,
                    )
        valued.append(
            Valued(
                currency=currency,
                quantity=row.balance,
                sources=tuple(sorted(sources.get(row.currency, ()))),
                price=price,
                value=value,
                estimated=estimated,
                price_at=price_at,
            )
        )
    return valued


def _enqueue(
    numbers: LiveNumbers,
    holdings: Holdings,
    spot_unpriced: list[str],
    spot: dict[Pair, Decimal],
    fetched_at: dict,
    now: datetime,
) -> None:
    """``portfolios.freshness.ensure_converted``, with each wait kept apart so that the page
    can say what it waits for."""
    unpriced = set(spot_unpriced) | {
        code
        for code in holdings.fetching_codes
        if any(rate(spot, code, t) is None for t in holdings.reporting)
    }
    waits = []
    try:
        ensure_balances(holdings, now=now)
    except NotReady as exc:
        waits.append(exc.try_again_at)
    try:
        ensure_prices(unpriced, fetched_at, now=now)
    except NotReady as exc:
        waits.append(exc.try_again_at)
        numbers.fetching.append(
            f"Fetching prices of {', '.join(c.upper() for c in sorted(unpriced))}…"
        )
    if waits:
        numbers.try_again_at = max(waits)


def _explain(numbers: LiveNumbers, holdings: Holdings, now: datetime) -> None:
    if holdings.never_fetched:
        numbers.fetching.insert(
            0,
            f"Fetching the balance of {_plural(len(holdings.never_fetched), 'address', 'addresses')}"
            " for the first time — not counted yet.",
        )
    if holdings.retrying:
        sentence = (
            f"The first fetch of {_plural(len(holdings.retrying), 'address', 'addresses')} "
            "failed — not counted yet."
        )
        if holdings.retry_at:
            sentence += f" Next try at {clock(holdings.retry_at, now=now)}."
        numbers.problems.append(sentence)
    if numbers.estimated:
        numbers.problems.append(
            "No live price fetched yet for "
            f"{', '.join(c.upper() for c in numbers.estimated)}: valued at the last price "
            "stored (see the date next to it)."
        )
    if numbers.unpriced and any(row.value is not None for row in numbers.rows):
        numbers.problems.append(
            f"No price known for {', '.join(c.upper() for c in numbers.unpriced)}: left out of "
            "the values."
        )
    attempt = cache.get(LAST_ATTEMPT_KEY) or {}
    if attempt.get("error") and (numbers.unpriced or numbers.estimated):
        numbers.fetching = [
            s.replace("Fetching prices of", "Trying again to fetch prices of", 1)
            for s in numbers.fetching
        ]
        at = _parse(attempt.get("at"))
        when = f" at {clock(at, now=now)}" if at else ""
        numbers.problems.append(
            f"The last price update failed{when}: "
            f"{error_reason(attempt['error'], who='the price service')}."
        )


def _parse(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def address_words(address: Any, *, now: datetime) -> FetchWords:
    """The plain words of an address whose ``fetch_state`` is loaded (or absent)."""
    state = getattr(address, "fetch_state", None)
    return fetch_words(
        valid=address.valid,
        fetched_at=state.balances_fetched_at if state else None,
        error=state.error if state else "",
        error_at=state.error_at if state else None,
        failures=state.failures if state else 0,
        next_retry_at=state.next_retry_at if state else None,
        now=now,
        stale_after=REFRESH_INTERVAL,
    )
