"""CoinGecko client against CoinGecko's answers (tests/fixtures/coingecko).

``*_docs_example.json`` are CoinGecko's published response examples, verbatim; the other
fixtures are hand-made around one edge case each (every file says which in ``_source``)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import responses
from responses import matchers

from core.exceptions import ProviderError
from core.http import HttpClient
from core.ratelimit import NoRateLimit
from prices.sources.coingecko import (
    DEMO_RATE_LIMIT,
    KEYLESS_RATE_LIMIT,
    PRO_RATE_LIMIT,
    CoinGeckoClient,
    PriceQuote,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "coingecko"
BASE = "https://api.coingecko.com/api/v3"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text()


def make_client(
    api_key: str = "", base_url: str = BASE, sleeps: list | None = None
) -> CoinGeckoClient:
    http = HttpClient(
        "coingecko",
        base_url=base_url,
        limiter=NoRateLimit(),
        timeout=5,
        user_agent="t",
        sleep=(sleeps.append if sleeps is not None else lambda s: None),
    )
    return CoinGeckoClient(base_url=base_url, api_key=api_key, http=http)


@responses.activate
def test_spot_prices_are_exact_decimals_with_their_update_time():
    responses.get(
        f"{BASE}/simple/price",
        body=fixture_text("simple_price.json"),
        content_type="application/json",
        match=[
            matchers.query_param_matcher(
                {
                    "ids": "bitcoin,ethereum,shiba-inu,usd-coin,not-a-coin",
                    "vs_currencies": "usd,eur",
                    "include_last_updated_at": "true",
                    "precision": "full",
                }
            )
        ],
    )

    quotes = make_client().spot_prices(
        ["bitcoin", "ethereum", "shiba-inu", "usd-coin", "not-a-coin"], ["USD", "eur"]
    )

    by_pair = {(q.base_id, q.quote): q for q in quotes}
    # digits beyond what a float holds survive
    assert by_pair["bitcoin", "USD"].price == Decimal("67187.33589365664123")
    assert by_pair["ethereum", "EUR"].price == Decimal("3160.987654321098765")
    assert by_pair["shiba-inu", "USD"].price == Decimal("0.00002471")
    assert by_pair["usd-coin", "USD"].price == Decimal("1")
    assert ("usd-coin", "EUR") not in by_pair  # null price left out
    assert not any(q.base_id == "not-a-coin" for q in quotes)  # unknown ids are missing
    assert all(isinstance(q.price, Decimal) for q in quotes)
    assert by_pair["bitcoin", "USD"] == PriceQuote(
        "bitcoin",
        "USD",
        Decimal("67187.33589365664123"),
        datetime(2024, 3, 25, 8, 45, tzinfo=UTC),
        "coingecko",
    )
    assert len(quotes) == 7


@responses.activate
def test_spot_prices_batch_ids_by_one_hundred():
    responses.get(f"{BASE}/simple/price", json={})
    ids = [f"coin-{n}" for n in range(250)]

    assert make_client().spot_prices(ids, ["usd"]) == []

    assert len(responses.calls) == 3
    sent = [c.request.params["ids"].split(",") for c in responses.calls]
    assert [len(chunk) for chunk in sent] == [100, 100, 50]
    assert sum(sent, []) == ids


def test_spot_prices_of_nothing_ask_nothing():
    assert make_client().spot_prices([], ["usd"]) == []


@responses.activate
def test_demo_key_goes_in_its_header_and_pro_host_uses_the_pro_header():
    responses.get(f"{BASE}/simple/price", json={})
    pro = "https://pro-api.coingecko.com/api/v3"
    responses.get(f"{pro}/simple/price", json={})

    make_client(api_key="CG-demo").spot_prices(["bitcoin"], ["usd"])
    make_client(api_key="CG-pro", base_url=pro).spot_prices(["bitcoin"], ["usd"])

    assert responses.calls[0].request.headers["x-cg-demo-api-key"] == "CG-demo"
    assert "x-cg-pro-api-key" not in responses.calls[0].request.headers
    assert responses.calls[1].request.headers["x-cg-pro-api-key"] == "CG-pro"
    assert "x_cg" not in responses.calls[0].request.url  # never in the URL, so never in a log


def test_default_rate_limits_follow_the_plan():
    def limit(**kwargs):
        return CoinGeckoClient(**kwargs).http.rate_limit

    assert limit(base_url=BASE) == KEYLESS_RATE_LIMIT == (10, 60.0)
    assert limit(base_url=BASE, api_key="k") == DEMO_RATE_LIMIT == (30, 60.0)
    assert limit(base_url="https://pro-api.coingecko.com/api/v3", api_key="k") == PRO_RATE_LIMIT


def test_from_settings(settings):
    settings.COINGECKO_URL = "https://cg.example.test/api/v3"
    settings.COINGECKO_API_KEY = "CG-settings"

    client = CoinGeckoClient.from_settings()

    assert client.http.base_url == "https://cg.example.test/api/v3"
    assert client.http.session.headers["x-cg-demo-api-key"] == "CG-settings"


@responses.activate
def test_daily_history_over_more_than_90_days_one_point_per_day():
    responses.get(
        f"{BASE}/coins/bitcoin/market_chart/range",
        body=fixture_text("market_chart_range_daily.json"),
        content_type="application/json",
        match=[
            matchers.query_param_matcher(
                {
                    "vs_currency": "usd",
                    "from": "1704067200",  # 2024-01-01 00:00 UTC
                    "to": "1712707199",  # 2024-04-09 23:59:59 UTC
                    "precision": "full",
                }
            )
        ],
    )

    quotes = make_client().daily_history("bitcoin", "USD", date(2024, 1, 1), date(2024, 4, 9))

    assert len(quotes) == 100
    assert quotes[0] == PriceQuote(
        "bitcoin",
        "USD",
        Decimal("42261.041924685123456789"),
        datetime(2024, 1, 1, tzinfo=UTC),
        "coingecko",
    )
    assert quotes[-1].at == datetime(2024, 4, 9, tzinfo=UTC)
    assert quotes[-1].price == Decimal("67140.723951855573")
    assert [q.at.date() for q in quotes] == sorted({q.at.date() for q in quotes})


@responses.activate
def test_daily_history_reduces_hourly_points_to_the_first_of_each_day():
    responses.get(
        f"{BASE}/coins/bitcoin/market_chart/range",
        body=fixture_text("market_chart_range_hourly.json"),
        content_type="application/json",
    )

    quotes = make_client().daily_history("bitcoin", "eur", date(2024, 3, 1), date(2024, 3, 2))

    assert [(q.at, q.price, q.quote) for q in quotes] == [
        (datetime(2024, 3, 1, 0, 0, 7, tzinfo=UTC), Decimal("61000.500000000000"), "EUR"),
        (datetime(2024, 3, 2, 0, 0, 7, 888000, tzinfo=UTC), Decimal("61294.556168505515"), "EUR"),
    ]


@responses.activate
def test_daily_history_drops_the_live_point_and_days_outside_the_range():
    body = (
        '{"prices": [[1711238400000, 64000.1], [1711324800000, 65000.2], '
        '[1711376712345, 66000.3]], "market_caps": [], "total_volumes": []}'
    )
    responses.get(
        f"{BASE}/coins/bitcoin/market_chart/range", body=body, content_type="application/json"
    )

    quotes = make_client().daily_history("bitcoin", "usd", date(2024, 3, 25), date(2024, 3, 25))

    # 2024-03-24 is before the range; the 14:25 live point loses to 00:00 of the same day
    assert [(q.at, q.price) for q in quotes] == [
        (datetime(2024, 3, 25, tzinfo=UTC), Decimal("65000.2")),
    ]


def test_daily_history_of_an_empty_range():
    assert make_client().daily_history("bitcoin", "usd", date(2024, 3, 2), date(2024, 3, 1)) == []


@responses.activate
def test_history_beyond_365_days_needs_a_paid_key():
    responses.get(
        f"{BASE}/coins/bitcoin/market_chart/range",
        status=401,
        body=fixture_text("error_365_days.json"),
        content_type="application/json",
    )

    with pytest.raises(ProviderError) as caught:
        make_client().daily_history("bitcoin", "usd", date(2020, 1, 1), date(2020, 12, 31))

    assert caught.value.retryable is False
    assert "paid CoinGecko API key" in str(caught.value)
    assert "statements" in str(caught.value)
    assert len(responses.calls) == 1


@responses.activate
def test_an_invalid_key_is_not_retryable():
    responses.get(
        f"{BASE}/simple/price",
        status=401,
        body=fixture_text("error_invalid_key.json"),
        content_type="application/json",
    )

    with pytest.raises(ProviderError) as caught:
        make_client(api_key="CG-wrong").spot_prices(["bitcoin"], ["usd"])

    assert caught.value.retryable is False
    assert "API Key Missing or Invalid" in str(caught.value)
    assert "CG-wrong" not in str(caught.value)


@responses.activate
def test_rate_limited_then_served():
    sleeps: list[float] = []
    responses.get(
        f"{BASE}/simple/price",
        status=429,
        headers={"Retry-After": "3"},
        body=fixture_text("error_rate_limit.json"),
        content_type="application/json",
    )
    responses.get(
        f"{BASE}/simple/price",
        body=fixture_text("simple_price_docs_example.json"),
        content_type="application/json",
    )

    quotes = make_client(sleeps=sleeps).spot_prices(["bitcoin"], ["usd"])

    assert sleeps == [3.0]
    assert [q.price for q in quotes] == [Decimal("67187.3358936566")]


@responses.activate
def test_rate_limited_for_a_minute_goes_back_to_the_task():
    responses.get(
        f"{BASE}/simple/price",
        status=429,
        headers={"Retry-After": "60"},
        body=fixture_text("error_rate_limit.json"),
        content_type="application/json",
    )

    with pytest.raises(ProviderError) as caught:
        make_client().spot_prices(["bitcoin"], ["usd"])

    assert caught.value.retryable is True and caught.value.retry_after == 60.0


def test_fixture_numbers_are_not_floats():
    # the edge-case body carries more digits than a double: a float parse would lose them
    raw = json.loads(fixture_text("simple_price.json"))
    assert str(raw["bitcoin"]["usd"]) != "67187.33589365664123"


@responses.activate
def test_the_published_spot_price_example():
    # CoinGecko's documented answer carries market cap, volume and change beside the price:
    # only the price in the asked currency is a quote
    responses.get(
        f"{BASE}/simple/price",
        body=fixture_text("simple_price_docs_example.json"),
        content_type="application/json",
    )

    quotes = make_client().spot_prices(["bitcoin"], ["usd"])

    # last_updated_at 1711356300 = 19807 days * 86400 + 31500 s = 2024-03-25 08:45:00 UTC
    assert 1711356300 == 19807 * 86400 + 8 * 3600 + 45 * 60
    assert quotes == [
        PriceQuote(
            "bitcoin",
            "USD",
            Decimal("67187.3358936566"),
            datetime(2024, 3, 25, 8, 45, tzinfo=UTC),
            "coingecko",
        )
    ]


@responses.activate
def test_the_published_hourly_range_example_gives_the_day_its_first_point():
    responses.get(
        f"{BASE}/coins/bitcoin/market_chart/range",
        body=fixture_text("market_chart_range_docs_example.json"),
        content_type="application/json",
    )

    quotes = make_client().daily_history("bitcoin", "usd", date(2024, 1, 1), date(2024, 1, 1))

    # three hourly points on 2024-01-01 (1704067200 is its 00:00 UTC); the first, 41.331 s
    # after midnight, is the day's price; 01:00 and 02:00 lose to it
    assert 1704067241331 - 1704067200 * 1000 == 41_331
    assert quotes == [
        PriceQuote(
            "bitcoin",
            "USD",
            Decimal("42261.0406175669"),
            datetime(2024, 1, 1, 0, 0, 41, 331000, tzinfo=UTC),
            "coingecko",
        )
    ]
