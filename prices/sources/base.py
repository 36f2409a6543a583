"""What a price source offers: spot prices and daily history, as ``PriceQuote`` rows. Callers get
the configured source from ``prices.sources.price_source()`` and never name an implementation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class PriceQuote:
    """1 ``base_id`` costs ``price`` ``quote`` at ``at`` (UTC). ``base_id`` is the source's coin
    id (today ``Currency.coingecko_id``), ``quote`` the vs currency in upper case (``USD``,
    ``EUR``, ``BTC``), ``source`` the name of the source that answered."""

    base_id: str
    quote: str
    price: Decimal
    at: datetime
    source: str


class PriceSource(Protocol):
    """``name`` is stored with every price fetched (``SpotPrice.source``, ``Price.source``);
    ``history_days`` is how many days back (today included) daily history reaches, None: all.
    Failures raise ``core.exceptions.ProviderError`` (``retryable`` says whether asking again
    later can help)."""

    name: str
    history_days: int | None

    def spot_prices(self, ids: Iterable[str], vs: Iterable[str]) -> list[PriceQuote]:
        """The latest price of every coin id in every vs currency; unknown ids are left out."""
        ...

    def daily_history(self, coin_id: str, vs: str, start: date, end: date) -> list[PriceQuote]:
        """One price per UTC day from ``start`` to ``end`` inclusive, oldest first; days
        without data are missing."""
        ...
