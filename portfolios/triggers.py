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

Installed after every ``migrate`` (``PortfoliosConfig.ready`` connects ``install``): idempotent,
so a table a later migration rebuilds (SQLite rebuilds tables to alter them) gets its triggers
back. PostgreSQL and SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model

from portfolios.sources import Watched, holdings_sources


@dataclass(frozen=True)
class _Trigger:
    name: str
    table: str
    # SQL statements per event, each given the row as "NEW" or "OLD".
    on_insert: str
    on_update: str
    on_delete: str
    # Updates count only when this column changed (else any update does).
    changed: str = ""


def watched_tables() -> list[Watched]:
    """The reporting currencies, and every table a registered holdings source reads."""
    own = [Watched("portfolios.PortfolioCurrency")]
    return own + [w for source in holdings_sources() for w in source.watches]


def _portfolio_of(watched: Watched, row: str, q) -> str:
    """SQL naming the portfolio id of ``row`` (NEW or OLD) of the watched table."""
    model = apps.get_model(watched.model)
    if not watched.through:
        return f"{row}.{q(model._meta.get_field('portfolio').column)}"
    fk = model._meta.get_field(watched.through)
    parent = fk.related_model
    assert isinstance(parent, type) and issubclass(parent, Model), watched
    assert parent._meta.pk is not None
    return (
        f"(SELECT {q(parent._meta.get_field('portfolio').column)} "  # type: ignore[union-attr]  # noqa: S608
        f"FROM {q(parent._meta.db_table)} "
        f"WHERE {q(parent._meta.pk.column)} = {row}.{q(fk.column)})"
    )


def _triggers(q) -> Iterator[_Trigger]:
    from portfolios.models import Portfolio, TotalsEpoch

    portfolios = q(Portfolio._meta.db_table)
    generation = q("totals_generation")

    def bump(where: str) -> str:
        return f"UPDATE {portfolios} SET {generation} = {generation} + 1 WHERE {q('id')} {where}"  # noqa: S608

    for watched in watched_tables():
        model = apps.get_model(watched.model)
        new, old = _portfolio_of(watched, "NEW", q), _portfolio_of(watched, "OLD", q)
        yield _Trigger(
            name=f"totals_{model._meta.db_table}",
            table=q(model._meta.db_table),
            on_insert=bump(f"= {new}"),
            on_update=bump(f"IN ({new}, {old})"),
            on_delete=bump(f"= {old}"),
        )
    epoch = (
        f"UPDATE {q(TotalsEpoch._meta.db_table)} SET {q('value')} = {q('value')} + 1 "  # noqa: S608
        f"WHERE {q('id')} = {TotalsEpoch.ID}"
    )
    spot = apps.get_model("prices.SpotPrice")._meta.db_table
    yield _Trigger(f"totals_{spot}", q(spot), epoch, epoch, epoch)
    currency = apps.get_model("currencies.Currency")._meta.db_table
    yield _Trigger(f"totals_{currency}", q(currency), "", epoch, "", changed=q("title"))


def _never_lowered(q) -> dict[str, list[str]]:
    """Per vendor: keep ``totals_generation`` when an update would lower it."""
    from portfolios.models import Portfolio

    table, generation = q(Portfolio._meta.db_table), q("totals_generation")
    name = "totals_generation_kept"
    return {
        "postgresql": [
            f"CREATE OR REPLACE FUNCTION {name}_fn() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF NEW.{generation} < OLD.{generation} THEN "
            f"NEW.{generation} := OLD.{generation}; END IF; RETURN NEW; END $$",
            f"CREATE OR REPLACE TRIGGER {name} BEFORE UPDATE OF {generation} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {name}_fn()",
        ],
        # SQLite cannot change NEW: it writes the old value back (triggers do not recurse).
        "sqlite": [
            f"DROP TRIGGER IF EXISTS {name}",
            f"CREATE TRIGGER {name} AFTER UPDATE OF {generation} ON {table} FOR EACH ROW "  # noqa: S608
            f"WHEN NEW.{generation} < OLD.{generation} BEGIN "
            f"UPDATE {table} SET {generation} = OLD.{generation} WHERE {q('id')} = NEW.{q('id')}; "
            "END",
        ],
    }


def _postgresql(trigger: _Trigger) -> list[str]:
    function = f"{trigger.name}_fn"
    branches = []
    for op, statement in (
        ("INSERT", trigger.on_insert),
        ("UPDATE", trigger.on_update),
        ("DELETE", trigger.on_delete),
    ):
        if statement:
            condition = f"TG_OP = '{op}'"
            if op == "UPDATE" and trigger.changed:
                condition += f" AND OLD.{trigger.changed} IS DISTINCT FROM NEW.{trigger.changed}"
            branches.append(f"IF {condition} THEN {statement}; END IF;")
    events = " OR ".join(
        op
        for op, statement in (
            ("INSERT", trigger.on_insert),
            ("UPDATE", trigger.on_update),
            ("DELETE", trigger.on_delete),
        )
        if statement
    )
    return [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {' '.join(branches)} RETURN NULL; END $$",
        f"CREATE OR REPLACE TRIGGER {trigger.name} AFTER {events} ON {trigger.table} "
        f"FOR EACH ROW EXECUTE FUNCTION {function}()",
    ]


def _sqlite(trigger: _Trigger) -> list[str]:
    statements = []
    for suffix, op, statement in (
        ("ins", "INSERT", trigger.on_insert),
        ("upd", "UPDATE", trigger.on_update),
        ("del", "DELETE", trigger.on_delete),
    ):
        name = f"{trigger.name}_{suffix}"
        statements.append(f"DROP TRIGGER IF EXISTS {name}")
        if not statement:
            continue
        event, when = op, ""
        if op == "UPDATE" and trigger.changed:
            event = f"UPDATE OF {trigger.changed}"
            when = f" WHEN OLD.{trigger.changed} IS NOT NEW.{trigger.changed}"
        statements.append(
            f"CREATE TRIGGER {name} AFTER {event} ON {trigger.table} FOR EACH ROW{when} "
            f"BEGIN {statement}; END"
        )
    return statements


def trigger_sql(connection: BaseDatabaseWrapper) -> list[str]:
    """The statements that (re)create every trigger on ``connection``'s database."""
    q = connection.ops.quote_name
    render = {"postgresql": _postgresql, "sqlite": _sqlite}.get(connection.vendor)
    if render is None:
        raise NotImplementedError(f"no totals triggers for {connection.vendor}")
    kept = _never_lowered(q)[connection.vendor]
    return kept + [sql for trigger in _triggers(q) for sql in render(trigger)]


def install(using: str = "default", **kwargs) -> None:
    """Create (or replace) the triggers and the epoch's row. Skipped while a watched table does
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
