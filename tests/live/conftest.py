"""The live-data layer under test: explorers and CoinGecko replayed with ``responses`` on fake
hosts, tasks run synchronously at the end of a ``with run_tasks() as ran:`` block (standing for
the request's commit), a cache namespace of the test's own, no rate limits and no backoff
sleeps."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import responses
from django.core.cache import cache
from rest_framework.test import APIClient

from core.ratelimit import NoRateLimit
from tests.conftest import client_for

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ESPLORA = "http://esplora.test/api"
ESPLORA_LTC = "http://esplora-ltc.test/api"
COINGECKO = "http://coingecko.test/api/v3"
ETHEREUM_RPC = "http://eth-rpc.test/"
ETHERSCAN = "http://etherscan.test/v2/api"

# The fixture Esplora address (tests/fixtures/esplora, hand-made: see tests/fixtures/README.md):
# 32 confirmed transactions and one unconfirmed receipt; confirmed balance 5.5535165 BTC.
BTC_ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
BTC_BALANCE = Decimal("5.5535165")
# Other valid addresses, answered with hand-made documents (one receipt each).
BTC_OTHER = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
BTC_THIRD = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"
LTC_ADDRESS = "LM2WMpR1Rp6j3Sa59cMXMs1SPzj9eXpGc1"

# Hand-made spot prices: round figures so that the tests' hand computations stay readable, and
# a recent time so that they count as fresh. CoinGecko's published answer is checked in
# tests/prices/test_coingecko.py (simple_price_docs_example.json).
PRICE_TIME = 1_763_683_000
PRICES: dict[str, dict[str, str | int]] = {
    "bitcoin": {"usd": "60000.5", "eur": "55000.25", "btc": "1", "last_updated_at": PRICE_TIME},
    "litecoin": {"usd": "100.25", "eur": "92.5", "btc": "0.0016", "last_updated_at": PRICE_TIME},
    "ethereum": {"usd": "3000.75", "eur": "2750.5", "btc": "0.05", "last_updated_at": PRICE_TIME},
}


def load(path: str) -> Any:
    return json.loads((FIXTURES / path).read_text())


def fixture_text(path: str) -> str:
    return (FIXTURES / path).read_text()


@pytest.fixture(autouse=True)
def live_settings(settings, monkeypatch):
    """Fake hosts for every outside service; tasks synchronous at commit; this test's own cache
    keys (the Redis cache outlives the test database); no rate limit, no backoff sleeps."""
    settings.ESPLORA_BTC_URL = ESPLORA
    settings.ESPLORA_LTC_URL = ESPLORA_LTC
    settings.COINGECKO_URL = COINGECKO
    settings.COINGECKO_API_KEY = ""
    settings.ETHEREUM_RPC_URL = ETHEREUM_RPC
    settings.ETHERSCAN_URL = ETHERSCAN
    settings.TASKS_SYNC = True
    settings.TASKS_IN_PROCESS = False
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": prefix}}
    monkeypatch.setattr("core.http.default_rate_limiter", lambda *a, **k: NoRateLimit())
    monkeypatch.setattr("core.http.HttpClient.backoff_delay", lambda self, attempt: 0.0)
    yield settings
    _forget_cache_keys(prefix)


def _forget_cache_keys(prefix: str) -> None:
    """Redis keeps keys after the test database is gone: drop this test's."""
    backend = getattr(cache, "_cache", None)
    get_client = getattr(backend, "get_client", None)
    if get_client is None:
        return  # the database cache is rolled back with the test
    client = get_client(write=True)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=500))
    if keys:
        client.delete(*keys)


