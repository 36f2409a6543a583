"""Inserting many ledger rows and prices at once.

On PostgreSQL rows go in with ``COPY ... FROM STDIN`` (psycopg formats them in C): building
Django model instances and compiling a parameterised INSERT costs about 200 microseconds a row,
COPY a few, which is what lets an import keep up with the parser. Prices go through a
temporary table so that ``ON CONFLICT DO NOTHING`` still deduplicates them. Elsewhere (the
embedded SQLite database) the ORM's ``bulk_create`` does both, with its checks.

Callers pass values already checked (``storing.check_exact``, ``storing.fit``), in the order
of ``ENTRY_COLUMNS`` / ``PRICE_COLUMNS``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.utils import timezone
from psycopg import sql

from currencies.models import Currency
from ledger.models import LedgerEntry
from prices.models import Price

# Every column a statement row sets; the others keep their defaults (listed in _DEFAULTS).
ENTRY_COLUMNS = (
    "id",
    "pair_id",
    "portfolio_id",
    "wallet_id",
    "occurred_at",
    "kind",
    "income_type",
    "asset_id",
    "quantity",
    "value",
    "value_currency_id",
    "value_source",
    "fee_asset_id",
    "fee_amount",
    "fee_value",
    "external_id",
    "pair_key",
    "source_import_id",
    "tx_type",
    "notes",
    "counterparty",
    "line",
    "migration",
)
_DEFAULTS = (("reference", ""), ("user_modified", False), ("pinned_lots", "[]"))
PRICE_COLUMNS = ("base_id", "quote_id", "at", "price")

EntryValues = list  # in ENTRY_COLUMNS order
PricePoint = tuple[int, int, datetime, Decimal]


def _column(model, attname: str) -> str:
    return next(f.column for f in model._meta.concrete_fields if f.attname == attname)


def copy_supported() -> bool:
    return connection.vendor == "postgresql"


def reserve_entry_ids(count: int) -> list[int] | None:
    """``count`` new LedgerEntry ids from the table's sequence (PostgreSQL), so that rows can
    point at each other (``pair``) as they are inserted. None where ids come on insert."""
    if not copy_supported():
        return None
    table, column = LedgerEntry._meta.db_table, LedgerEntry._meta.pk.column
    with connection.cursor() as cursor:
        # The sequence's name is looked up once (a MATERIALIZED CTE), not once per id: as an
        # argument of nextval() it was evaluated per row, 5 of the 6 microseconds of each id.
        cursor.execute(
            "WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, %s)::regclass AS seq) "
            "SELECT nextval(s.seq) FROM s, generate_series(1, %s)",
            (table, column, count),
        )
        return [pk for (pk,) in cursor.fetchall()]


def missing_currencies(ids: Iterable[int]) -> set[int]:
    """Which of the currency ids are not (or no longer) in the currency table. Ledger rows
    keep no database constraint on their currencies (``LedgerEntry``): the statement import
    checks a batch's currencies with this one query instead of PostgreSQL checking each row.
    On PostgreSQL the ones found are held (``FOR KEY SHARE``, what a constraint's check takes)
    until the transaction ends: a delete of one of them waits for the import to finish."""
    wanted = set(ids)
    if not wanted:
        return set()
    if copy_supported():
        table = connection.ops.quote_name(Currency._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM {table} WHERE id = ANY(%s) FOR KEY SHARE",  # noqa: S608
                (sorted(wanted),),
            )
            found = {pk for (pk,) in cursor.fetchall()}
    else:
        found = set(Currency.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    return wanted - found


def existing_external_ids(wallet_id: int, external_ids: list[str]) -> dict[str, bool]:
    """Which of ``external_ids`` the wallet already has: external id -> user_modified."""
    if copy_supported():  # one array parameter instead of thousands of placeholders
        table = connection.ops.quote_name(LedgerEntry._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT external_id, user_modified FROM {table} "  # noqa: S608 - a model's table
                "WHERE wallet_id = %s AND external_id = ANY(%s)",
                (wallet_id, external_ids),
            )
            return dict(cursor.fetchall())
    return dict(
        LedgerEntry.objects.filter(wallet_id=wallet_id, external_id__in=external_ids).values_list(
            "external_id", "user_modified"
        )
    )


def insert_entries(rows: Sequence[EntryValues]) -> list[LedgerEntry] | None:
    """Insert ``rows``. Returns the created instances (with ids) on the ORM path, None after
    COPY (which returns no ids: callers that need some query them)."""
    if not rows:
        return []
    if not copy_supported():
        return LedgerEntry.objects.bulk_create(
            [LedgerEntry(**dict(zip(ENTRY_COLUMNS, row, strict=True))) for row in rows],
            batch_size=len(rows),
        )
    # The time as text, formatted once: psycopg's datetime dumper costs microseconds a value,
    # a third of the formatting of a row for these two columns alone.
    now = timezone.now().isoformat()
    names = (*ENTRY_COLUMNS, *(name for name, _ in _DEFAULTS), "created_at", "updated_at")
    tail = (*(value for _, value in _DEFAULTS), now, now)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(LedgerEntry._meta.db_table),
        sql.SQL(", ").join(sql.Identifier(_column(LedgerEntry, n)) for n in names),
    )
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        write = copy.write_row
        for row in rows:
            write((*row, *tail))
    return None


def insert_prices(points: Iterable[PricePoint], *, kind: str, source: str) -> None:
    """Insert observed prices, skipping those already stored for (base, quote, at, source)."""
    points = list(points)
    if not points:
        return
    if not copy_supported():
        Price.objects.bulk_create(
            [
                Price(base_id=b, quote_id=q, at=at, price=p, kind=kind, source=source)
                for b, q, at, p in points
            ],
            batch_size=len(points),
            ignore_conflicts=True,
        )
        return
    table = sql.Identifier(Price._meta.db_table)
    columns = [_column(Price, n) for n in PRICE_COLUMNS]
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute(
            "CREATE TEMP TABLE IF NOT EXISTS ingest_price_points "
            "(base_id bigint, quote_id bigint, at timestamptz, price numeric) ON COMMIT DROP"
        )
        raw.execute("DELETE FROM ingest_price_points")  # TRUNCATE would swap files each batch
        with raw.copy("COPY ingest_price_points FROM STDIN") as copy:
            for point in points:
                copy.write_row(point)
        raw.execute(
            sql.SQL(
                "INSERT INTO {} ({}, kind, source, created_at) "
                "SELECT base_id, quote_id, at, price, %s, %s, %s FROM ingest_price_points "
                "ON CONFLICT DO NOTHING"
            ).format(table, sql.SQL(", ").join(map(sql.Identifier, columns))),
            (kind, source, timezone.now()),
        )
