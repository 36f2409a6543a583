"""Open lots and the pools that hold them, consumed by FIFO, LIFO, HIFO or average cost.

A pool keeps its live lots by acquiring entry id, plus one ordering structure for its current
method: a list sorted by age (oldest first, consumed from a moving head for FIFO and average
cost, popped from the end for LIFO) or a heap on (-unit cost, age) for HIFO. Lots that left
(spent, or moved on whole to another pool) are dropped lazily when they reach the consuming
end, so no step scans the pool. A method change rebuilds the structure from the live lots;
leaving average cost first spreads the pool's cost over its lots by quantity (that becomes
their cost basis).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from heapq import heapify, heappop, heappush

from costbasis.engine.arith import ZERO, anniversary, div, share
from costbasis.engine.model import Entry, Lot, Method

_AVERAGE = Method.AVERAGE
_HIFO = Method.HIFO
_LIFO = Method.LIFO
_COMPACT_AFTER = 4096  # spent lots kept before the FIFO head, before the list is compacted


class OpenLot:
    """Mutable: the part of one acquisition held in one pool."""

    __slots__ = (
        "source_id",
        "acquired_at",
        "long_after",
        "original_quantity",
        "cost",
        "estimated",
        "unit_cost",
        "remaining",
        "remaining_cost",
        "hseq",
        "owner",
    )

    def __init__(
        self,
        source_id: int,
        acquired_at: datetime,
        original_quantity: Decimal,
        cost: Decimal,
        estimated: bool,
        unit_cost: Decimal,
        remaining: Decimal,
        remaining_cost: Decimal,
        long_after: date | None = None,
    ) -> None:
        self.source_id = source_id
        self.acquired_at = acquired_at
        self.long_after = anniversary(acquired_at.date()) if long_after is None else long_after
        self.original_quantity = original_quantity
        self.cost = cost
        self.estimated = estimated
        self.unit_cost = unit_cost
        self.remaining = remaining
        self.remaining_cost = remaining_cost
        self.hseq = 0
        # The pool holding it; None once taken whole. A pool's ordering structures may still
        # point at a lot that has left (spent, or moved on whole): they skip it lazily.
        self.owner: Pool | None = None

    @classmethod
    def acquired(
        cls, source_id: int, at: datetime, quantity: Decimal, cost: Decimal, estimated: bool
    ) -> OpenLot:
        return cls(source_id, at, quantity, cost, estimated, div(cost, quantity), quantity, cost)

    def piece(self, quantity: Decimal, cost: Decimal) -> OpenLot:
        """A copy of this lot's identity holding `quantity` at `cost`, for another pool."""
        return OpenLot(
            self.source_id,
            self.acquired_at,
            self.original_quantity,
            self.cost,
            self.estimated,
            self.unit_cost,
            quantity,
            cost,
            self.long_after,
        )


def age(lot: OpenLot) -> tuple[datetime, int]:
    return (lot.acquired_at, lot.source_id)


Piece = tuple[OpenLot, Decimal, Decimal]  # (lot, quantity taken, cost of it)


