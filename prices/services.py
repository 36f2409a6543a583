"""Writes for prices: spot prices from the price source (``prices.sources``), replaced per pair
on every refresh."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from core.exceptions import ProviderError
from currencies.models import Currency
from prices.models import SpotPrice
from prices.signals import spot_prices_stored
from prices.sources import PriceSource, price_source

logger = logging.getLogger(__name__)

# Quote currencies CoinGecko serves besides fiat: prices in these make bridging possible.
CRYPTO_QUOTES = ("btc", "eth")
ALWAYS_QUOTED = ("usd", "btc")
LAST_ATTEMPT_KEY = "prices:spot:last_attempt"
# Set for every code a refresh asked for, priced or not: "tried" lets totals answer with the
# asset listed as unpriced instead of waiting forever for a price that does not exist.
PRICE_ATTEMPT_KEY = "prices:attempted:{code}"
SPOT_REFRESH_SECONDS = getattr(settings, "PRICE_REFRESH_SECONDS", 300)


# The apps that hold or report currencies (portfolios, addresses, offsets, ledger) each register
# a function answering their codes, in their AppConfig.ready(): prices needs to import none of
# them (the ledger imports prices for its valuations).
_IN_USE: dict[str, Callable[[], Iterable[str]]] = {}


def register_currencies_in_use(name: str, codes: Callable[[], Iterable[str]]) -> None:
    """Add ``codes`` (every currency code the app ``name`` holds or reports, in any portfolio)
    to ``currencies_in_use``; registering a name again replaces it."""
    _IN_USE[name] = codes


def currencies_in_use() -> set[str]:
    """Every currency code held or reported in any portfolio."""
    return {code for codes in _IN_USE.values() for code in codes()}


def prices_refresh_spot(
    *, codes: Iterable[str] | None = None, source: PriceSource | None = None
) -> int:
    """Fetch spot prices of the cryptocurrencies among ``codes`` (default: all in use) in USD,
    BTC and every fiat among them, and store them. Returns the number of pairs stored. A failure
    keeps the stored prices and is recorded for the status page."""
    wanted = {c.lower() for c in (codes if codes is not None else currencies_in_use())} | set(
        ALWAYS_QUOTED
    )
    currencies = list(Currency.objects.filter(code__in=wanted))
    by_id: dict[str, list[Currency]] = defaultdict(list)
    for currency in currencies:
        if currency.coingecko_id:
            by_id[currency.coingecko_id].append(currency)
    quotes_by_code = {c.code: c for c in currencies if c.is_fiat or c.code in CRYPTO_QUOTES}
    quotes_by_code.update({c.code: c for c in Currency.objects.filter(code__in=ALWAYS_QUOTED)})
    if not by_id:
        return 0
    source = source or price_source()
    now = timezone.now()
    try:
        quotes = source.spot_prices(list(by_id), list(quotes_by_code))
    except ProviderError as exc:
        cache.set(LAST_ATTEMPT_KEY, {"at": now.isoformat(), "error": str(exc)}, None)
        logger.warning("spot price refresh failed: %s", exc)
        raise
    stored = 0
    with transaction.atomic():
        for quote in quotes:
            quote_currency = quotes_by_code.get(quote.quote.lower())
            if quote_currency is None:
                continue
            for base in by_id.get(quote.base_id, []):
                if base.pk == quote_currency.pk:
                    continue
                SpotPrice.objects.update_or_create(
                    base=base,
                    quote=quote_currency,
                    defaults={
                        "price": quote.price,
                        "at": quote.at,
                        "source": quote.source,
                        "fetched_at": now,
                    },
                )
                stored += 1
        spot_prices_stored.send(sender=SpotPrice, at=now)
    cache.set(LAST_ATTEMPT_KEY, {"at": now.isoformat(), "error": ""}, None)
    cache.set_many(
        {PRICE_ATTEMPT_KEY.format(code=c.code): now.isoformat() for c in currencies}, None
    )
    return stored
