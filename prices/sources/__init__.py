"""Price sources behind one interface (``PriceSource``); ``settings.PRICE_SOURCE`` picks the one
in use. A new source is a module here implementing the protocol plus one entry in ``SOURCES``;
the services, history and tasks only ever call ``price_source()``."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from prices.sources.base import PriceQuote, PriceSource
from prices.sources.coingecko import CoinGeckoClient

__all__ = ["SOURCES", "PriceQuote", "PriceSource", "price_source"]

# ``PRICE_SOURCE`` value -> builder from settings; keyword arguments tune one client (e.g.
# ``max_attempts=1`` for work that is asked again later anyway).
SOURCES: dict[str, Callable[..., PriceSource]] = {
    "coingecko": CoinGeckoClient.from_settings,
}


def price_source(*, max_attempts: int = 3) -> PriceSource:
    """The configured price source (``settings.PRICE_SOURCE``, default ``coingecko``)."""
    name = settings.PRICE_SOURCE
    try:
        build = SOURCES[name]
    except KeyError:
        raise ImproperlyConfigured(
            f"PRICE_SOURCE={name!r} is not a price source; known: {', '.join(sorted(SOURCES))}"
        ) from None
    return build(max_attempts=max_attempts)
