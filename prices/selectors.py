from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Max, OuterRef, Subquery

from prices.models import Price, SpotPrice
from prices.services import LAST_ATTEMPT_KEY


def spot_rates(
    codes: Iterable[str],
) -> tuple[
    dict[tuple[str, str], Decimal], dict[tuple[str, str], datetime], dict[tuple[str, str], datetime]
]:
    """Every stored spot price between the given currencies and the bridge currencies, as a
    rate table for ``prices.conversion``, the time of each rate (the source's quote time) and
    when we fetched it (what says whether a refresh is due). One query."""
    wanted = {c.lower() for c in codes} | {"usd", "btc"}
    rows = (
        SpotPrice.objects.filter(base__code__in=wanted, quote__code__in=wanted)
        .order_by()
        .values_list("base__code", "quote__code", "price", "at", "fetched_at")
    )
    rates: dict[tuple[str, str], Decimal] = {}
    times: dict[tuple[str, str], datetime] = {}
    fetched: dict[tuple[str, str], datetime] = {}
    for base, quote, price, at, fetched_at in rows:
        rates[(base, quote)] = price
        times[(base, quote)] = at
        fetched[(base, quote)] = fetched_at
    return rates, times, fetched


def priced_bases(codes: Iterable[str]) -> set[str]:
    """Which of ``codes`` have at least one spot price stored."""
    return set(
        SpotPrice.objects.filter(base__code__in=list(codes))
        .values_list("base__code", flat=True)
        .distinct()
    )


def latest_prices(codes: Iterable[str]) -> list[tuple[str, str, Decimal, datetime]]:
    """The newest stored historical price (daily or observed) of every pair among ``codes``:
    (base, quote, price, at) rows, one per pair. One query (the pair/time index answers the
    correlated subquery). For a current value shown as "last known" only: the value history
    never carries a price to another day."""
    newest = (
        Price.objects.filter(base=OuterRef("base"), quote=OuterRef("quote"))
        .order_by("-at")
        .values("at")[:1]
    )
    rows = (
        Price.objects.filter(base__code__in=list(codes), quote__code__in=list(codes))
        .filter(at=Subquery(newest))
        .values_list("base__code", "quote__code", "price", "at")
    )
    found: dict[tuple[str, str], tuple[str, str, Decimal, datetime]] = {}
    for base, quote, price, at in rows:  # two sources at the same instant: keep one
        found.setdefault((base, quote), (base, quote, price, at))
    return list(found.values())


def last_known_rates(
    codes: Iterable[str],
) -> tuple[dict[tuple[str, str], Decimal], dict[tuple[str, str], datetime]]:
    """The newest stored historical price of every pair among ``codes`` and the bridge
    currencies, as a rate table for ``prices.conversion``, and the time of each. One query.
    What a current value falls back to where no spot price was fetched yet (offline)."""
    rows = latest_prices({c.lower() for c in codes} | {"usd", "btc"})
    return {(b, q): price for b, q, price, _ in rows}, {(b, q): at for b, q, _, at in rows}


@dataclass(frozen=True)
class SpotAttempt:
    """The last spot-price refresh: when it ran (None: never, as far as the cache knows) and
    the error it ended with ("" when it succeeded)."""

    at: datetime | None
    error: str


def last_spot_attempt() -> SpotAttempt:
    """What the last spot-price refresh left in the cache (``prices_refresh_spot``)."""
    return spot_attempt_from(cache.get(LAST_ATTEMPT_KEY))


def spot_attempt_from(stored: dict | None) -> SpotAttempt:
    """The cache entry ``LAST_ATTEMPT_KEY`` (read alone or with other keys) as a SpotAttempt."""
    stored = stored or {}
    try:
        at = datetime.fromisoformat(stored["at"]) if stored.get("at") else None
    except ValueError:
        at = None
    return SpotAttempt(at=at, error=stored.get("error") or "")


def spot_prices_fetched_at() -> datetime | None:
    """When the newest stored spot price was fetched. One query."""
    return SpotPrice.objects.aggregate(m=Max("fetched_at"))["m"]