@pytest.fixture
def mocked():
    """``responses`` for the whole test; a request nobody registered fails the fetch loudly."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def esplora_address_doc(
    address: str, *, funded: int, spent: int = 0, tx_count: int = 1
) -> dict[str, Any]:
    return {
        "address": address,
        "chain_stats": {
            "funded_txo_count": tx_count,
            "funded_txo_sum": funded,
            "spent_txo_count": 0,
            "spent_txo_sum": spent,
            "tx_count": tx_count,
        },
        "mempool_stats": {
            "funded_txo_count": 0,
            "funded_txo_sum": 0,
            "spent_txo_count": 0,
            "spent_txo_sum": 0,
            "tx_count": 0,
        },
    }


def esplora_receipt(address: str, txid: str, sats: int, block_time: int, height: int) -> dict:
    return {
        "txid": txid,
        "fee": 1000,
        "vin": [
            {
                "txid": "00" * 32,
                "vout": 0,
                "is_coinbase": False,
                "prevout": {
                    "scriptpubkey_address": "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
                    "value": sats + 1000,
                },
            }
        ],
        "vout": [{"scriptpubkey_address": address, "value": sats}],
        "status": {"confirmed": True, "block_height": height, "block_time": block_time},
    }


def replay_esplora(
    rsps: responses.RequestsMock, address: str = BTC_ADDRESS, base: str = ESPLORA
) -> None:
    """The fixture address's hand-made history, or a one-receipt address for others."""
    if address == BTC_ADDRESS:
        page1 = load("esplora/txs.json")
        rsps.get(f"{base}/address/{address}", json=load("esplora/address.json"))
        rsps.get(f"{base}/address/{address}/txs", json=page1)
        rsps.get(
            f"{base}/address/{address}/txs/chain/{page1[-1]['txid']}",
            json=load("esplora/txs_chain_page2.json"),
        )
        return
    sats = 25_000_000 + sum(map(ord, address)) % 1000
    rsps.get(f"{base}/address/{address}", json=esplora_address_doc(address, funded=sats))
    rsps.get(
        f"{base}/address/{address}/txs",
        json=[
            esplora_receipt(
                address,
                uuid.uuid5(uuid.NAMESPACE_URL, address).hex * 2,
                sats,
                1_700_000_000,
                810_000,
            )
        ],
    )


def synthetic_balance(address: str) -> Decimal:
    return Decimal(25_000_000 + sum(map(ord, address)) % 1000) / 10**8


def replay_coingecko(
    rsps: responses.RequestsMock, prices: dict[str, Any] | None = None, **kwargs
) -> None:
    """``/simple/price`` answers the asked ids among ``prices`` (unknown ids are missing, as
    CoinGecko does), numbers written as JSON numbers with every digit."""
    table = PRICES if prices is None else prices

    def answer(request):
        from urllib.parse import parse_qs, urlsplit

        query = parse_qs(urlsplit(request.url).query)
        ids = query.get("ids", [""])[0].split(",")
        vs = query.get("vs_currencies", [""])[0].split(",")
        body = {}
        for coin in ids:
            if coin in table:
                row = {k: v for k, v in table[coin].items() if k in vs or k == "last_updated_at"}
                body[coin] = row
        text = json.dumps(body)
        for row in body.values():  # numbers, not strings, exactly as CoinGecko sends them
            for key, value in row.items():
                if isinstance(value, str):
                    text = text.replace(f'"{key}": "{value}"', f'"{key}": {value}')
        return (200, {"Content-Type": "application/json"}, text)

    rsps.add_callback(responses.GET, f"{COINGECKO}/simple/price", callback=answer, **kwargs)


def price_at() -> datetime:
    return datetime.fromtimestamp(PRICE_TIME, UTC)


@pytest.fixture
def alice_api(alice) -> APIClient:
    return client_for(alice, "read write delete")


