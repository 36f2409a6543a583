"""Builders shared by the cost-basis tests (no Django)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from costbasis.engine import Entry
from ledger.kinds import Kind

D = Decimal


def when(text: str) -> datetime:
    """'2023-01-10' or '2023-01-10T12:00:00' as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def entry(
    id: int,
    at: str,
    kind: Kind,
    quantity: str,
    value: str | None,
    *,
    asset: str = "BTC",
    wallet: str = "address:1",
    fee: str = "0",
    peer: int | None = None,
    pins: tuple[tuple[int, str], ...] = (),
) -> Entry:
    return Entry(
        id=id,
        at=when(at),
        kind=kind,
        asset=asset,
        quantity=D(quantity),
        wallet=wallet,
        value=None if value is None else D(value),
        fee_value=D(fee),
        transfer_peer=peer,
        pinned_lots=tuple((source, D(quantity)) for source, quantity in pins),
    )


def portions(disposal) -> list[tuple]:
    """(lot source id, quantity, cost, proceeds, long_term) per portion."""
    return [
        (p.source_entry_id, p.quantity, p.cost, p.proceeds, p.long_term) for p in disposal.portions
    ]


def open_lots(result) -> list[tuple]:
    """(source id, wallet, remaining quantity, remaining cost) per open lot."""
    return [
        (lot.source_entry_id, lot.wallet, lot.remaining_quantity, lot.remaining_cost)
        for lot in result.lots
    ]


def flags(result) -> list[tuple]:
    return [(flag.entry_id, str(flag.code), flag.quantity) for flag in result.flags]
