"""Builders for ledger tests: alice's portfolio, wallets, rows, addresses with their stored
chain history, and daily prices, made directly with the ORM (the sources are tested
elsewhere)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from addresses.models import Address, AddressTransaction
from currencies.models import Currency
from ledger.holdings import wallet_holdings_recompute
from ledger.kinds import Kind
from ledger.models import LedgerEntry, Wallet
from portfolios.models import Portfolio
from portfolios.services import portfolio_create
from prices.models import Price

BTC_ADDRESS = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
BTC_BECH32 = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
_ids = itertools.count(1)


def at(day: int, hour: int = 12, minute: int = 0, month: int = 3, year: int = 2024) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def cur(code: str) -> Currency:
    return Currency.objects.get(code=code)


def make_portfolio(user, title: str = "Main", currencies=("usd", "btc")) -> Portfolio:
    return portfolio_create(
        user=user, title=title, currency_codes=list(currencies), source="private-api"
    )


def make_wallet(portfolio: Portfolio, name: str = "Coinbase", kind: str = Wallet.IMPORT) -> Wallet:
    return Wallet.objects.create(portfolio=portfolio, kind=kind, name=name)


def make_entry(
    wallet: Wallet,
    kind: Kind | str,
    quantity: str,
    when: datetime,
    asset: str = "btc",
    *,
    value: str | None = None,
    value_currency: str | None = "usd",
    **fields,
) -> LedgerEntry:
    """A row made with the ORM, and its wallet's holdings recomputed as every service that
    writes rows does."""
    fields.setdefault("external_id", f"row-{next(_ids)}")
    entry = LedgerEntry.objects.create(
        portfolio=wallet.portfolio,
        wallet=wallet,
        kind=Kind(kind).value,
        asset=cur(asset),
        quantity=Decimal(quantity),
        occurred_at=when,
        value=None if value is None else Decimal(value),
        value_currency=cur(value_currency) if value is not None and value_currency else None,
        value_source=LedgerEntry.VALUE_FILE if value is not None else LedgerEntry.VALUE_MISSING,
        **fields,
    )
    wallet_holdings_recompute(wallet=wallet)
    return entry


def make_address(
    portfolio: Portfolio, title: str = "Cold wallet", address: str = BTC_ADDRESS
) -> Address:
    return Address.objects.create(
        portfolio=portfolio, title=title, address=address, currency=cur("btc")
    )


def make_txn(
    address: Address,
    txid: str,
    delta: str,
    when: datetime,
    fee: str = "0",
    *,
    confirmed: bool = True,
    key: str | None = None,
) -> AddressTransaction:
    return AddressTransaction.objects.create(
        address=address,
        currency=address.currency,
        key=key or txid,
        reference=txid,
        delta=Decimal(delta),
        fee=Decimal(fee),
        txn_at=when,
        confirmed=confirmed,
        source="esplora",
    )


def make_price(base: str, quote: str, day: datetime, price: str) -> Price:
    midnight = day.replace(hour=0, minute=0, second=0, microsecond=0)
    return Price.objects.create(
        base=cur(base),
        quote=cur(quote),
        at=midnight,
        price=Decimal(price),
        kind=Price.DAILY,
        source="coingecko",
    )


@pytest.fixture
def portfolio(alice) -> Portfolio:
    """Alice's portfolio, reported in usd and btc."""
    return make_portfolio(alice)
