"""Reads of statement imports and of what their history lacks, scoped to a portfolio the caller
already owns (``portfolios.selectors.portfolio_get``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, localcontext

from django.db import connection
from django.db.models import Case, IntegerField, QuerySet, Value, When

from core.exceptions import NotFound
from core.money import format_amount
from currencies.models import Currency
from ledger.kinds import INFLOWS, Kind
from ledger.models import Import, LedgerEntry, Wallet
from portfolios.models import Portfolio

_CASH = (Kind.FIAT_DEPOSIT.value, Kind.FIAT_WITHDRAWAL.value)
_INFLOWS = [k.value for k in INFLOWS]


def import_list(*, portfolio: Portfolio) -> QuerySet[Import]:
    """The portfolio's imports, newest first, with their wallet and user (one query)."""
    return Import.objects.filter(portfolio=portfolio).select_related("wallet", "user")


def import_get(*, portfolio: Portfolio, import_id: int | str) -> Import:
    """One import of the portfolio, or NotFound (also for another user's)."""
    try:
        pk = int(import_id)
    except (TypeError, ValueError):
        raise NotFound("no such import")
    found = import_list(portfolio=portfolio).filter(pk=pk).first()
    if found is None:
        raise NotFound("no such import")
    return found


@dataclass(frozen=True)
class MissingAcquisition:
    """A wallet whose running balance of ``asset`` goes below zero: it disposed of more than
    its rows show acquired, so some history happened elsewhere (not imported yet).
    ``shortfall`` is the deepest the balance goes (a positive quantity); ``since`` the time, and
    ``entry_id``/``line``/``import_id`` the row, at which it first goes below zero."""

    wallet_id: int
    wallet: str
    asset: str
    shortfall: Decimal
    since: datetime
    entry_id: int
    line: int | None
    import_id: int | None

    @property
    def sentence(self) -> str:
        where = f", line {self.line}" if self.line is not None else ""
        return (
            f"missing acquisition: {self.wallet} disposed of {format_amount(self.shortfall)} "
            f"{self.asset.upper()} more than its history shows acquired (from "
            f"{self.since:%Y-%m-%d %H:%M:%S} UTC{where}); import the earlier history"
        )


def missing_acquisitions(
    portfolio: Portfolio, *, wallet: Wallet | None = None
) -> Iterator[MissingAcquisition]:
    """Walk each (wallet, asset) of the portfolio in time order (inflows first within the same
    second, then by id) and report the ones whose running balance goes below zero. One
    streaming query: memory does not grow with the ledger. Fiat cash is left out (statements
    never show the cash a buy took)."""
    if connection.vendor == "postgresql":
        found = _below_zero_in_sql(portfolio, wallet)
    else:
        found = _below_zero(portfolio, wallet)
    if not found:
        return
    names = dict(Wallet.objects.filter(pk__in={f[0] for f in found}).values_list("id", "name"))
    codes = dict(Currency.objects.filter(pk__in={f[1] for f in found}).values_list("id", "code"))
    where = {
        pk: (at, line, import_id)
        for pk, at, line, import_id in LedgerEntry.objects.filter(
            pk__in=[f[3] for f in found]
        ).values_list("id", "occurred_at", "line", "source_import_id")
    }
    for wallet_id, asset_id, shortfall, entry_id in found:
        at, line, import_id = where[entry_id]
        yield MissingAcquisition(
            wallet_id, names[wallet_id], codes[asset_id], shortfall, at, entry_id, line, import_id
        )


def _below_zero(portfolio: Portfolio, wallet: Wallet | None) -> list[tuple]:
    """(wallet id, asset id, shortfall, id of the first row below zero) of each (wallet, asset)
    whose running balance goes below zero, walked in Python (exact at any precision)."""
    rows = LedgerEntry.objects.filter(portfolio=portfolio).exclude(kind__in=_CASH)
    if wallet is not None:
        rows = rows.filter(wallet=wallet)
    ordered = (
        rows.annotate(
            outflow=Case(
                When(kind__in=_INFLOWS, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("wallet_id", "asset_id", "occurred_at", "outflow", "id")
        .values_list("wallet_id", "asset_id", "outflow", "quantity", "id")
    )
    found: list[tuple] = []  # (wallet id, asset id, shortfall, id of the first row below zero)
    group: tuple[int, int] | None = None
    balance = lowest = Decimal(0)
    first: int | None = None
    with localcontext(prec=80):
        for wallet_id, asset_id, outflow, quantity, entry_id in ordered.iterator(chunk_size=5000):
            if (wallet_id, asset_id) != group:
                if group is not None and lowest < 0:
                    found.append((*group, -lowest, first))
                group, balance, lowest, first = (wallet_id, asset_id), Decimal(0), Decimal(0), None
            balance += -quantity if outflow else quantity
            if balance < lowest:
                lowest = balance
                if first is None:
                    first = entry_id
        if group is not None and lowest < 0:
            found.append((*group, -lowest, first))
    return found


def _below_zero_in_sql(portfolio: Portfolio, wallet: Wallet | None) -> list[tuple]:
    """``_below_zero`` computed by PostgreSQL (numeric sums are exact there): a running sum per
    (wallet, asset) in the same order, so only the groups that go below zero come back instead
    of every row (an import of 100,000 rows spent most of a second reading them)."""
    table = connection.ops.quote_name(LedgerEntry._meta.db_table)
    in_wallet = "AND wallet_id = %s" if wallet is not None else ""
    query = f"""
        WITH moves AS (
            SELECT wallet_id, asset_id, id,
                   SUM(CASE WHEN kind = ANY(%s) THEN quantity ELSE -quantity END) OVER walk
                       AS balance,
                   ROW_NUMBER() OVER walk AS step
            FROM {table}
            WHERE portfolio_id = %s AND NOT kind = ANY(%s) {in_wallet}
            WINDOW walk AS (
                PARTITION BY wallet_id, asset_id
                ORDER BY occurred_at, CASE WHEN kind = ANY(%s) THEN 0 ELSE 1 END, id
                ROWS UNBOUNDED PRECEDING
            )
        ), below AS (
            SELECT wallet_id, asset_id, MIN(balance) AS lowest,
                   MIN(step) FILTER (WHERE balance < 0) AS first_step
            FROM moves
            GROUP BY wallet_id, asset_id
            HAVING MIN(balance) < 0
        )
        SELECT b.wallet_id, b.asset_id, -b.lowest, m.id
        FROM below b
        JOIN moves m
          ON m.wallet_id = b.wallet_id AND m.asset_id = b.asset_id AND m.step = b.first_step
        ORDER BY b.wallet_id, b.asset_id
    """  # noqa: S608 - the model's table; values are parameters
    params: list = [_INFLOWS, portfolio.pk, list(_CASH)]
    if wallet is not None:
        params.append(wallet.pk)
    params.append(_INFLOWS)
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return [tuple(row) for row in cursor.fetchall()]
