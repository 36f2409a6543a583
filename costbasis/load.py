"""Reading the ledger for a cost-basis build: the rows as the engine's ``Entry`` records, in
(at, id) order, and the fingerprints that say whether the rows of a finished build changed.

Loading is one streamed ``values_list`` over the rows (index ledger_portfolio_time) straight into
``Entry``, plus small queries: wallets, currencies, accepted transfers, the linked legs of
statement migrations (a conversion when their assets differ), pinned lots.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils.dateparse import parse_datetime

from costbasis.engine import Entry
from currencies.models import Currency
from ledger.kinds import INFLOWS, Kind
from ledger.models import LedgerEntry, Transfer, Wallet
from portfolios.models import Portfolio
from prices.conversion import convert
from prices.models import Price

LOAD_CHUNK = 10_000
ZERO = Decimal(0)
_KINDS = {kind.value: kind for kind in Kind}
_INFLOW_KINDS = frozenset(kind.value for kind in INFLOWS)


@dataclass(frozen=True)
class Fingerprint:
    """count, newest updated_at and sum of updated_at (microseconds) of a set of rows."""

    count: int = 0
    newest: datetime | None = None
    total: str = "0"

    def as_list(self) -> list:
        return [self.count, None if self.newest is None else self.newest.isoformat(), self.total]


# SQLite sums in 64-bit integers, which microseconds since 1970 (about 1.8e15 each) overflow
# from about 5,000 rows: there each row's part is taken modulo this prime, so the sum stays below
# 2^63 for billions of rows. (PostgreSQL sums bigints into a numeric, which does not overflow.)
_SQLITE_MODULUS = 1_000_000_007


def _micros_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"(extract(epoch from {column}) * 1000000)::bigint"
    return (
        f"(CAST(round((julianday({column}) - 2440587.5) * 86400000000.0) AS INTEGER) "
        f"%% {_SQLITE_MODULUS})"  # %% : the query takes parameters
    )


def _as_datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    parsed = parse_datetime(str(value))
    return parsed if parsed is None or parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _fingerprint(row: Iterable[Any]) -> Fingerprint:
    count, newest, total = row
    return Fingerprint(int(count or 0), _as_datetime(newest), str(int(total or 0)))


def fingerprints(
    portfolio_id: int, cutoff: tuple[datetime, int] | None
) -> tuple[Fingerprint, Fingerprint, Fingerprint, Fingerprint]:
    """(entries at or before ``cutoff``, all entries, accepted transfers with a leg at or before
    it, all accepted transfers): two queries."""
    at, pk = cutoff if cutoff is not None else (datetime(1, 1, 2, tzinfo=UTC), 0)
    at_db = connection.ops.adapt_datetimefield_value(at)
    entries, transfers = LedgerEntry._meta.db_table, Transfer._meta.db_table
    micros = _micros_sql("updated_at")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), max(updated_at), sum(us), sum(early), "  # noqa: S608
            f"max(CASE WHEN early = 1 THEN updated_at END), "
            f"sum(CASE WHEN early = 1 THEN us END) FROM ("
            f"SELECT updated_at, {micros} AS us, "
            f"CASE WHEN occurred_at < %s OR (occurred_at = %s AND id <= %s) THEN 1 ELSE 0 END "
            f"AS early FROM {entries} WHERE portfolio_id = %s) rows",
            [at_db, at_db, pk, portfolio_id],
        )
        e = cursor.fetchone()
        micros = _micros_sql("t.updated_at")
        if cutoff is None:  # nothing is early: no need to look at the legs
            cursor.execute(
                f"SELECT count(*), max(t.updated_at), sum({micros}), 0, NULL, 0 "  # noqa: S608
                f"FROM {transfers} t WHERE t.portfolio_id = %s AND t.status = %s",
                [portfolio_id, Transfer.ACCEPTED],
            )
        else:
            early = (
                "(o.occurred_at < %s OR (o.occurred_at = %s AND o.id <= %s) "
                "OR i.occurred_at < %s OR (i.occurred_at = %s AND i.id <= %s))"
            )
            cursor.execute(
                f"SELECT count(*), max(updated_at), sum(us), sum(early), "  # noqa: S608
                f"max(CASE WHEN early = 1 THEN updated_at END), "
                f"sum(CASE WHEN early = 1 THEN us END) FROM ("
                f"SELECT t.updated_at AS updated_at, {micros} AS us, "
                f"CASE WHEN {early} THEN 1 ELSE 0 END AS early FROM {transfers} t "
                f"JOIN {entries} o ON o.id = t.out_entry_id "
                f"JOIN {entries} i ON i.id = t.in_entry_id "
                f"WHERE t.portfolio_id = %s AND t.status = %s) rows",
                [at_db, at_db, pk, at_db, at_db, pk, portfolio_id, Transfer.ACCEPTED],
            )
        t = cursor.fetchone()
    return (
        _fingerprint(e[3:6]),
        _fingerprint(e[0:3]),
        _fingerprint(t[3:6]),
        _fingerprint(t[0:3]),
    )


def ledger_print(entries: Fingerprint, transfers: Fingerprint) -> dict[str, list]:
    return {"entries": entries.as_list(), "transfers": transfers.as_list()}


# --- loading -----------------------------------------------------------------------------------


@dataclass
class Loaded:
    entries: list[Entry]
    wallet_of: dict[int, int]  # entry id -> wallet id
    wallet_keys: dict[int, str]
    codes: dict[int, str]  # currency id -> code
    ids: dict[str, int]  # code -> currency id


def _peers(portfolio_id: int) -> dict[int, int]:
    """Both legs of each accepted transfer, each pointing at the other. A row in two accepted
    transfers keeps neither link (see also _check_links)."""
    pairs = list(
        Transfer.objects.filter(portfolio_id=portfolio_id, status=Transfer.ACCEPTED).values_list(
            "out_entry_id", "in_entry_id"
        )
    )
    seen: defaultdict[int, int] = defaultdict(int)
    for out_id, in_id in pairs:
        seen[out_id] += 1
        seen[in_id] += 1
    peers: dict[int, int] = {}
    for out_id, in_id in pairs:
        if seen[out_id] == 1 and seen[in_id] == 1:
            peers[out_id] = in_id
            peers[in_id] = out_id
    return peers


def _conversions(portfolio_id: int) -> dict[int, int]:
    """Both legs of each statement migration (``migration=True``, linked by ``pair`` when the
    statement was imported: Coinbase's staking transfers and ETH2 -> ETH), each pointing at the
    other. The engine moves their lots across, from one asset to the other where they differ."""
    pairs = LedgerEntry.objects.filter(
        portfolio_id=portfolio_id,
        migration=True,
        kind=Kind.TRANSFER_OUT.value,
        pair__migration=True,
        pair__kind=Kind.TRANSFER_IN.value,
    ).values_list("id", "pair_id")
    links: dict[int, int] = {}
    for out_id, in_id in pairs:
        links[out_id] = in_id
        links[in_id] = out_id
    return links


def _check_links(entries: list[Entry], linked: dict[int, int], conversions: set[int]) -> None:
    """Drop the transfer links the engine would refuse (legs that are not a TRANSFER_OUT and a
    TRANSFER_IN, of one asset unless they are a migration's): those rows then count as moves to
    or from elsewhere. ``linked``: entry id -> index of the loaded rows that have a peer; peers
    before a continuation's cutoff are looked up."""
    legs = {pk: (entries[i].kind, entries[i].asset) for pk, i in linked.items()}
    peers = {entries[i].transfer_peer for i in linked.values()}
    early = {peer for peer in peers if peer is not None} - legs.keys()
    if early:
        for pk, kind, code in LedgerEntry.objects.filter(pk__in=early).values_list(
            "pk", "kind", "asset__code"
        ):
            legs[pk] = (_KINDS[kind], code)
    for i in linked.values():
        entry = entries[i]
        other = legs.get(entry.transfer_peer) if entry.transfer_peer is not None else None
        if (
            other is None
            or {entry.kind, other[0]} != {Kind.TRANSFER_OUT, Kind.TRANSFER_IN}
            or (other[1] != entry.asset and entry.id not in conversions)
        ):
            entries[i] = replace(entry, transfer_peer=None)


def _pins(rows) -> dict[int, tuple[tuple[int, Decimal], ...]]:
    """Pinned lots of outflows as the engine takes them; malformed pins are left out."""
    pins = {}
    for pk, kind, raw in rows.exclude(pinned_lots=[]).values_list("id", "kind", "pinned_lots"):
        if kind in _INFLOW_KINDS or not isinstance(raw, list):
            continue
        clean = []
        for item in raw:
            try:
                source, quantity = int(item[0]), Decimal(str(item[1]))
            except (TypeError, ValueError, IndexError, ArithmeticError):
                continue
            if quantity.is_finite() and quantity > 0:
                clean.append((source, quantity))
        if clean:
            pins[pk] = tuple(clean)
    return pins


_COLUMNS = (
    "id",
    "occurred_at",
    "kind",
    "asset_id",
    "quantity",
    "wallet_id",
    "value",
    "value_currency_id",
    "fee_value",
    "fee_asset_id",
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _rows(portfolio_id: int, rows, after: tuple[datetime, int] | None) -> Iterator[tuple]:
    """The columns of _COLUMNS in (at, id) order. On PostgreSQL a plain query whose time comes
    as whole microseconds since the epoch: Django's timestamptz loader is pure Python and would
    take most of the loading time. Elsewhere the ORM's values_list, streamed."""
    if connection.vendor != "postgresql":
        yield from (
            rows.order_by("occurred_at", "id")
            .values_list(*_COLUMNS)
            .iterator(chunk_size=LOAD_CHUNK)
        )
        return
    columns = ", ".join(_COLUMNS).replace(
        "occurred_at", "(extract(epoch from occurred_at) * 1000000)::bigint"
    )
    where = "portfolio_id = %s"
    params: list[int | datetime] = [portfolio_id]
    if after is not None:
        where += " AND (occurred_at, id) > (%s, %s)"
        params += [after[0], after[1]]
    sql = (
        f"SELECT {columns} FROM {LedgerEntry._meta.db_table} WHERE {where} ORDER BY occurred_at, id"  # noqa: S608
    )
    epoch, tick = _EPOCH, _MICROSECOND
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(LOAD_CHUNK):
            for pk, micros, *rest in chunk:
                yield (pk, epoch + micros * tick, *rest)


def load_entries(
    portfolio: Portfolio, currency: Currency, after: tuple[datetime, int] | None = None
) -> Loaded:
    """The portfolio's rows after ``after`` (all when None), in (at, id) order, as engine
    entries. Small queries (wallets, currencies, accepted transfers, pins) and one streamed
    query over the rows."""
    wallet_keys = {
        pk: f"{kind}:{pk}"
        for pk, kind in Wallet.objects.filter(portfolio=portfolio).values_list("pk", "kind")
    }
    ids = dict(Currency.objects.values_list("code", "pk"))
    codes = {pk: code for code, pk in ids.items()}
    peers = _peers(portfolio.pk)
    # A migration leg that is also in an accepted transfer (not proposed for them, but a row
    # can be re-classified) keeps the transfer's link only.
    conversions = {
        a: b for a, b in _conversions(portfolio.pk).items() if a not in peers and b not in peers
    }
    peers.update(conversions)
    rows = LedgerEntry.objects.filter(portfolio=portfolio)
    if after is not None:
        rows = rows.filter(Q(occurred_at__gt=after[0]) | Q(occurred_at=after[0], id__gt=after[1]))
    pins = _pins(rows)
    fiat_id = currency.pk
    entries: list[Entry] = []
    wallet_of: dict[int, int] = {}
    foreign: list[tuple[int, int | None, int | None]] = []  # (index, value cur, fee cur)
    append = entries.append
    kinds = _KINDS
    peer, pin = peers.get, pins.get
    linked: dict[int, int] = {}
    for pk, at, kind, asset, quantity, wallet, value, value_cur, fee, fee_cur in _rows(
        portfolio.pk, rows, after
    ):
        wallet_of[pk] = wallet
        other = peer(pk)
        if other is not None:
            linked[pk] = len(entries)
        if (value is not None and value_cur is not None and value_cur != fiat_id) or (
            fee is not None and fee_cur is not None and fee_cur != fiat_id
        ):
            foreign.append((len(entries), value_cur, fee_cur))
        append(
            Entry(
                pk,
                at,
                kinds[kind],
                codes[asset],
                quantity,
                wallet_keys[wallet],
                value,
                fee if fee is not None else ZERO,
                other,
                pin(pk, ()),
            )
        )
    if linked:
        _check_links(entries, linked, set(conversions))
    if foreign:
        _convert_foreign(entries, foreign, currency, codes)
    return Loaded(entries, wallet_of, wallet_keys, codes, ids)


def _convert_foreign(
    entries: list[Entry],
    foreign: list[tuple[int, int | None, int | None]],
    currency: Currency,
    codes: dict[int, str],
) -> None:
    """Values and fees in another fiat currency, at the daily price of their UTC day."""
    days = {entries[i].at.astimezone(UTC).date() for i, _, _ in foreign}
    wanted = {codes[c] for _, v, f in foreign for c in (v, f) if c is not None}
    wanted |= {currency.code, "usd", "btc"}
    rates: dict[date, dict[tuple[str, str], Decimal]] = defaultdict(dict)
    for base, quote, at, price in Price.objects.filter(
        kind=Price.DAILY,
        at__in=[datetime.combine(day, dtime.min, UTC) for day in days],
        base__code__in=wanted,
        quote__code__in=wanted,
    ).values_list("base__code", "quote__code", "at", "price"):
        rates[at.astimezone(UTC).date()].setdefault((base, quote), price)
    target = currency.code
    for i, value_cur, fee_cur in foreign:
        entry = entries[i]
        day = rates.get(entry.at.astimezone(UTC).date(), {})
        value, fee = entry.value, entry.fee_value
        if value is not None and value_cur is not None and value_cur != currency.pk:
            value = convert(value, codes[value_cur], target, day)
        if fee and fee_cur is not None and fee_cur != currency.pk:
            fee = convert(fee, codes[fee_cur], target, day) or ZERO
        entries[i] = replace(entry, value=value, fee_value=fee)
