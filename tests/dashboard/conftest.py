"""Dashboard fixtures: alice's portfolio with an address and an offset, made through the
services, and signed-in Django test clients for alice and bob."""

from __future__ import annotations

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
    assert response["Location"].startswith("/accounts/login/?next=")
    assert path.split("?")[0] in response["Location"].replace("%2F", "/")
