"""Storing a cost-basis result: one DELETE per table, then COPY (PostgreSQL, psycopg 3) or
bulk_create (SQLite); and the exact summary figures kept on the build.

Amounts are stored rounded half-even to 18 decimal places (the storage precision; see
costbasis.models); the summary keeps the engine's exact sums as strings.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from typing import Any

from django.db import connection

from costbasis.engine import (
    ELSEWHERE,
    TRANSIT_PREFIX,
    Pooling,
    Result,
    by_asset_and_year,
    holdings,
    income_by_year,
    realized_gains_by_year,
)
from costbasis.engine.arith import EXACT
from costbasis.load import Loaded
from costbasis.models import CostBasisFlag, Disposal, DisposalLot, IncomeRecord, Lot
from ledger.models import LedgerEntry

WRITE_BATCH = 5_000
MISSING_IDS_SHOWN = 100
PLACES = Decimal(1).scaleb(-18)
_STORE = Context(prec=60, rounding=ROUND_HALF_EVEN)
ZERO = Decimal(0)


def q18(value: Decimal) -> Decimal:
    """An engine amount as stored: rounded half-even to 18 decimal places.

    Only money needs it (costs and proceeds are split by division). Quantities are written as
    they are: the engine only adds and subtracts them, and they come from numeric(38, 18)
    columns, so they never have more than 18 decimal places."""
    return value.quantize(PLACES, context=_STORE)


def _pool_wallet(pool: str | None) -> int | None:
    """The wallet id of a per-wallet pool key ("import:4" -> 4); None for the others."""
    if not pool or pool == ELSEWHERE or pool.startswith(TRANSIT_PREFIX):
        return None
    return int(pool.rsplit(":", 1)[1])


def write_result(
    *, portfolio_id: int, pooling: Pooling, result: Result, loaded: Loaded, full: bool
) -> int:
    """Store the result: everything replaced (full) or appended (continuation; the open lots
    are always replaced). One DELETE per table. Returns the disposals written."""
    pid = portfolio_id
    writer = _Writer()
    tables = [Lot] + ([Disposal, DisposalLot, IncomeRecord, CostBasisFlag] if full else [])
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} WHERE portfolio_id = %s",  # noqa: S608
                [pid],
            )
    ids = loaded.ids
    per_wallet = pooling == Pooling.PER_WALLET
    wallet_of = loaded.wallet_of
    missing = {lot.source_entry_id for lot in result.lots} | {d.entry_id for d in result.disposals}
    missing -= wallet_of.keys()  # rows before a continuation's cutoff
    if missing:
        wallet_of = dict(wallet_of)
        wallet_of.update(LedgerEntry.objects.filter(pk__in=missing).values_list("pk", "wallet_id"))
    writer.rows(
        Lot,
        [
            "portfolio_id",
            "asset_id",
            "pool",
            "wallet_id",
            "source_entry_id",
            "acquired_at",
            "original_quantity",
            "remaining_quantity",
            "cost",
            "unit_cost",
            "remaining_cost",
            "estimated",
        ],
        (
            (
                pid,
                ids[lot.asset],
                lot.wallet or "",
                _pool_wallet(lot.wallet) if per_wallet else wallet_of.get(lot.source_entry_id),
                lot.source_entry_id,
                lot.acquired_at,
                lot.original_quantity,
                lot.remaining_quantity,
                q18(lot.cost),
                q18(lot.unit_cost),
                q18(lot.remaining_cost),
                lot.estimated,
            )
            for lot in result.lots
        ),
    )
    disposals = result.disposals
    disposal_id = writer.reserve_ids(Disposal, len(disposals))
    writer.rows(
        Disposal,
        [
            "id",
            "portfolio_id",
            "entry_id",
            "at",
            "kind",
            "asset_id",
            "pool",
            "wallet_id",
            "method",
            "quantity",
            "proceeds",
            "cost",
            "missing_quantity",
        ],
        (
            (
                disposal_id(n),
                pid,
                d.entry_id,
                d.at,
                d.kind.value,
                ids[d.asset],
                d.wallet or "",
                wallet_of.get(d.entry_id),
                d.method.value,
                d.quantity,
                q18(d.proceeds),
                q18(d.cost),
                d.missing_quantity,
            )
            for n, d in enumerate(disposals)
        ),
    )
    writer.rows(
        DisposalLot,
        [
            "portfolio_id",
            "disposal_id",
            "position",
            "source_entry_id",
            "acquired_at",
            "quantity",
            "cost",
            "proceeds",
            "long_term",
        ],
        (
            (
                pid,
                disposal_id(n),
                position,
                p.source_entry_id,
                p.acquired_at,
                p.quantity,
                q18(p.cost),
                q18(p.proceeds),
                p.long_term,
            )
            for n, d in enumerate(disposals)
            for position, p in enumerate(d.portions)
        ),
    )
    writer.rows(
        IncomeRecord,
        ["portfolio_id", "entry_id", "at", "year", "asset_id", "quantity", "value"],
        (
            (pid, i.entry_id, i.at, i.year, ids[i.asset], i.quantity, q18(i.value))
            for i in result.incomes
        ),
    )
    writer.rows(
        CostBasisFlag,
        ["portfolio_id", "entry_id", "code", "quantity"],
        ((pid, f.entry_id, f.code.value, f.quantity) for f in result.flags),
    )
    return len(disposals)


class _Writer:
    """Bulk inserts: COPY on PostgreSQL (psycopg 3), bulk_create elsewhere."""

    def __init__(self) -> None:
        self.copy = connection.vendor == "postgresql"

    def reserve_ids(self, model, count: int):
        """Ids for ``count`` new rows, handed out in order: ``first_id(n)`` is the n-th."""
        table = model._meta.db_table
        if count == 0:
            return lambda n: None
        with connection.cursor() as cursor:
            if self.copy:
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                sequence = cursor.fetchone()[0]
                cursor.execute(
                    "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count]
                )
                reserved = [row[0] for row in cursor.fetchall()]
                return reserved.__getitem__
            # SQLite: this transaction holds the write lock (it has deleted rows already).
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608
            start = cursor.fetchone()[0] + 1
            return lambda n: start + n

    def rows(self, model, columns: list[str], rows: Iterable[tuple]) -> None:
        if self.copy:
            names = ", ".join(columns)
            sql = f"COPY {model._meta.db_table} ({names}) FROM STDIN"
            with connection.cursor() as cursor, cursor.copy(sql) as copy:
                write = copy.write_row
                for row in rows:
                    write(row)
            return
        batch: list = []
        for row in rows:
            batch.append(model(**dict(zip(columns, row, strict=True))))
            if len(batch) >= WRITE_BATCH:
                model.objects.bulk_create(batch)
                batch = []
        if batch:
            model.objects.bulk_create(batch)


# --- the summary -------------------------------------------------------------------------------


def summary_merge(result: Result, before: dict[str, Any] | None) -> dict[str, Any]:
    """Exact totals (strings) of everything built so far: those of ``before`` (a continuation)
    plus this result's; the holdings are this result's (its lots are all the open lots)."""
    before = before or {}
    with localcontext(EXACT):
        realized = {
            int(year): [Decimal(v) for v in values]
            for year, values in before.get("realized", {}).items()
        }
        for year, gains in realized_gains_by_year(result.disposals).items():
            old = realized.get(year, [ZERO] * 4)
            realized[year] = [
                old[0] + gains.proceeds,
                old[1] + gains.cost,
                old[2] + gains.short_term,
                old[3] + gains.long_term,
            ]
        income = {int(y): Decimal(v) for y, v in before.get("income", {}).items()}
        for year, value in income_by_year(result.incomes).items():
            income[year] = income.get(year, ZERO) + value
        # code -> year -> [proceeds, cost, short-term gain, long-term gain, income]
        by_asset = {
            code: {int(y): [Decimal(v) for v in values] for y, values in years.items()}
            for code, years in before.get("by_asset", {}).items()
        }
        for (code, year), row in by_asset_and_year(result.disposals, result.incomes).items():
            old = by_asset.setdefault(code, {}).get(year, [ZERO] * 5)
            by_asset[code][year] = [
                old[0] + row.proceeds,
                old[1] + row.cost,
                old[2] + row.short_term,
                old[3] + row.long_term,
                old[4] + row.income,
            ]
        # code -> [quantity missing, disposals missing it, the first few of their entry ids]
        missing: dict[str, list[Any]] = {
            code: [Decimal(q), int(n), list(ids)]
            for code, (q, n, ids) in before.get("missing", {}).items()
        }
        for d in result.disposals:
            if d.missing_quantity:
                gap = missing.setdefault(d.asset, [ZERO, 0, []])
                gap[0] += d.missing_quantity
                gap[1] += 1
                if len(gap[2]) < MISSING_IDS_SHOWN:
                    gap[2].append(d.entry_id)
        flags: dict[str, int] = dict(before.get("flags", {}))
        for f in result.flags:
            flags[f.code.value] = flags.get(f.code.value, 0) + 1
        held = holdings(result.lots, result.elsewhere)
    counts = before.get("counts", {})
    return {
        "holdings": {
            code: [str(h.quantity), str(h.cost), str(h.elsewhere), str(h.elsewhere_cost)]
            for code, h in held.items()
        },
        "realized": {str(y): [str(v) for v in values] for y, values in sorted(realized.items())},
        "income": {str(y): str(v) for y, v in sorted(income.items())},
        "by_asset": {
            code: {str(y): [str(v) for v in values] for y, values in sorted(years.items())}
            for code, years in sorted(by_asset.items())
        },
        "missing": {code: [str(q), n, ids] for code, (q, n, ids) in sorted(missing.items())},
        "flags": dict(sorted(flags.items())),
        "counts": {
            "disposals": counts.get("disposals", 0) + len(result.disposals),
            "incomes": counts.get("incomes", 0) + len(result.incomes),
            "flags": counts.get("flags", 0) + len(result.flags),
            "lots": len(result.lots),
        },
    }
