"""Moves of lots that are no disposal: transfers between the user's wallets (matched legs,
in transit in between), and coins sent to or received from wallets not tracked here."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from costbasis.engine.arith import ZERO, share
from costbasis.engine.book import Book
from costbasis.engine.model import ELSEWHERE, TRANSIT_PREFIX, Acquisition, Entry, FlagCode, Method
from costbasis.engine.pools import OpenLot, Pending, Pool, age
from ledger.kinds import Kind


class Moves(Book):
    def move(
        self,
        source: Pool,
        target: Pool,
        quantity: Decimal,
        method: Method,
        pins: tuple[tuple[int, Decimal], ...],
        entry_id: int,
    ) -> None:
        # Under average cost only the pool's total cost matters, so a move carries the moved
        # average on its first piece rather than spreading it over every piece.
        pieces, missing, unavailable, excess = source.remove(
            quantity, method, pins, split_average=False
        )
        if unavailable or excess:
            self.pin_flags(entry_id, unavailable, excess)
        insert = target.insert
        for lot, got, cost in pieces:
            if lot.owner is None and not lot.remaining:
                # Taken whole (and not re-homed by an earlier piece): the lot itself moves.
                lot.remaining = got
                lot.remaining_cost = cost
                insert(lot)
            else:
                insert(lot.piece(got, cost))
        if missing:
            self.flag(entry_id, FlagCode.TRANSFER_SHORTFALL, missing)

    def _to_elsewhere(self, entry: Entry, at: datetime, method: Method) -> None:
        self.flag(entry.id, FlagCode.TO_ELSEWHERE, entry.quantity)
        if self.per_wallet:
            source = self.pool(entry.asset, entry.wallet, method)
            target = self.pool(entry.asset, ELSEWHERE, method)
            self.move(source, target, entry.quantity, method, entry.pinned_lots, entry.id)
            return
        pool = self.pool(entry.asset, None, method)
        there = self.elsewhere.get(entry.asset, ZERO)
        room = pool.quantity - there
        moved = entry.quantity if entry.quantity <= room else max(room, ZERO)
        self.set_elsewhere(entry.asset, there + moved)
        if moved < entry.quantity:
            self.flag(entry.id, FlagCode.TRANSFER_SHORTFALL, entry.quantity - moved)

    def _from_elsewhere_entry(self, entry: Entry, at: datetime, method: Method) -> None:
        self.from_elsewhere(entry, at, entry.quantity, entry.value, method)

    def from_elsewhere(
        self, entry: Entry, at: datetime, quantity: Decimal, value: Decimal | None, method: Method
    ) -> None:
        """Receive `quantity` (worth `value`) from the user's untracked wallets: their lots come
        back first; only what exceeds them is a new lot, at market value, flagged estimated.
        `fee_value` is ignored: a fee on a move between the user's wallets is not a cost."""
        target = self.pool(entry.asset, entry.wallet, method)
        if self.per_wallet:
            source = self.pools.get((entry.asset, ELSEWHERE))
            back = ZERO
            if source is not None and source.quantity:
                back = min(quantity, source.quantity)
                self.move(source, target, back, method, (), entry.id)
        else:
            there = self.elsewhere.get(entry.asset, ZERO)
            back = min(quantity, there)
            self.set_elsewhere(entry.asset, there - back)
        excess = quantity - back
        if not excess:
            return
        if value is None:
            self.flag(entry.id, FlagCode.MISSING_VALUE, excess)
            value = ZERO
        cost = share(value, excess, quantity)
        target.insert(OpenLot.acquired(entry.id, at, excess, cost, True))
        self.acquisitions.append(
            Acquisition(
                entry.id, at, entry.kind, entry.asset, target.wallet, excess, cost, estimated=True
            )
        )
        self.flag(entry.id, FlagCode.ESTIMATED_ACQUISITION, excess)

    # -- transfers ----------------------------------------------------------------------------

    def _transfer(self, entry: Entry, at: datetime, method: Method) -> None:
        if entry.transfer_peer is None:
            if entry.kind == Kind.TRANSFER_OUT:
                self._to_elsewhere(entry, at, method)
            else:
                self.from_elsewhere(entry, at, entry.quantity, entry.value, method)
            return
        pending = self.pending.pop(entry.transfer_peer, None)
        if pending is None:  # the first leg
            transit = self.send(entry, method) if entry.kind == Kind.TRANSFER_OUT else None
            self.pending[entry.id] = Pending(entry, transit)
            return
        other = pending.entry
        # Legs of two assets are a conversion (Coinbase's ETH2 -> ETH migration): see settle().
        if other.transfer_peer != entry.id or other.kind == entry.kind:
            raise ValueError(
                f"entries {other.id} and {entry.id} are not the two legs of one transfer"
            )
        if entry.kind == Kind.TRANSFER_OUT:
            self.settle(entry, other, at, method, self.send(entry, method))
        else:
            self.settle(other, entry, at, method, pending.transit)

    def send(self, out: Entry, method: Method) -> Pool | None:
        """Per wallet: move the sent quantity out of the sender into an in-transit pool."""
        if not self.per_wallet:
            return None
        transit = Pool(out.asset, f"{TRANSIT_PREFIX}{out.id}", method)
        self.move(
            self.pool(out.asset, out.wallet, method),
            transit,
            out.quantity,
            method,
            out.pinned_lots,
            out.id,
        )
        return transit

    def settle(
        self, out: Entry, inn: Entry, at: datetime, method: Method, transit: Pool | None
    ) -> None:
        """Both legs known: sent minus received is a fee, disposed of at market value when
        either leg has a value (else at zero proceeds, flagged); the rest reaches the receiver
        (per wallet) with its dates and cost. More received than sent comes from elsewhere.
        Legs of two assets are a conversion, 1:1 by quantity: the lots become lots of the
        received asset with their dates and cost, in universal pooling too (no disposal, no
        new lot)."""
        fee = out.quantity - inn.quantity
        if fee > 0:
            if out.value is not None:
                proceeds = share(out.value, fee, out.quantity)
            elif inn.value is not None:
                proceeds = share(inn.value, fee, inn.quantity)
            else:
                proceeds = ZERO
                self.flag(out.id, FlagCode.MISSING_VALUE, fee)
            pool = transit if transit is not None else self.pool(out.asset, None, method)
            wallet = out.wallet if self.per_wallet else None
            self.dispose(out.id, at, Kind.TRANSFER_OUT, pool, wallet, fee, proceeds, (), method)
        if transit is not None and transit.quantity:
            # Everything left in transit reaches the receiver whole, and the transit pool is
            # dropped: its lots move as they are, in age order (merges are then the same
            # whether or not the transit went through a saved state).
            transit.use(method)
            target = self.pool(inn.asset, inn.wallet, method)
            lots = sorted(transit.live.values(), key=age)
            if method is Method.AVERAGE:  # only the pools' totals count: carry it on one lot
                for lot in lots:
                    lot.remaining_cost = ZERO
                lots[0].remaining_cost = transit.cost
            for lot in lots:
                target.insert(lot)
        elif transit is None and out.asset != inn.asset:
            source = self.pool(out.asset, None, method)
            moved = min(out.quantity, inn.quantity)
            self.move(
                source, self.pool(inn.asset, None, method), moved, method, out.pinned_lots, out.id
            )
            self.cap_elsewhere(out.id, source)
        if fee < 0:
            self.flag(inn.id, FlagCode.TRANSFER_EXCESS, -fee)
            value = None if inn.value is None else share(inn.value, -fee, inn.quantity)
            self.from_elsewhere(inn, at, -fee, value, method)
