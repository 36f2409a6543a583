"""The snapshot compute() hands back, to continue from later: JSON-friendly (Decimals and times
as strings). It holds the open lots of every pool (with the pool's current method: an
average-cost pool keeps its own total cost), the quantity held elsewhere, the first legs of
transfers still waiting for the other, the settings it was computed with and the last processed
(at, id). Its layout is the engine's business; callers store it and hand it back unchanged."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from costbasis.engine.arith import ZERO
from costbasis.engine.model import Entry, Method, Pooling, Settings
from costbasis.engine.pools import OpenLot, Pending, Pool, age
from ledger.kinds import Kind

if TYPE_CHECKING:
    from costbasis.engine.engine import _Engine

VERSION = 1


def _settings(settings: Settings) -> dict[str, Any]:
    return {
        "method": str(settings.method),
        "pooling": str(settings.pooling),
        "method_changes": [[year, str(method)] for year, method in sorted(settings.method_changes)],
        "fiat_assets": sorted(settings.fiat_assets),
        "unclassified_out_to_elsewhere": settings.unclassified_out_to_elsewhere,
        "time_zone": settings.time_zone,
    }


def _pool(pool: Pool) -> dict[str, Any]:
    average = pool.method is Method.AVERAGE
    return {
        "asset": pool.asset,
        "wallet": pool.wallet,
        "method": str(pool.method),
        "quantity": str(pool.quantity),
        "cost": str(pool.cost),
        # Under average cost a lot's own cost and unit cost mean nothing (the pool's total
        # does): they are left out, and rebuilt from the total when the method changes.
        "lots": [
            [
                lot.source_id,
                lot.acquired_at.isoformat(),
                str(lot.original_quantity),
                str(lot.cost),
                lot.estimated,
                str(lot.remaining),
                None if average else str(lot.remaining_cost),
                None if average else str(lot.unit_cost),
            ]
            for lot in sorted(pool.live.values(), key=age)
        ],
    }


def _entry(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "kind": str(entry.kind),
        "asset": entry.asset,
        "quantity": str(entry.quantity),
        "wallet": entry.wallet,
        "value": None if entry.value is None else str(entry.value),
        "transfer_peer": entry.transfer_peer,
    }


def dump(engine: _Engine) -> dict[str, Any]:
    return {
        "version": VERSION,
        "settings": _settings(engine.settings),
        "last": None if engine.last is None else [engine.last[0].isoformat(), engine.last[1]],
        "pools": [
            _pool(pool)
            for key, pool in sorted(
                engine.pools.items(), key=lambda item: (item[0][0], item[0][1] or "")
            )
            if pool.live
        ],
        "elsewhere": {asset: str(quantity) for asset, quantity in sorted(engine.elsewhere.items())},
        "pending": [
            {
                "entry": _entry(pending.entry),
                "transit": None if pending.transit is None else _pool(pending.transit),
            }
            for _, pending in sorted(engine.pending.items())
        ],
    }


def _load_pool(data: dict[str, Any]) -> Pool:
    pool = Pool(data["asset"], data["wallet"], Method(data["method"]))
    pool.quantity = Decimal(data["quantity"])
    pool.cost = Decimal(data["cost"])
    for source_id, at, quantity, cost, estimated, remaining, remaining_cost, unit_cost in data[
        "lots"
    ]:
        lot = OpenLot(
            source_id,
            datetime.fromisoformat(at),
            Decimal(quantity),
            Decimal(cost),
            estimated,
            ZERO if unit_cost is None else Decimal(unit_cost),
            Decimal(remaining),
            ZERO if remaining_cost is None else Decimal(remaining_cost),
        )
        lot.owner = pool
        pool.live[source_id] = lot
    pool.build()
    return pool


def _load_entry(data: dict[str, Any]) -> Entry:
    return Entry(
        id=data["id"],
        at=datetime.fromisoformat(data["at"]),
        kind=Kind(data["kind"]),
        asset=data["asset"],
        quantity=Decimal(data["quantity"]),
        wallet=data["wallet"],
        value=None if data["value"] is None else Decimal(data["value"]),
        transfer_peer=data["transfer_peer"],
    )


def _compatible(saved: dict[str, Any], settings: Settings, last_year: int | None) -> bool:
    """Same pooling, assets and time zone; the same method for every year already processed (a
    change that only takes effect after the last processed year does not force a rebuild)."""
    now = _settings(settings)
    if any(
        saved.get(key, "UTC" if key == "time_zone" else None) != now[key]
        for key in ("pooling", "fiat_assets", "unclassified_out_to_elsewhere", "time_zone")
    ):
        return False
    if last_year is None:
        return True
    before = Settings(
        method=Method(saved["method"]),
        pooling=Pooling(saved["pooling"]),
        method_changes=tuple((year, Method(method)) for year, method in saved["method_changes"]),
    )
    years = {year for year, _ in before.method_changes} | {
        year for year, _ in settings.method_changes
    }
    checked = [year for year in years if year <= last_year] + [last_year, -(10**9)]
    return all(before.method_for(year) == settings.method_for(year) for year in checked)


def load(engine: _Engine, state: dict[str, Any], settings: Settings) -> None:
    if not isinstance(state, dict) or state.get("version") != VERSION:
        raise ValueError("unknown cost-basis state version: recompute from scratch")
    last = state["last"]
    engine.last = None if last is None else (datetime.fromisoformat(last[0]), last[1])
    last_year = None if engine.last is None else engine.last[0].astimezone(engine.zone).year
    if not _compatible(state["settings"], settings, last_year):
        raise ValueError("the state was computed with other settings: recompute from scratch")
    for data in state["pools"]:
        pool = _load_pool(data)
        engine.pools[(pool.asset, pool.wallet)] = pool
    engine.elsewhere = {asset: Decimal(quantity) for asset, quantity in state["elsewhere"].items()}
    for data in state["pending"]:
        entry = _load_entry(data["entry"])
        transit = None if data["transit"] is None else _load_pool(data["transit"])
        engine.pending[entry.id] = Pending(entry, transit)
