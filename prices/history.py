"""Daily price history from CoinGecko, fetched once per day and pair and kept in ``Price``."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Max

from core.exceptions import ProviderError
from currencies.models import Currency
from prices.models import Price
from prices.services import currencies_in_use
from prices.sources.coingecko import CoinGeckoClient

logger = logging.getLogger(__name__)

HISTORY_DAYS = 365  # what keyless CoinGecko serves


def prices_refresh_daily_history(
    *,
    codes: set[str] | None = None,
    days: int = HISTORY_DAYS,
    client: CoinGeckoClient | None = None,
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
    last = {
        (b, q): at
        for b, q, at in Price.objects.filter(kind=Price.DAILY, source="coingecko")
        .values_list("base_id", "quote_id")
        .annotate(last=Max("at"))
        .values_list("base_id", "quote_id", "last")
    }
    client = client or CoinGeckoClient.from_settings()
    by_coin: dict[str, list[Currency]] = defaultdict(list)
    for base in bases:
        by_coin[base.coingecko_id].append(base)
    stored = 0
    for coin_id, same_coin in by_coin.items():
        for quote in quotes:
            previous = max(
                (last.get((b.pk, quote.pk)) for b in same_coin if last.get((b.pk, quote.pk))),
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
                points = client.daily_history(coin_id, quote.code, start, end)
            except ProviderError as exc:
                logger.warning("daily history of %s in %s failed: %s", coin_id, quote.code, exc)
                continue
            rows = [
                Price(
                    base=base,
                    quote=quote,
                    at=datetime.combine(p.at.date(), time.min, UTC),
                    price=p.price,
                    kind=Price.DAILY,
                    source="coingecko",
                )
                for p in points
                for base in same_coin
            ]
            Price.objects.bulk_create(rows, ignore_conflicts=True)
            stored += len(rows)
    if stored:
        from portfolios.models import Portfolio

        Portfolio.objects.update(converted_histories_last_updated=datetime.now(UTC))
    return stored
