"""A portfolio with thousands of ledger rows: the change check the cost-basis build runs first
(a sum of the rows' update times in microseconds) must not overflow SQLite's 64-bit integers,
which it did from about 5,000 rows (an exchange account's history reaches that quickly)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from costbasis.models import Lot
from ledger.models import LedgerEntry
from tests.costbasis.conftest import build
from tests.ledger_api.conftest import at, cur, make_portfolio, make_wallet

ROWS = 6_000


def test_a_ledger_of_6000_rows_builds_and_a_second_build_finds_nothing_new(alice):
    portfolio = make_portfolio(alice)
    wallet = make_wallet(portfolio)
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            portfolio=portfolio,
            wallet=wallet,
            kind="buy",
            asset=cur("btc"),
            quantity=Decimal("0.001"),
            value=Decimal("50"),
            value_currency=cur("usd"),
            occurred_at=at(1) + timedelta(minutes=i),
            external_id=f"bulk-{i}",
        )
        for i in range(ROWS)
    )

    first = build(portfolio)
    assert Lot.objects.filter(portfolio=portfolio).count() == ROWS
    assert first is not None

    # Nothing changed: the second build sees the same fingerprint and keeps the lots
    lot_ids = set(Lot.objects.filter(portfolio=portfolio).values_list("pk", flat=True))
    build(portfolio)
    assert set(Lot.objects.filter(portfolio=portfolio).values_list("pk", flat=True)) == lot_ids
