"""Helpers for the statement import tests: alice's portfolio, uploading a statement through the
API, and counting what the database holds."""

from __future__ import annotations

import io
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from currencies.models import Currency
from ledger.models import Import, LedgerEntry, Transfer, Wallet, WalletHolding
from portfolios.services import portfolio_create
from prices.models import Price

STATEMENTS = Path(__file__).parent / "statements"

V4_HEAD = (
    "\nTransactions\nUser,Jane Doe,1d5ebcbd-f257-5d9c-9fc2-d433a527aa71\n"
    "ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,"
    "Price at Transaction,Subtotal,Total (inclusive of fees and/or spread),"
    "Fees and/or Spread,Notes\n"
)
V3_HEAD = (
    "Timestamp,Transaction Type,Asset,Quantity Transacted,Spot Price Currency,"
    "Spot Price at Transaction,Subtotal,Total (inclusive of fees and/or spread),"
    "Fees and/or Spread,Notes\n"
)


def on_sqlite() -> bool:
    return connection.vendor == "sqlite"


@pytest.fixture
def postgres(db) -> None:
    """Skip where the database is not PostgreSQL (exact numeric beyond 15 digits)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite keeps 15 significant digits")


@pytest.fixture
def sqlite(db) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("about the embedded SQLite database")


@pytest.fixture
def portfolio(alice):
    return portfolio_create(user=alice, title="Main", currency_codes=["usd"], source="private-api")


def statement(name: str) -> bytes:
    return (STATEMENTS / name).read_bytes()


def upload(client, portfolio, content: bytes | str, *, name="statement.csv", **params):
    """POST a statement to the ingest endpoint; ``params`` go in the query string."""
    if isinstance(content, str):
        content = content.encode()
    file = io.BytesIO(content)
    file.name = name
    query = "&".join(f"{k}={v}" for k, v in params.items())
    url = f"/api/portfolios/{portfolio.pk}/ingest/csv" + (f"?{query}" if query else "")
    return client.post(url, {"file": file}, format="multipart")


def ok(response, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is True and abs(body["time"] - time.time()) < 60
    return body["result"]


def fail(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False and "result" not in body
    return body


def holdings(portfolio, wallet_name: str = "Coinbase") -> dict[str, Decimal]:
    """The stored holdings of one of the portfolio's wallets, zeros included."""
    return dict(
        WalletHolding.objects.filter(
            wallet__portfolio=portfolio, wallet__name=wallet_name
        ).values_list("asset__code", "quantity")
    )


def counts() -> dict[str, int]:
    """Rows of every table an import writes to."""
    return {
        model.__name__: model.objects.count()
        for model in (LedgerEntry, Import, Price, Currency, Wallet, WalletHolding, Transfer)
    }


def snapshot(portfolio) -> list[tuple]:
    """Everything about the portfolio's ledger rows that an import or refusal could change."""
    return list(
        LedgerEntry.objects.filter(portfolio=portfolio)
        .order_by("id")
        .values_list("id", "external_id", "quantity", "value", "pair_id", "user_modified")
    )
