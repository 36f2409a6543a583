"""Prices come from the source ``PRICE_SOURCE`` names, through ``prices.sources.price_source()``:
a second source plugs in without any change to the services that store its prices."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from portfolios.models import Portfolio
from prices.history import PAUSE_KEY, prices_backfill_daily_history
from prices.models import Price, SpotPrice
from prices.services import prices_refresh_spot
from prices.sources import SOURCES, PriceQuote, price_source
from prices.sources.coingecko import CoinGeckoClient
from users.models import User

AT = datetime(2024, 3, 25, 8, 45, tzinfo=UTC)


class LedgerBookSource:
    """A second source: a fixed price book, as a mirror or an exchange's ticker could be."""

    name = "ledgerbook"
    history_days = None

    def __init__(self, *, max_attempts: int = 3):
        self.max_attempts = max_attempts

    def spot_prices(self, ids: Iterable[str], vs: Iterable[str]) -> list[PriceQuote]:
        book = {("bitcoin", "usd"): Decimal("67187.33589")}
        return [
            PriceQuote(coin, code.upper(), book[coin, code], AT, self.name)
            for coin in ids
            for code in vs
            if (coin, code) in book
        ]

    def daily_history(self, coin_id: str, vs: str, start: date, end: date) -> list[PriceQuote]:
        days = (end - start).days + 1
        return [
            PriceQuote(
                coin_id,
                vs.upper(),
                Decimal("60000.5") + n,
                datetime.combine(start + timedelta(days=n), datetime.min.time(), UTC),
                self.name,
            )
            for n in range(days)
        ]


def test_the_default_source_is_coingecko_from_its_settings(settings):
    assert settings.PRICE_SOURCE == "coingecko"
    settings.COINGECKO_URL = "https://cg.example.test/api/v3"

    source = price_source(max_attempts=1)

    assert isinstance(source, CoinGeckoClient)
    assert source.name == "coingecko"
    assert source.http.base_url == "https://cg.example.test/api/v3"
    assert source.http.max_attempts == 1
    assert source.history_days == 365  # keyless plan


def test_an_unknown_source_is_a_configuration_error(settings):
    settings.PRICE_SOURCE = "nowhere"

    with pytest.raises(ImproperlyConfigured, match="PRICE_SOURCE='nowhere'.*coingecko"):
        price_source()


@pytest.mark.django_db
def test_a_second_source_feeds_spot_prices_and_history_unchanged_callers(settings, monkeypatch):
    monkeypatch.setitem(SOURCES, "ledgerbook", LedgerBookSource)
    settings.PRICE_SOURCE = "ledgerbook"
    cache.delete(PAUSE_KEY)
    user = User.objects.create_user(email="ann@example.com", password="pw-long-enough-1")
    portfolio = Portfolio.objects.create(user=user, title="Main")

    assert prices_refresh_spot(codes=["btc"]) == 1
    spot = SpotPrice.objects.get(base__code="btc", quote__code="usd")
    assert (spot.price, spot.at, spot.source) == (
        Decimal("67187.33589"),
        AT,
        "ledgerbook",
    )
    portfolio.refresh_from_db()  # its converted balances changed with the prices
    assert portfolio.converted_balances_last_updated == spot.fetched_at
    assert portfolio.converted_histories_last_updated is None

    today = date(2024, 3, 25)
    result = prices_backfill_daily_history(
        code="btc", quotes=["usd"], start=date(2024, 3, 22), today=today
    )
    rows = Price.objects.filter(base__code="btc", quote__code="usd", kind=Price.DAILY)
    assert result.stored == 3 and result.failed == []
    assert sorted((r.at.date(), r.price, r.source) for r in rows) == [
        (date(2024, 3, 22), Decimal("60000.5"), "ledgerbook"),
        (date(2024, 3, 23), Decimal("60001.5"), "ledgerbook"),
        (date(2024, 3, 24), Decimal("60002.5"), "ledgerbook"),
    ]
    portfolio.refresh_from_db()
    assert portfolio.converted_histories_last_updated is not None
