"""The currencies the price refresh asks for: every code some portfolio reports in, an address
is of, an offset notes, or a statement-fed wallet holds (each app answers for its own)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from addresses.models import Address
from currencies.models import Currency
from ledger.models import Wallet, WalletHolding
from offsets.services import offset_create
from portfolios.models import Portfolio
from portfolios.services import portfolio_create
from prices.services import currencies_in_use
from users.models import User

pytestmark = pytest.mark.django_db


def test_every_holder_app_contributes_its_currencies():
    assert currencies_in_use() == set()  # nothing held, nothing reported

    user = User.objects.create_user(email="ann@example.com", password="pw-long-enough-1")
    portfolio = portfolio_create(
        user=user, title="Main", currency_codes=["usd", "eur"], source=Portfolio.SOURCE_API
    )
    Address.objects.create(
        portfolio=portfolio,
        address="bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        currency=Currency.objects.get(code="btc"),
    )
    offset_create(
        portfolio=portfolio,
        title="Paper",
        balances=[{"currency": "sol", "balance": "3"}],
        source=Portfolio.SOURCE_API,
    )
    imported = Wallet.objects.create(portfolio=portfolio, kind=Wallet.IMPORT, name="Coinbase")
    own_address = Wallet.objects.create(portfolio=portfolio, kind=Wallet.ADDRESS, name="bc1q")
    WalletHolding.objects.create(
        wallet=imported, asset=Currency.objects.get(code="eth"), quantity=Decimal("2")
    )
    WalletHolding.objects.create(  # sold out: not in use any more
        wallet=imported, asset=Currency.objects.get(code="grt"), quantity=Decimal("0")
    )
    WalletHolding.objects.create(  # an address wallet: its address already counts
        wallet=own_address, asset=Currency.objects.get(code="ltc"), quantity=Decimal("1")
    )

    assert currencies_in_use() == {"usd", "eur", "btc", "sol", "eth"}