def ok(response, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is True, body
    return body["result"]


def not_ready(response) -> datetime:
    """A 503 ``Not ready`` with ``try_again_at`` (ISO 8601, UTC) and a matching Retry-After."""
    assert response.status_code == 503, response.content
    body = response.json()
    assert body["success"] is False and "result" not in body
    assert body["message"] == "Not ready"
    when = datetime.fromisoformat(body["try_again_at"])
    assert when.utcoffset() == timedelta(0) and body["try_again_at"].endswith("+00:00")
    assert int(response["Retry-After"]) >= 1
    return when


def failed(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False and "result" not in body
    return body


def make_portfolio(api: APIClient, title: str = "Main", currencies=("btc", "usd")) -> int:
    return ok(
        api.post(
            "/api/portfolios", {"title": title, "currencies": list(currencies)}, format="json"
        ),
        201,
    )["id"]


def add_address(
    api: APIClient, portfolio_id: int, address: str = BTC_ADDRESS, currency: str = "btc"
) -> int:
    body = {"title": f"wallet {address[:6]}", "address": address, "currency": currency}
    return ok(api.post(f"/api/portfolios/{portfolio_id}/addresses", body, format="json"), 201)["id"]


def add_offset(
    api: APIClient, portfolio_id: int, balances: dict[str, str], title: str = "Paper"
) -> int:
    body = {
        "title": title,
        "balances": [{"currency": c, "balance": b} for c, b in balances.items()],
    }
    return ok(api.post(f"/api/portfolios/{portfolio_id}/offsets", body, format="json"), 201)["id"]


class Enqueued:
    """What went to the broker: every ``apply_async`` of the patched tasks, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple, dict]] = []

    def record(self, name: str) -> Callable[..., None]:
        def apply_async(args=(), kwargs=None, **options):
            self.calls.append((name, tuple(args or ()), dict(kwargs or {})))

        return apply_async

    def of(self, name: str) -> list[tuple]:
        return [args for task, args, _ in self.calls if task == name]


@pytest.fixture
def enqueued(settings, monkeypatch) -> Enqueued:
    """A broker instead of synchronous tasks (TASKS_SYNC and TASKS_IN_PROCESS off), with every
    task's ``apply_async`` recorded instead of sent."""
    from addresses.tasks import address_fetch, addresses_refresh_stale
    from prices.tasks import prices_refresh_spot_task

    settings.TASKS_SYNC = False
    settings.TASKS_IN_PROCESS = False
    record = Enqueued()
    for task in (address_fetch, addresses_refresh_stale, prices_refresh_spot_task):
        monkeypatch.setattr(task, "apply_async", record.record(task.name))
    return record


FETCH = "addresses.tasks.address_fetch"
SPOT = "prices.tasks.prices_refresh_spot"


@pytest.fixture
def run_tasks(monkeypatch, django_capture_on_commit_callbacks):
    """``with run_tasks() as ran:``: what the block enqueues runs at its end (TASKS_SYNC: on
    commit), and ``ran`` lists which address fetches and price refreshes ran (other apps may
    hook their own work on the same commits; it runs too but is not listed)."""
    from addresses.tasks import address_fetch
    from prices.tasks import prices_refresh_spot_task

    active: list[Enqueued] = []
    for task in (address_fetch, prices_refresh_spot_task):

        def apply(args=None, kwargs=None, *, _original=task.apply, _name=task.name, **options):
            for record in active:
                record.calls.append((_name, tuple(args or ()), dict(kwargs or {})))
            return _original(args=args, kwargs=kwargs, **options)

        monkeypatch.setattr(task, "apply", apply)

    @contextmanager
    def run() -> Iterator[Enqueued]:
        record = Enqueued()
        active.append(record)
        try:
            with django_capture_on_commit_callbacks(execute=True):
                yield record
        finally:
            active.remove(record)

    return run


def age_prices(ago: timedelta) -> None:
    """As if the stored spot prices, and the last attempt to refresh them, were ``ago`` old."""
    from django.utils import timezone

    from prices.models import SpotPrice
    from prices.services import LAST_ATTEMPT_KEY

    then = timezone.now() - ago
    SpotPrice.objects.update(fetched_at=then)
    cache.set(LAST_ATTEMPT_KEY, {"at": then.isoformat(), "error": ""}, None)
