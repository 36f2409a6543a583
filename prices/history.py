"""Daily price history from the price source (``prices.sources``), fetched once per day and pair and kept in ``Price``:
every night for the days since the last one stored (``prices_refresh_daily_history``), and at
once over the whole held period when an asset first appears in a portfolio
(``prices_backfill_daily_history``)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.core.cache import cache
from django.db.models import Max

from core.exceptions import ProviderError
from currencies.models import Currency
from prices.models import Price
from prices.services import currencies_in_use
from prices.signals import daily_prices_stored
from prices.sources import PriceSource, price_source
from prices.sources.base import PriceQuote

logger = logging.getLogger(__name__)

HISTORY_DAYS = 365  # what keyless CoinGecko serves
# After a retryable failure (unreachable, 5xx, rate limited) the other backfills pause instead
# of each spending its own attempts (and the shared rate limit, and a worker) on a service that
# does not answer; the next trigger after the pause asks again.
PAUSE_KEY = "prices:backfill:paused"
PAUSE_SECONDS = 300


def prices_refresh_daily_history(
    *,
    codes: set[str] | None = None,
    days: int = HISTORY_DAYS,
    source: PriceSource | None = None,
    today: date | None = None,
) -> int:
    """Fetch the daily prices of every priceable currency in use (default) in USD and each fiat
    in use, for the days not stored yet within the last ``days``. Returns rows stored. One
    pair failing does not stop the others."""
    today = today or datetime.now(UTC).date()
    wanted = {c.lower() for c in (codes if codes is not None else currencies_in_use())} | {"usd"}
    currencies = list(Currency.objects.filter(code__in=wanted))
    bases = [c for c in currencies if c.coingecko_id]
    quotes = [c for c in currencies if c.is_fiat] or list(Currency.objects.filter(code="usd"))
    source = source or price_source()
    last = {
        (b, q): at
        for b, q, at in Price.objects.filter(kind=Price.DAILY, source=source.name)
        .values_list("base_id", "quote_id")
        .annotate(last=Max("at"))
        .values_list("base_id", "quote_id", "last")
    }
    by_coin: dict[str, list[Currency]] = defaultdict(list)
    for base in bases:
        by_coin[base.coingecko_id].append(base)
    stored = 0
    for coin_id, same_coin in by_coin.items():
        for quote in quotes:
            previous = max(
                (at for b in same_coin if (at := last.get((b.pk, quote.pk)))),
                default=None,
            )
            start = (
                (previous.date() + timedelta(days=1))
                if previous
                else today - timedelta(days=days - 1)
            )
            end = today - timedelta(days=1)  # a finished day only
            if start > end:
                continue
            try:
                points = source.daily_history(coin_id, quote.code, start, end)
            except ProviderError as exc:
                logger.warning("daily history of %s in %s failed: %s", coin_id, quote.code, exc)
                continue
            rows = _daily_rows(points, same_coin, quote, source.name)
            Price.objects.bulk_create(rows, ignore_conflicts=True)
            stored += len(rows)
    if stored:
        daily_prices_stored.send(sender=Price, at=datetime.now(UTC))
    return stored


@dataclass
class Backfill:
    """What a backfill did: daily rows stored, and the quotes whose fetch failed."""

    stored: int = 0
    failed: list[str] = field(default_factory=list)


def history_reach(today: date, source: PriceSource | None = None) -> date | None:
    """The oldest day the configured price source (or ``source``) serves daily history for;
    None: any day."""
    days = (source or price_source()).history_days
    return None if days is None else today - timedelta(days=days - 1)


def prices_backfill_daily_history(
    *,
    code: str,
    quotes: Iterable[str],
    start: date,
    source: PriceSource | None = None,
    today: date | None = None,
) -> Backfill:
    """Store the daily prices of ``code`` in each of ``quotes`` for every finished day from
    ``start`` to yesterday that is not stored yet: one request per quote, from the first to
    the last missing day. Days older than the plan's reach (365 days without a paid key) are
    not asked for: they keep only the prices statements observed on them. A currency sharing
    ``code``'s CoinGecko coin (``eth2`` and ``eth``) gets the same rows. A refused quote is
    logged and named in the result, the others still run; a retryable failure pauses every
    backfill for a while (``PAUSE_KEY``)."""
    today = today or datetime.now(UTC).date()
    currency = Currency.objects.filter(code=code.lower()).first()
    if currency is None or not currency.coingecko_id:
        return Backfill()
    if cache.get(PAUSE_KEY):
        logger.info("price history of %s from %s postponed: CoinGecko failed just now", code, start)
        return Backfill(failed=sorted(quotes))
    # One attempt per request: a failure pauses the backfills, and a later trigger (or the
    # nightly check) asks again, rather than retries spending the shared rate limit now.
    source = source or price_source(max_attempts=1)
    reach = history_reach(today, source)
    first = max(start, reach) if reach else start
    end = today - timedelta(days=1)  # a finished day only: today is valued at spot
    if first > end:
        return Backfill()
    same_coin = list(Currency.objects.filter(coingecko_id=currency.coingecko_id))
    quote_rows = list(Currency.objects.filter(code__in={c.lower() for c in quotes}))
    stored_days: dict[tuple[int, int], set[date]] = defaultdict(set)
    for base_id, quote_id, at in Price.objects.filter(
        kind=Price.DAILY,
        source=source.name,
        base__in=same_coin,
        quote__in=quote_rows,
        at__gte=datetime.combine(first, time.min, UTC),
        at__lt=datetime.combine(today, time.min, UTC),
    ).values_list("base_id", "quote_id", "at"):
        stored_days[(base_id, quote_id)].add(at.date())
    wanted = [first + timedelta(days=n) for n in range((end - first).days + 1)]
    result = Backfill()
    for quote in quote_rows:
        if quote.pk == currency.pk:
            continue
        missing = [
            day
            for day in wanted
            if any(day not in stored_days[(b.pk, quote.pk)] for b in same_coin)
        ]
        if not missing:
            continue
        try:
            points = source.daily_history(
                currency.coingecko_id, quote.code, missing[0], missing[-1]
            )
        except ProviderError as exc:
            logger.warning(
                "price history of %s in %s from %s failed: %s",
                currency.coingecko_id,
                quote.code,
                missing[0],
                exc,
            )
            result.failed.append(quote.code)
            if exc.retryable:
                cache.set(PAUSE_KEY, True, int(exc.retry_after or PAUSE_SECONDS) + 1)
                break
            continue
        rows = _daily_rows(points, same_coin, quote, source.name)
        Price.objects.bulk_create(rows, ignore_conflicts=True)
        result.stored += len(rows)
    if result.stored:
        daily_prices_stored.send(sender=Price, at=datetime.now(UTC))
    return result


def _daily_rows(
    points: Iterable[PriceQuote], bases: Iterable[Currency], quote: Currency, source: str
) -> list[Price]:
    """One daily close per point and base (every currency sharing the source's coin id), at
    00:00 UTC of the point's day; a currency is never quoted in itself."""
    return [
        Price(
            base=base,
            quote=quote,
            at=datetime.combine(point.at.date(), time.min, UTC),
            price=point.price,
            kind=Price.DAILY,
            source=source,
        )
        for point in points
        for base in bases
        if base.pk != quote.pk
    ]
