"""Dashboard fixtures: alice's portfolio with an address and an offset, made through the
services, and signed-in Django test clients for alice and bob."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from addresses.services import address_create
from offsets.services import offset_create
from portfolios.models import Portfolio
from portfolios.services import portfolio_create

BTC_ADDRESS = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
BTC_BECH32 = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
LTC_ADDRESS = "LM2WMpR1Rp6j3Sa59cMXMs1SPzj9eXpGc1"
ETH_ADDRESS = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(alice) -> Client:
    return signed_in(alice)


@pytest.fixture
def bob_client(bob) -> Client:
    return signed_in(bob)


@pytest.fixture
def anon_client() -> Client:
    return Client()


@pytest.fixture
def portfolio(alice) -> Portfolio:
    return portfolio_create(user=alice, title="Main", currency_codes=["usd", "btc"], source="test")


@pytest.fixture
def address(portfolio):
    return address_create(
        portfolio=portfolio,
        title="Cold wallet",
        address=BTC_ADDRESS,
        currency_code="btc",
        source="test",
    )


@pytest.fixture
def offset(portfolio):
    return offset_create(
        portfolio=portfolio,
        title="Paper wallet",
        balances=[{"currency": "btc", "balance": "1.5"}, {"currency": "eth", "balance": "-2"}],
        source="test",
    )


def assert_login_redirect(response, path: str) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith("/auth/login/?next=")
    assert path.split("?")[0] in response["Location"].replace("%2F", "/")


# --- Data the background fetches would store ---------------------------------------------------


def spot(base: str, quote: str, price: str, *, fetched_at=None, at=None):
    """A spot price as the CoinGecko refresh stores it."""
    from django.utils import timezone

    from currencies.models import Currency
    from prices.models import SpotPrice

    now = timezone.now()
    return SpotPrice.objects.update_or_create(
        base=Currency.objects.get(code=base),
        quote=Currency.objects.get(code=quote),
        defaults={
            "price": Decimal(price),
            "at": at or fetched_at or now,
            "fetched_at": fetched_at or now,
            "source": "coingecko",
        },
    )[0]


def daily(base: str, quote: str, day, price: str, *, kind: str = "daily"):
    """A stored historical price (a daily close, or ``kind="observed"`` from a statement)."""
    from datetime import UTC, datetime, time

    from currencies.models import Currency
    from prices.models import Price

    return Price.objects.create(
        base=Currency.objects.get(code=base),
        quote=Currency.objects.get(code=quote),
        at=datetime.combine(day, time(12), UTC),
        price=Decimal(price),
        kind=kind,
        source="test",
    )


def fetched(address, balance: str | None = None, *, at=None, **state):
    """The address as a fetch leaves it: its fetch state (``at`` = when the balance was
    fetched; other fields as given) and its balance."""
    from django.utils import timezone

    from addresses.models import AddressBalance, AddressFetchState

    values = {"balances_fetched_at": at if at is not None else timezone.now(), **state}
    AddressFetchState.objects.update_or_create(address=address, defaults=values)
    if balance is not None:
        AddressBalance.objects.update_or_create(
            address=address,
            currency=address.currency,
            defaults={"balance": Decimal(balance), "source": "esplora"},
        )
    return address


def import_statement(portfolio, user, path: str = "demo/demo_data/coinbase-demo.csv"):
    """A statement imported as an upload would be."""
    from django.conf import settings

    from ingest.services import statement_import

    with (settings.BASE_DIR / path).open("rb") as stream:
        return statement_import(
            portfolio=portfolio, user=user, stream=stream, file_name=path.rsplit("/", 1)[-1]
        )
