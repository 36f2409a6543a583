"""How far a "refresh now" of a portfolio has got: each address queued, fetching, done or
failed since the refresh started, and the prices likewise. Read from the fetch states, the
enqueued flags (``core.tasks.enqueue_once``) and the running marks (``dashboard.signals``), in
a fixed number of queries and one cache round trip whatever the number of addresses.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache

from addresses.models import Address
from addresses.selectors import address_list_with_state
from addresses.tasks import fetch_key
from dashboard.display import shorten_middle
from dashboard.fetchwords import clock, error_reason, upper_first
from dashboard.signals import PRICES_RUNNING_KEY, address_running_key
from portfolios.models import Portfolio
from prices.selectors import spot_attempt_from, spot_prices_fetched_at
from prices.services import LAST_ATTEMPT_KEY
from prices.tasks import SPOT_KEY

QUEUED, FETCHING, DONE, FAILED, SKIPPED = "queued", "fetching", "done", "failed", "skipped"
FINISHED = {DONE, FAILED, SKIPPED}
LABELS = {
    QUEUED: "Queued",
    FETCHING: "Fetching…",
    DONE: "Done",
    FAILED: "Failed",
    SKIPPED: "Not fetched",
}


def _enqueued(key: str) -> str:
    return f"enqueued:{key}"  # as core.tasks.enqueue_once names its flags


@dataclass(frozen=True)
class Step:
    """One thing being refreshed. ``state`` is one of queued, fetching, done, failed,
    skipped; ``words`` says it in a sentence."""

    key: str
    name: str
    detail: str
    state: str
    label: str
    words: str


@dataclass(frozen=True)
class Progress:
    steps: list[Step]

    @property
    def done(self) -> bool:
        return all(step.state in FINISHED for step in self.steps)

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(LABELS, 0)
        for step in self.steps:
            counts[step.state] += 1
        return counts

    @property
    def summary(self) -> str:
        if not self.done:
            return "Fetching in the background — this page follows along."
        failed = self.counts[FAILED]
        if failed:
            return f"Finished: {failed} fetch{'es' if failed > 1 else ''} failed — see below."
        return "All done."

    def as_json(self) -> dict[str, Any]:
        return {
            "done": self.done,
            "summary": self.summary,
            "counts": self.counts,
            "steps": [asdict(step) for step in self.steps],
        }


def refresh_progress(*, portfolio: Portfolio, since: datetime, now: datetime) -> Progress:
    """Every address of the portfolio (valid ones are refreshed, rejected ones are not) and
    the prices, relative to a refresh started at ``since``."""
    addresses = address_list_with_state(portfolio=portfolio)
    keys = [_enqueued(fetch_key(a.pk)) for a in addresses]
    keys += [address_running_key(a.pk) for a in addresses]
    keys += [_enqueued(SPOT_KEY), PRICES_RUNNING_KEY, LAST_ATTEMPT_KEY]
    flags = cache.get_many(keys)
    steps = [_address_step(a, flags, since, now) for a in addresses]
    steps.append(_prices_step(flags, since, now))
    return Progress(steps)


def _address_step(address: Address, flags: dict, since: datetime, now: datetime) -> Step:
    state = getattr(address, "fetch_state", None)
    name = address.title or shorten_middle(address.address)
    detail = f"{address.currency.code.upper()} · {shorten_middle(address.address)}"

    def step(kind: str, words: str) -> Step:
        return Step(f"address-{address.pk}", name, detail, kind, LABELS[kind], words)

    if not address.valid:
        return step(SKIPPED, "The explorer says this is not a valid address: not fetched.")
    fetched = state.balances_fetched_at if state else None
    failed = state.error_at if state and state.error else None
    if address_running_key(address.pk) in flags:
        return step(FETCHING, "Asking the explorer now.")
    if _enqueued(fetch_key(address.pk)) in flags:
        return step(QUEUED, "Waiting for a worker.")
    if fetched and fetched >= since and (failed is None or fetched >= failed):
        return step(DONE, f"Balance and transactions fetched at {clock(fetched, now=now)}.")
    if state and failed and failed >= since:
        words = f"{upper_first(error_reason(state.error))}."
        if state.next_retry_at:
            words += f" Next try at {clock(state.next_retry_at, now=now)}."
        return step(FAILED, words)
    if state and state.next_retry_at and state.next_retry_at > now:
        return step(
            SKIPPED,
            f"Waiting after earlier failures: next try at {clock(state.next_retry_at, now=now)}.",
        )
    if fetched:
        return step(DONE, f"Nothing new to fetch: data from {clock(fetched, now=now)} is kept.")
    return step(SKIPPED, "Not fetched yet: it is fetched with the next refresh.")


def _prices_step(flags: dict, since: datetime, now: datetime) -> Step:
    def step(kind: str, words: str) -> Step:
        return Step("prices", "Prices", "CoinGecko spot prices", kind, LABELS[kind], words)

    if PRICES_RUNNING_KEY in flags:
        return step(FETCHING, "Asking the price service now.")
    if _enqueued(SPOT_KEY) in flags:
        return step(QUEUED, "Waiting for a worker.")
    attempt = spot_attempt_from(flags.get(LAST_ATTEMPT_KEY))
    if attempt.at and attempt.at >= since and attempt.error:
        return step(FAILED, f"{upper_first(error_reason(attempt.error, who='the price service'))}.")
    fetched = spot_prices_fetched_at()
    if fetched and fetched >= since:
        return step(DONE, f"Prices fetched at {clock(fetched, now=now)}.")
    if fetched:
        return step(DONE, f"Prices from {clock(fetched, now=now)} are recent enough.")
    return step(SKIPPED, "No prices fetched yet.")
