"""Background fetches in plain words: how old an address's data is, why its last fetch failed
and when it is tried again. Pure (no ORM): the views pass in the fetch state's fields.

The errors stored by the fetchers are technical ("esplora: GET https://… failed after 3
attempts: ReadTimeout: …"); ``error_reason`` turns the usual ones into a short reason a person
understands, and the page keeps the technical text behind a "details" toggle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.humanize.templatetags.humanize import naturaltime

_HTTP_STATUS = re.compile(r"\bHTTP (\d{3})\b")


def error_reason(error: str, *, who: str = "the explorer") -> str:
    """A plain reason for a stored fetch error, e.g. "the explorer did not answer (timeout)"."""
    text = error or ""
    lower = text.lower()
    if "rejected the address" in lower or "is not an ethereum address" in lower:
        return f"{who} says this is not a valid address"
    if "timeout" in lower or "timed out" in lower:
        return f"{who} did not answer (timeout)"
    if any(word in lower for word in ("resolve", "name or service", "nodename", "getaddrinfo")):
        return f"{who} could not be reached (its name did not resolve: is this server offline?)"
    if "connectionerror" in lower or "connection refused" in lower or "connection reset" in lower:
        return f"{who} could not be reached (connection failed)"
    status = _HTTP_STATUS.search(text)
    if status:
        code = int(status.group(1))
        if code == 429:
            return f"{who} asked us to slow down (too many requests)"
        if code >= 500:
            return f"{who} had a problem of its own (HTTP {code})"
        return f"{who} refused the request (HTTP {code})"
    if "no explorer for currency" in lower:
        return "no explorer is known for this currency"
    if "api key" in lower or "apikey" in lower:
        return f"{who} refused our API key (an operator must check the settings)"
    if "json" in lower or "malformed" in lower or "not an api envelope" in lower:
        return f"{who} gave an answer we could not read"
    return f"{who} could not be used ({text[:120]})" if text else f"{who} could not be used"


def clock(moment: datetime, *, now: datetime) -> str:
    """ "14:05 UTC" today, "22 Nov 14:05 UTC" on another day."""
    if moment.date() == now.date():
        return f"{moment:%H:%M} UTC"
    return f"{moment.day} {moment:%b %H:%M} UTC"


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def times(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n} times"


@dataclass(frozen=True)
class FetchWords:
    """What the page says about one address's data. ``status``: ``ok``, ``stale``,
    ``fetching`` (never fetched, a fetch is on its way), ``failing`` (the last fetch failed,
    a retry is planned) or ``rejected`` (the explorer says the address is not valid)."""

    status: str
    age: str  # "Balance from 12 minutes ago" / "Not fetched yet — fetching now."
    problem: str = ""  # "Fetching failed 3 times: … Next try at 14:05 UTC."
    detail: str = ""  # the stored technical error, for the "details" toggle


def fetch_words(
    *,
    valid: bool,
    fetched_at: datetime | None,
    error: str = "",
    error_at: datetime | None = None,
    failures: int = 0,
    next_retry_at: datetime | None = None,
    now: datetime,
    stale_after: timedelta | None = None,
) -> FetchWords:
    """The plain words for one address, from its ``AddressFetchState`` fields (all empty when
    it has none yet)."""
    age = f"Balance from {naturaltime(fetched_at)}" if fetched_at else ""
    if not valid:
        return FetchWords(
            "rejected",
            age or "Never fetched.",
            "The explorer says this is not a valid address. Check it for a typo and correct "
            "it: it is not fetched again until then.",
            error,
        )
    failing = bool(error) and error_at is not None and (fetched_at is None or error_at > fetched_at)
    if failing:
        problem = f"Fetching failed {times(max(failures, 1))}: {error_reason(error)}."
        if next_retry_at is not None:
            problem += f" Next try at {clock(next_retry_at, now=now)}."
        return FetchWords("failing", age or "Not fetched yet.", problem, error)
    if fetched_at is None:
        return FetchWords("fetching", "Not fetched yet — fetching now.")
    if stale_after is not None and fetched_at < now - stale_after:
        return FetchWords("stale", f"{age} — refreshing in the background.")
    return FetchWords("ok", age)
