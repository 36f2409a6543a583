"""CoinGecko API v3: spot prices and daily history, the default ``PriceSource``.

API docs: https://docs.coingecko.com/reference/simple-price
          https://docs.coingecko.com/reference/coins-id-market-chart-range
          https://docs.coingecko.com/reference/authentication

Coins are CoinGecko ids (``bitcoin``, ``ethereum``), never symbols (symbols collide). Prices are
parsed from the JSON text straight into ``Decimal``; no float is ever made.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlsplit

from core.exceptions import ProviderError
from core.http import HttpClient, ProviderHTTPError
from prices.sources.base import PriceQuote

SOURCE = "coingecko"
KEYLESS_RATE_LIMIT = (10, 60.0)
DEMO_RATE_LIMIT = (30, 60.0)
PRO_RATE_LIMIT = (250, 60.0)
IDS_PER_CALL = 100
HISTORY_LIMIT_ERROR_CODE = 10012
# Keyless and demo plans serve daily history for the last 365 days only (error 10012 beyond).
FREE_HISTORY_DAYS = 365
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v.strip().lower() for v in values if v and v.strip()))


def _find_error_code(payload: Any) -> Any:
    if isinstance(payload, Mapping):
        if "error_code" in payload:
            return payload["error_code"]
        for value in payload.values():
            found = _find_error_code(value)
            if found is not None:
                return found
    return None


def _is_pro(base_url: str) -> bool:
    return urlsplit(base_url).hostname == "pro-api.coingecko.com"


def history_days(base_url: str) -> int | None:
    """How many days back (today included) the plan behind ``base_url`` serves daily history;
    None: all of it (a paid plan)."""
    return None if _is_pro(base_url) else FREE_HISTORY_DAYS


class CoinGeckoClient:
    """A ``PriceSource``. ``base_url`` is the public/demo ``https://api.coingecko.com/api/v3`` or
    the paid ``https://pro-api.coingecko.com/api/v3``; the key header follows the host. ``max_attempts``
    bounds the in-process retries of one request (work that is asked again later needs none)."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str = "",
        http: HttpClient | None = None,
        rate_limit: tuple[int, float] | None = None,
        max_attempts: int = 3,
    ):
        pro = _is_pro(base_url)
        self.name = SOURCE
        self.history_days: int | None = history_days(base_url)
        headers = {}
        if api_key:
            headers["x-cg-pro-api-key" if pro else "x-cg-demo-api-key"] = api_key
        if rate_limit is None:
            rate_limit = (
                PRO_RATE_LIMIT if pro else DEMO_RATE_LIMIT if api_key else KEYLESS_RATE_LIMIT
            )
        self.http = http or HttpClient(
            SOURCE,
            base_url=base_url,
            headers=headers,
            rate_limit=rate_limit,
            max_attempts=max_attempts,
        )
        if http is not None and headers:
            self.http.session.headers.update(headers)
            self.http.secrets.append(api_key)

    @classmethod
    def from_settings(cls, **kwargs: Any) -> CoinGeckoClient:
        from django.conf import settings

        return cls(base_url=settings.COINGECKO_URL, api_key=settings.COINGECKO_API_KEY, **kwargs)

    def spot_prices(self, ids: Iterable[str], vs: Iterable[str]) -> list[PriceQuote]:
        """Latest prices of every id in every vs currency, ``at`` = CoinGecko's
        ``last_updated_at`` (now when absent). Unknown ids and null prices are left out.
        Ids go ``IDS_PER_CALL`` per request."""
        coin_ids, vs_codes = _unique(ids), _unique(vs)
        quotes: list[PriceQuote] = []
        if not coin_ids or not vs_codes:
            return quotes
        for chunk in _chunks(coin_ids, IDS_PER_CALL):
            data = self.http.get_json(
                "simple/price",
                params={
                    "ids": ",".join(chunk),
                    "vs_currencies": ",".join(vs_codes),
                    "include_last_updated_at": "true",
                    "precision": "full",
                },
            )
            if not isinstance(data, Mapping):
                raise ProviderError(
                    "coingecko: /simple/price did not answer an object", retryable=False
                )
            for coin_id in chunk:
                prices = data.get(coin_id)
                if not isinstance(prices, Mapping):
                    continue
                updated = prices.get("last_updated_at")
                at = datetime.fromtimestamp(int(updated), UTC) if updated else datetime.now(UTC)
                for code in vs_codes:
                    price = prices.get(code)
                    if price is None or isinstance(price, bool):
                        continue
                    quotes.append(PriceQuote(coin_id, code.upper(), Decimal(price), at, SOURCE))
        return quotes

    def daily_history(self, coin_id: str, vs: str, start: date, end: date) -> list[PriceQuote]:
        """One price per UTC day from ``start`` to ``end`` inclusive, oldest first.

        The day's price is the first point at or after its 00:00 UTC: over more than 90 days
        CoinGecko answers one point per day at 00:00 UTC, and shorter ranges come hourly (or
        5-minutely), so both reduce to the same opening price. ``at`` is that point's own time.
        The last point of a range ending today is the live price, which loses to the 00:00 one.
        Days without data are missing. Keyless and demo keys reach 365 days back only:
        older dates raise ``ProviderError(retryable=False)``.
        """
        if end < start:
            return []
        begin = datetime.combine(start, time.min, UTC)
        finish = datetime.combine(end + timedelta(days=1), time.min, UTC) - timedelta(seconds=1)
        try:
            data = self.http.get_json(
                f"coins/{quote(coin_id.strip().lower(), safe='')}/market_chart/range",
                params={
                    "vs_currency": vs.lower(),
                    "from": int(begin.timestamp()),
                    "to": int(finish.timestamp()),
                    "precision": "full",
                },
            )
        except ProviderHTTPError as exc:
            if exc.status == 401 and _find_error_code(exc.payload) == HISTORY_LIMIT_ERROR_CODE:
                raise ProviderError(
                    f"coingecko: {coin_id} prices before the last 365 days need a paid CoinGecko "
                    "API key (or the prices from your exchange statements)",
                    retryable=False,
                )
            raise
        points = data.get("prices") if isinstance(data, Mapping) else None
        if not isinstance(points, list):
            raise ProviderError("coingecko: market_chart/range has no prices list", retryable=False)
        by_day: dict[date, PriceQuote] = {}
        for point in sorted(p for p in points if p and p[1] is not None):
            at = _EPOCH + timedelta(milliseconds=int(point[0]))
            day = at.date()
            if start <= day <= end and day not in by_day:
                by_day[day] = PriceQuote(coin_id, vs.upper(), Decimal(point[1]), at, SOURCE)
        return [by_day[day] for day in sorted(by_day)]
