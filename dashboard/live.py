"""The words the dashboard shows beside a portfolio's live numbers. The numbers themselves come
from the one totals pipeline (``portfolios.selectors.portfolio_valuation``, valued at the last
known price where no spot price was fetched yet, so an offline server still shows values).

Unlike the API, nothing here answers ``NotReady``: a page shows what is there with a
"fetching…" sentence instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from addresses.sync import REFRESH_INTERVAL
from dashboard.fetchwords import FetchWords, clock, error_reason, fetch_words
from portfolios.selectors import PortfolioValuation
from prices.selectors import last_spot_attempt


@dataclass
class Sentences:
    """``fetching``: what is on its way; ``problems``: what the numbers leave out or why."""

    fetching: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _codes(codes: list[str]) -> str:
    return ", ".join(c.upper() for c in codes)


def valuation_sentences(valuation: PortfolioValuation, *, now: datetime) -> Sentences:
    """The sentences shown with a portfolio's totals, in the order the page shows them."""
    words = Sentences()
    holdings, main = valuation.holdings, valuation.main
    unpriced = valuation.left_out(main) if main else []
    if holdings.never_fetched:
        words.fetching.append(
            f"Fetching the balance of {_plural(len(holdings.never_fetched), 'address', 'addresses')}"
            " for the first time — not counted yet."
        )
    if valuation.waits.prices is not None:
        words.fetching.append(f"Fetching prices of {_codes(list(valuation.waits.prices_of))}…")
    for code in valuation.reporting[1:]:
        missing = valuation.left_out(code)
        if missing and valuation.total(code) is not None and not unpriced:
            words.problems.append(
                f"The {code.upper()} total leaves out {_codes(missing)} "
                f"(no price in {code.upper()} yet)."
            )
    if holdings.retrying:
        sentence = (
            f"The first fetch of {_plural(len(holdings.retrying), 'address', 'addresses')} "
            "failed — not counted yet."
        )
        if holdings.retry_at:
            sentence += f" Next try at {clock(holdings.retry_at, now=now)}."
        words.problems.append(sentence)
    if valuation.estimated:
        words.problems.append(
            f"No live price fetched yet for {_codes(valuation.estimated)}: valued at the last "
            "price stored (see the date next to it)."
        )
    if unpriced and any(row.value is not None for row in valuation.rows):
        words.problems.append(f"No price known for {_codes(unpriced)}: left out of the values.")
    attempt = last_spot_attempt()
    if attempt.error and (unpriced or valuation.estimated):
        words.fetching = [
            s.replace("Fetching prices of", "Trying again to fetch prices of", 1)
            for s in words.fetching
        ]
        when = f" at {clock(attempt.at, now=now)}" if attempt.at else ""
        words.problems.append(
            f"The last price update failed{when}: "
            f"{error_reason(attempt.error, who='the price service')}."
        )
    return words


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
