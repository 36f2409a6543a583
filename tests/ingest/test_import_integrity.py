"""What the ledger's foreign keys guarantee now that most of them are kept by the code rather
than by database constraints (issue 14, ``LedgerEntry``): deleting what owns imported rows
still removes them (Django cascades itself), and an import whose currency disappears under it
is refused with its line and stores nothing."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.db import connection

from core.exceptions import ValidationFailed
from currencies.models import Currency
from ingest.services import statement_import
from ingest.storing import BATCH_SIZE
from ledger.models import Import, LedgerEntry, Wallet, WalletHolding
from portfolios.services import portfolio_create
from prices.models import Price
from tests.conftest import client_for
from tests.ingest.conftest import V4_HEAD, counts, ok, upload

# A buy and a sell of 1 BTC, then a Convert of 1 ETH into 2,000 USDC (two legs, paired).
SMALL = V4_HEAD + (
    "b1,2024-01-01 10:00:00 UTC,Buy,BTC,1,USD,$40000,$40000,$40100,$100,Bought 1 BTC\n"
    "b2,2024-01-02 10:00:00 UTC,Buy,ETH,1,USD,$2000,$2000,$2000,$0,Bought 1 ETH\n"
    "c1,2024-01-03 10:00:00 UTC,Convert,ETH,-1,USD,$2000,$2000,$2000,$0,"
    "Converted 1 ETH to 2000 USDC\n"
)


def _entries(portfolio) -> int:
    return LedgerEntry.objects.filter(portfolio=portfolio).count()


@pytest.fixture
def two_portfolios(alice, bob, api):
    """Alice's portfolio with SMALL imported, and Bob's with the same file."""
    mine = portfolio_create(user=alice, title="Main", currency_codes=["usd"], source="web")
    theirs = portfolio_create(user=bob, title="Bob's", currency_codes=["usd"], source="web")
    ok(upload(api, mine, SMALL), 201)
    ok(upload(client_for(bob), theirs, SMALL), 201)
    # 4 rows each: the buys, and the Convert's two legs, paired with each other.
    assert _entries(mine) == _entries(theirs) == 4
    assert LedgerEntry.objects.filter(portfolio=mine, pair__isnull=False).count() == 2
    return mine, theirs


def test_deleting_a_portfolio_through_the_api_removes_its_rows(api, two_portfolios):
    mine, theirs = two_portfolios

    ok(api.delete(f"/api/portfolios/{mine.pk}"))

    assert _entries(mine) == 0
    assert not Import.objects.filter(portfolio=mine).exists()
    assert not Wallet.objects.filter(portfolio=mine).exists()
    assert not WalletHolding.objects.filter(wallet__portfolio=mine).exists()
    assert _entries(theirs) == 4  # another user's rows are untouched
    assert LedgerEntry.objects.count() == 4


def test_undoing_an_import_through_the_api_removes_exactly_its_rows(api, two_portfolios):
    mine, theirs = two_portfolios
    imp = Import.objects.get(portfolio=mine)

    result = ok(api.delete(f"/api/portfolios/{mine.pk}/imports/{imp.pk}"))

    assert result["rows_removed"] == 4
    assert _entries(mine) == 0 and _entries(theirs) == 4


def test_deleting_an_import_record_removes_its_rows(two_portfolios):
    """The admin deletes an Import with the ORM: its rows go with it (Django's cascade)."""
    mine, theirs = two_portfolios

    Import.objects.get(portfolio=mine).delete()

    assert _entries(mine) == 0 and _entries(theirs) == 4


def test_deleting_a_user_removes_their_portfolios_rows(alice, two_portfolios):
    mine, theirs = two_portfolios

    alice.delete()

    assert _entries(mine) == 0
    assert not Wallet.objects.filter(portfolio_id=mine.pk).exists()
    assert _entries(theirs) == 4
    assert LedgerEntry.objects.count() == 4


def test_deleting_a_row_clears_its_partners_link(two_portfolios):
    """``pair`` has no database constraint: deleting one leg sets the other's to null."""
    mine, _ = two_portfolios
    leg, other = LedgerEntry.objects.filter(portfolio=mine, pair__isnull=False).order_by("id")

    leg.delete()

    other.refresh_from_db()
    assert other.pair_id is None


def test_a_currency_used_by_rows_cannot_be_deleted(two_portfolios):
    """``asset`` is PROTECT, kept by Django without a database constraint."""
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        Currency.objects.get(code="btc").delete()
    assert LedgerEntry.objects.filter(asset__code="btc").count() == 2


def _buys(count: int) -> bytes:
    """A statement of ``count`` buys of 0.001 BTC at $50,000 (value $50 each), one a minute."""
    rows = (
        f"id{n:06d},2024-01-{1 + n // 1440:02d} {n // 60 % 24:02d}:{n % 60:02d}:00 UTC,Buy,BTC,"
        "0.001,USD,$50000,$50,$50.50,$0.50,Bought 0.001 BTC\n"
        for n in range(count)
    )
    return (V4_HEAD + "".join(rows)).encode()


def test_an_import_whose_currency_disappears_is_refused_and_stores_nothing(alice):
    """The currencies of each batch are checked in one query (ledger rows keep no database
    constraint on them). Here BTC's row is removed between the first and the second batch
    (as another session could, past the admin's PROTECT check): the second batch is refused,
    naming its first line, and nothing of the import stays."""
    portfolio = portfolio_create(user=alice, title="Main", currency_codes=["usd"], source="web")
    before = counts()
    removed: list[int] = []

    def remove_btc(bytes_read: int, rows_read: int) -> None:
        if removed:
            return
        btc = Currency.objects.get(code="btc")
        with connection.cursor() as cursor:  # no ORM: its PROTECT would refuse
            cursor.execute("DELETE FROM currencies_currency WHERE id = %s", [btc.pk])
        removed.append(btc.pk)

    with pytest.raises(ValidationFailed) as refused:
        statement_import(
            portfolio=portfolio,
            user=alice,
            stream=io.BytesIO(_buys(BATCH_SIZE + 10)),
            file_name="buys.csv",
            on_progress=remove_btc,
        )

    assert removed  # the first batch was stored, then BTC went
    first_line_of_second_batch = 4 + BATCH_SIZE + 1  # 4 lines of preamble and header
    assert str(refused.value) == (
        f"line {first_line_of_second_batch}: currency 'BTC' no longer exists (it was removed "
        "while this file was being imported); nothing was imported"
    )
    assert counts() == before
    assert not LedgerEntry.objects.exists()


def test_the_same_statement_in_two_batches_is_stored_whole(alice):
    """The per-batch currency check passes when nothing is removed: every row is stored, and
    the holdings add up (2,010 x 0.001 BTC)."""
    portfolio = portfolio_create(user=alice, title="Main", currency_codes=["usd"], source="web")

    outcome = statement_import(
        portfolio=portfolio,
        user=alice,
        stream=io.BytesIO(_buys(BATCH_SIZE + 10)),
        file_name="buys.csv",
    )

    assert outcome.imp.rows_added == BATCH_SIZE + 10
    holding = WalletHolding.objects.get(wallet__portfolio=portfolio, asset__code="btc")
    assert holding.quantity == Decimal("2.010")


def test_deleting_a_currency_removes_its_prices(api, bob, two_portfolios):
    """Prices keep no database constraint on their currencies either: once nothing uses BTC
    (both imports undone through the API), deleting it removes the prices the statements
    brought (Django's cascade), and ETH's stay."""
    for portfolio, client in zip(two_portfolios, (api, client_for(bob)), strict=True):
        imp = Import.objects.get(portfolio=portfolio)
        ok(client.delete(f"/api/portfolios/{portfolio.pk}/imports/{imp.pk}"))
    assert Price.objects.filter(base__code="btc").count() == 1  # one per (pair, time)
    eth_prices = Price.objects.filter(base__code="eth").count()
    assert eth_prices == 2

    Currency.objects.get(code="btc").delete()

    assert not Price.objects.filter(base__code="btc").exists()
    assert Price.objects.filter(base__code="eth").count() == eth_prices
