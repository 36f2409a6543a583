"""The database triggers behind the stored totals (``PortfolioTotals``): whatever writes a row
the totals are read from (a service, a queryset ``update()``, a COPY, the admin, a data fix by
hand) raises a counter in the same transaction, so a stored answer can never outlive the data
it was computed from.

- Each table a holdings source watches (``HoldingsSource.watches``) and the reporting
  currencies raise their portfolio's ``totals_generation``: on insert, update and delete, and
  on an update both the old and the new portfolio (an address moved).
- Spot prices (any change) and currency titles raise the one ``TotalsEpoch``: they change every
  portfolio at once.
- ``totals_generation`` is never lowered: a ``save()`` of a portfolio read before a raise (the
  services lock the row, change its currencies, then save it) keeps the raised value.

The counter lives on the portfolio's row, the row the services already lock before writing its
parts (``portfolio_lock``) and a sync touches after them: one more lock on it adds no new order
in which two writers could wait on each other.

On PostgreSQL the portfolio triggers run once per statement over its transition tables (a bulk
insert of thousands of rows raises each portfolio once, not once per row: repeated updates of one
row in one transaction grow quadratically); SQLite has row triggers only.

Installed after every ``migrate`` (``PortfoliosConfig.ready`` connects ``install``): idempotent,
so a table a later migration rebuilds (SQLite rebuilds tables to alter them) gets its triggers
back. PostgreSQL and SQLite."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model

from portfolios.sources import Watched, holdings_sources

Quote = Callable[[str], str]


def watched_tables() -> list[Watched]:
    """The reporting currencies, and every table a registered holdings source reads."""
    own = [Watched("portfolios.PortfolioCurrency")]
    return own + [w for source in holdings_sources() for w in source.watches]


def _column(model: type[Model], name: str) -> str:
    column = getattr(model._meta.get_field(name), "column", None)
    assert isinstance(column, str), (model, name)
    return column


def _portfolio_of(watched: Watched, row: str, q: Quote) -> str:
    """SQL naming the portfolio id of ``row`` (NEW, OLD, or a transition table's alias)."""
    model = apps.get_model(watched.model)
    if not watched.through:
        return f"{row}.{q(_column(model, 'portfolio'))}"
    parent = model._meta.get_field(watched.through).related_model
    assert isinstance(parent, type) and issubclass(parent, Model), watched
    return (
        f"(SELECT {q(_column(parent, 'portfolio'))} FROM {q(parent._meta.db_table)} "  # noqa: S608
        f"WHERE {q(_column(parent, 'id'))} = {row}.{q(_column(model, watched.through))})"
    )


@dataclass(frozen=True)
class _Names:
    """The tables and columns every trigger writes, quoted."""

    portfolios: str
    generation: str
    id: str
    epoch: str

    @classmethod
    def of(cls, q: Quote) -> _Names:
        from portfolios.models import Portfolio, TotalsEpoch

        return cls(
            q(Portfolio._meta.db_table),
            q("totals_generation"),
            q("id"),
            q(TotalsEpoch._meta.db_table),
        )

    def bump(self, where: str) -> str:
        return f"UPDATE {self.portfolios} SET {self.generation} = {self.generation} + 1 WHERE {self.id} {where}"  # noqa: S608

    def bump_epoch(self) -> str:
        from portfolios.models import TotalsEpoch

        return f"UPDATE {self.epoch} SET value = value + 1 WHERE {self.id} = {TotalsEpoch.ID}"  # noqa: S608


def _table(label: str) -> str:
    return apps.get_model(label)._meta.db_table


def _postgresql(q: Quote) -> list[str]:
    n = _Names.of(q)
    sql = [
        # Never lowered.
        "CREATE OR REPLACE FUNCTION totals_generation_kept_fn() RETURNS trigger LANGUAGE plpgsql "
        f"AS $$ BEGIN IF NEW.{n.generation} < OLD.{n.generation} THEN "
        f"NEW.{n.generation} := OLD.{n.generation}; END IF; RETURN NEW; END $$",
        f"CREATE OR REPLACE TRIGGER totals_generation_kept BEFORE UPDATE OF {n.generation} "
        f"ON {n.portfolios} FOR EACH ROW EXECUTE FUNCTION totals_generation_kept_fn()",
    ]

    def trigger(name: str, table: str, timing: str, body: str) -> list[str]:
        return [
            f"CREATE OR REPLACE FUNCTION {name}_fn() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {body}; RETURN NULL; END $$",
            f"CREATE OR REPLACE TRIGGER {name} {timing.format(table=q(table))} "
            f"EXECUTE FUNCTION {name}_fn()",
        ]

    for watched in watched_tables():
        table = _table(watched.model)
        new = f"SELECT {_portfolio_of(watched, 'n', q)} FROM new_rows n"  # noqa: S608
        old = f"SELECT {_portfolio_of(watched, 'o', q)} FROM old_rows o"  # noqa: S608
        for suffix, timing, rows in (
            ("ins", "AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows", new),
            ("del", "AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows", old),
            (
                "upd",
                "AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
                f"{new} UNION {old}",
            ),
        ):
            sql += trigger(
                f"totals_{table}_{suffix}",
                table,
                timing + " FOR EACH STATEMENT",
                n.bump(f"IN ({rows})"),
            )
    sql += trigger(
        f"totals_{_table('prices.SpotPrice')}",
        _table("prices.SpotPrice"),
        "AFTER INSERT OR UPDATE OR DELETE ON {table} FOR EACH STATEMENT",
        n.bump_epoch(),
    )
    title = q("title")
    sql += trigger(
        f"totals_{_table('currencies.Currency')}",
        _table("currencies.Currency"),
        f"AFTER UPDATE OF {title} ON {{table}} FOR EACH ROW "
        f"WHEN (OLD.{title} IS DISTINCT FROM NEW.{title})",
        n.bump_epoch(),
    )
    return sql


def _sqlite(q: Quote) -> list[str]:
    n = _Names.of(q)
    sql: list[str] = []

    def trigger(name: str, event: str, body: str) -> None:
        sql.append(f"DROP TRIGGER IF EXISTS {name}")
        sql.append(f"CREATE TRIGGER {name} {event} BEGIN {body}; END")

    # Never lowered: SQLite cannot change NEW, it writes the old value back (no recursion).
    trigger(
        "totals_generation_kept",
        f"AFTER UPDATE OF {n.generation} ON {n.portfolios} FOR EACH ROW "
        f"WHEN NEW.{n.generation} < OLD.{n.generation}",
        f"UPDATE {n.portfolios} SET {n.generation} = OLD.{n.generation} "  # noqa: S608
        f"WHERE {n.id} = NEW.{n.id}",
    )
    for watched in watched_tables():
        table = _table(watched.model)
        new, old = _portfolio_of(watched, "NEW", q), _portfolio_of(watched, "OLD", q)
        on = f"ON {q(table)} FOR EACH ROW"
        trigger(f"totals_{table}_ins", f"AFTER INSERT {on}", n.bump(f"= {new}"))
        trigger(f"totals_{table}_upd", f"AFTER UPDATE {on}", n.bump(f"IN ({new}, {old})"))
        trigger(f"totals_{table}_del", f"AFTER DELETE {on}", n.bump(f"= {old}"))
    spot = _table("prices.SpotPrice")
    for op in ("INSERT", "UPDATE", "DELETE"):
        trigger(f"totals_{spot}_{op[:3].lower()}", f"AFTER {op} ON {q(spot)}", n.bump_epoch())
    title = q("title")
    currency = _table("currencies.Currency")
    trigger(
        f"totals_{currency}_upd",
        f"AFTER UPDATE OF {title} ON {q(currency)} FOR EACH ROW "
        f"WHEN OLD.{title} IS NOT NEW.{title}",
        n.bump_epoch(),
    )
    return sql


def trigger_sql(connection: BaseDatabaseWrapper) -> list[str]:
    """The statements that (re)create every trigger on ``connection``'s database."""
    render = {"postgresql": _postgresql, "sqlite": _sqlite}.get(connection.vendor)
    if render is None:
        raise NotImplementedError(f"no totals triggers for {connection.vendor}")
    return render(connection.ops.quote_name)


def install(using: str = "default", **kwargs) -> None:
    """Create the triggers (dropping those there were) and the epoch's row. Skipped while a watched table does
    not exist yet (a partial migrate)."""
    from portfolios.models import Portfolio, TotalsEpoch

    connection = connections[using]
    existing = set(connection.introspection.table_names())
    needed = {apps.get_model(w.model)._meta.db_table for w in watched_tables()} | {
        Portfolio._meta.db_table,
        TotalsEpoch._meta.db_table,
        apps.get_model("prices.SpotPrice")._meta.db_table,
        apps.get_model("currencies.Currency")._meta.db_table,
    }
    if not needed <= existing:
        return
    # Exactly today's set (one a former version made and this one no longer does is dropped),
    # in one transaction: a writer never finds the tables without their triggers.
    with transaction.atomic(using=using):
        uninstall(using)
        with connection.cursor() as cursor:
            for sql in trigger_sql(connection):
                cursor.execute(sql)
        TotalsEpoch.objects.using(using).get_or_create(pk=TotalsEpoch.ID)


def uninstall(using: str = "default") -> None:
    """Drop every trigger (and on PostgreSQL its function) ``install`` made: before the tables
    they write to are dropped (migrating portfolios back before 0005)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'totals\\_%' "
                "ESCAPE '\\'"
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f"DROP TRIGGER IF EXISTS {connection.ops.quote_name(name)}")
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = current_schema() AND p.proname LIKE 'totals\\_%\\_fn'"
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f"DROP FUNCTION IF EXISTS {name}() CASCADE")