class Pool:
    """The open lots of one asset in one place. `quantity` and `cost` are the sums of the
    lots' remaining quantity and cost (under average cost, `cost` is the pool's own total)."""

    __slots__ = (
        "asset",
        "wallet",
        "method",
        "quantity",
        "cost",
        "live",
        "order",
        "head",
        "heap",
        "seq",
        "next_lot",
    )

    def __init__(self, asset: str, wallet: str | None, method: Method) -> None:
        self.asset = asset
        self.wallet = wallet
        self.method = method
        self.quantity = ZERO
        self.cost = ZERO
        self.live: dict[int, OpenLot] = {}
        self.order: list[OpenLot] = []
        self.head = 0
        self.heap: list[tuple[Decimal, datetime, int, int, OpenLot]] = []
        self.seq = 0
        self.next_lot = self._next_for(method)

    def _next_for(self, method: Method) -> Callable[[], OpenLot]:
        """The next lot to take by `method` (only called while the pool holds something)."""
        if method is _HIFO:
            return self._next_hifo
        return self._next_lifo if method is _LIFO else self._next_fifo

    # -- method -------------------------------------------------------------------------------

    def use(self, method: Method) -> None:
        """Switch to `method` before the pool changes under it (lazily: a pool nobody touched
        since a method change is converted at its next use, which gives the same result)."""
        if method is self.method:
            return
        if self.method is _AVERAGE:
            self._spread_average()
        self.method = method
        self.next_lot = self._next_for(method)
        self.build()

    def _spread_average(self) -> None:
        lots = sorted(self.live.values(), key=age)
        if not lots:
            return
        costs = split(self.cost, [lot.remaining for lot in lots], self.quantity)
        unit = div(self.cost, self.quantity)
        for lot, cost in zip(lots, costs, strict=True):
            lot.remaining_cost = cost
            lot.unit_cost = unit

    def build(self) -> None:
        """(Re)build the ordering structure from the live lots."""
        lots = sorted(self.live.values(), key=age)
        self.head = 0
        if self.method is _HIFO:
            self.order = []
            self.heap = []
            for lot in lots:
                self.seq += 1
                lot.hseq = self.seq
                self.heap.append((-lot.unit_cost, lot.acquired_at, lot.source_id, self.seq, lot))
            heapify(self.heap)
        else:
            self.order = lots
            self.heap = []

    # -- adding -------------------------------------------------------------------------------

    def insert(self, lot: OpenLot) -> None:
        """Add a new lot, or merge a piece of an acquisition already open here."""
        self.quantity += lot.remaining
        self.cost += lot.remaining_cost
        source_id = lot.source_id
        existing = self.live.get(source_id)
        if existing is not None:
            existing.remaining += lot.remaining
            existing.remaining_cost += lot.remaining_cost
            if self.method is not _AVERAGE and existing.unit_cost != lot.unit_cost:
                # Pieces whose basis was averaged at different times: one basis per lot here.
                existing.unit_cost = div(existing.remaining_cost, existing.remaining)
                if self.method is _HIFO:
                    self._push(existing)
            return
        self.live[source_id] = lot
        lot.owner = self
        if self.method is _HIFO:
            self._push(lot)
            return
        order = self.order
        if order:
            last = order[-1]
            at = lot.acquired_at
            if last.acquired_at < at or (last.acquired_at == at and last.source_id <= source_id):
                order.append(lot)
                return
        else:
            order.append(lot)
            return
        # An older lot, arriving by transfer. order[head:] is sorted (lots that left included);
        # what is before the head is never looked at again.
        head = self.head
        position = bisect_right(order, (lot.acquired_at, source_id), lo=head, key=age)
        if position == head and head:
            head -= 1  # reuse the spent slot just before the head
            order[head] = lot
            self.head = head
        else:
            order.insert(position, lot)

    def _push(self, lot: OpenLot) -> None:
        self.seq += 1
        lot.hseq = self.seq
        heappush(self.heap, (-lot.unit_cost, lot.acquired_at, lot.source_id, self.seq, lot))

    # -- taking -------------------------------------------------------------------------------

    def _next_hifo(self) -> OpenLot:
        heap = self.heap
        while True:
            entry = heap[0]
            lot = entry[4]
            if lot.owner is self and lot.hseq == entry[3]:
                return lot
            heappop(heap)

    def _next_lifo(self) -> OpenLot:
        order = self.order
        while order[-1].owner is not self:
            order.pop()
        if self.head > len(order):
            self.head = len(order)
        return order[-1]

    def _next_fifo(self) -> OpenLot:
        order = self.order
        i = self.head
        while order[i].owner is not self:
            i += 1
        if i > _COMPACT_AFTER and i * 2 > len(order):
            del order[:i]
            i = 0
        self.head = i
        return order[i]

    def _take(self, lot: OpenLot, quantity: Decimal, average: bool) -> Decimal:
        """Take `quantity` from `lot`; returns its cost (lot methods) or 0 (average cost)."""
        cost = ZERO
        if quantity == lot.remaining:
            if not average:
                cost = lot.remaining_cost
            lot.remaining = ZERO
            lot.owner = None
            del self.live[lot.source_id]
        else:
            if not average:
                cost = share(lot.remaining_cost, quantity, lot.remaining)
                lot.remaining_cost -= cost
            lot.remaining -= quantity
        self.quantity -= quantity
        self.cost -= cost
        return cost

    def remove(
        self,
        quantity: Decimal,
        method: Method,
        pins: tuple[tuple[int, Decimal], ...] = (),
        split_average: bool = True,
    ) -> tuple[list[Piece], Decimal, Decimal, Decimal]:
        """Take `quantity` out: pinned lots first, then by `method`.

        Returns (pieces, missing, pins unavailable, pins in excess): `missing` is what the
        pool could not supply. Under average cost the pieces' quantities and dates come from
        the oldest lots (FIFO) and their costs are the average, split by quantity (or, with
        split_average False, all on the first piece: enough for a move between pools).
        """
        if method is not self.method:
            self.use(method)
        average = method is _AVERAGE
        held_quantity, held_cost = self.quantity, self.cost
        taken: list[Piece] = []
        need = quantity
        unavailable = excess = ZERO
        for source_id, pinned in pins:
            want = min(pinned, need)
            excess += pinned - want
            if not want:
                continue
            pinned_lot = self.live.get(source_id)
            got = ZERO if pinned_lot is None else min(want, pinned_lot.remaining)
            unavailable += want - got
            if got:
                taken.append((pinned_lot, got, self._take(pinned_lot, got, average)))  # type: ignore[arg-type]
                need -= got
        left = self.quantity
        if need and left:
            # The hot loop: _take() inlined.
            live = self.live
            next_lot = self.next_lot
            spent = ZERO
            while need and left:
                lot = next_lot()
                remaining = lot.remaining
                if remaining <= need:
                    got = remaining
                    cost = ZERO if average else lot.remaining_cost
                    lot.remaining = ZERO
                    lot.owner = None
                    del live[lot.source_id]
                else:
                    got = need
                    if average:
                        cost = ZERO
                    else:
                        cost = share(lot.remaining_cost, got, remaining)
                        lot.remaining_cost -= cost
                    lot.remaining = remaining - got
                left -= got
                need -= got
                spent += cost
                taken.append((lot, got, cost))
            self.quantity = left
            self.cost -= spent
        if average and taken:
            total = share(held_cost, quantity - need, held_quantity)
            self.cost = held_cost - total
            if len(taken) == 1 or not split_average:
                taken[0] = (taken[0][0], taken[0][1], total)
            else:
                costs = split(total, [got for _, got, _ in taken], quantity - need)
                taken = [(lot, got, cost) for (lot, got, _), cost in zip(taken, costs, strict=True)]
        if not self.quantity:
            # Emptied (the cost is then exactly 0 too): look like a new pool, "0" and not
            # "0.00", so a state saved now and one saved later agree to the character.
            self.quantity = self.cost = ZERO
        return taken, need, unavailable, excess

    # -- reading ------------------------------------------------------------------------------

    def snapshot(self) -> list[Lot]:
        lots = sorted(self.live.values(), key=age)
        if self.method is _AVERAGE and lots:
            costs = split(self.cost, [lot.remaining for lot in lots], self.quantity)
            unit = div(self.cost, self.quantity)
            units = [unit] * len(lots)
        else:
            costs = [lot.remaining_cost for lot in lots]
            units = [lot.unit_cost for lot in lots]
        return [
            Lot(
                source_entry_id=lot.source_id,
                asset=self.asset,
                wallet=self.wallet,
                acquired_at=lot.acquired_at,
                original_quantity=lot.original_quantity,
                cost=lot.cost,
                unit_cost=unit_cost,
                remaining_quantity=lot.remaining,
                remaining_cost=cost,
                estimated=lot.estimated,
            )
            for lot, cost, unit_cost in zip(lots, costs, units, strict=True)
        ]


class Pending:
    """The first leg of an accepted transfer, waiting for the other. In per-wallet pooling a
    TRANSFER_OUT seen first has already moved its lots out of the sender into `transit`."""

    __slots__ = ("entry", "transit")

    def __init__(self, entry: Entry, transit: Pool | None) -> None:
        self.entry = entry
        self.transit = transit


def split(total: Decimal, parts: list[Decimal], whole: Decimal) -> list[Decimal]:
    """total split by parts/whole; the last share is the residual, so they sum to total."""
    shares = [share(total, part, whole) for part in parts[:-1]]
    shares.append(total - sum(shares, ZERO))
    return shares
