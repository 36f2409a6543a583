"""compute(): walk the ledger in (time, id) order and keep the pools, disposals and flags."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal, localcontext
from operator import attrgetter

from costbasis.engine import state as state_io
from costbasis.engine.arith import EXACT, ZERO, div, share
from costbasis.engine.model import (
    ELSEWHERE,
    TRANSIT_PREFIX,
    Acquisition,
    Disposal,
    Entry,
    Flag,
    FlagCode,
    Income,
    LotUse,
    Method,
    Pooling,
    Result,
    Settings,
    tax_zone,
)
from costbasis.engine.pools import OpenLot, Pending, Pool, age
from ledger.kinds import INFLOWS, Kind

_ID = attrgetter("id")
_AT = attrgetter("at")


def compute(
    entries: Iterable[Entry], settings: Settings | None = None, state: dict | None = None
) -> Result:
    """Lots, disposals, income and flags of `entries`, optionally continuing from `state`.

    Entries are processed in (at, id) order whatever order they are given in. With `state`
    (a Result.state of an earlier call with the same settings for the years it covered), every
    entry must come strictly after the state's last processed (at, id), else ValueError: the
    caller must rebuild from scratch. Invalid input (naive time, quantity <= 0, duplicate id,
    pins on an inflow, inconsistent transfer links) also raises ValueError; an oversell or a
    missing value never does: they are flagged.
    """
    settings = settings or Settings()
    ordered = _in_order(entries)
    with localcontext(EXACT), _cyclic_gc_paused():
        engine = _Engine(settings)
        if state is not None:
            state_io.load(engine, state, settings)
        if ordered and engine.last is not None and (ordered[0].at, ordered[0].id) <= engine.last:
            first = ordered[0]
            raise ValueError(
                f"entry {first.id} at {first.at.isoformat()} is not after the state's last "
                "processed entry: recompute from scratch"
            )
        engine.run(ordered)
        if ordered:
            last = ordered[-1]
            engine.last = (last.at.astimezone(UTC), last.id)
        return engine.result()


def _in_order(entries: Iterable[Entry]) -> list[Entry]:
    """Sorted by (at, id): two stable sorts on single keys are several times faster than one
    on (at, id) tuples."""
    ordered = sorted(entries, key=_ID)
    if len(set(map(_ID, ordered))) != len(ordered):
        raise ValueError("entry ids must be unique")
    try:
        ordered.sort(key=_AT)
    except TypeError:  # naive and aware datetimes mixed
        raise ValueError("every entry's `at` must be an aware datetime")
    return ordered


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """The walk allocates a few records per entry and frees almost nothing until the end, so
    the cyclic garbage collector would traverse the growing (acyclic) result again and again:
    with it on, a 100,000-row ledger takes about twice as long. Only collection is paused;
    reference counting still frees everything, and a running collector is restored."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _check_links(entry: Entry) -> None:
    if entry.pinned_lots and entry.kind in INFLOWS:
        raise ValueError(f"entry {entry.id}: only an outflow can be pinned to lots")
    for _, pinned in entry.pinned_lots:
        if not pinned > 0:
            raise ValueError(f"entry {entry.id}: a pinned quantity must be > 0")
    if entry.transfer_peer is not None and entry.kind not in (Kind.TRANSFER_IN, Kind.TRANSFER_OUT):
        raise ValueError(f"entry {entry.id}: only a transfer can have a transfer_peer")


class _Engine:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # Every time is handled in the tax zone: a date (holding period) or a year (method,
        # income, realized gains) is then the calendar one of the user's zone.
        self.zone = tax_zone(settings.time_zone)
        self.per_wallet = settings.pooling == Pooling.PER_WALLET
        self.fiat = settings.fiat_assets
        self.pools: dict[tuple[str, str | None], Pool] = {}
        self.elsewhere: dict[str, Decimal] = {}  # universal pooling only
        self.pending: dict[int, Pending] = {}
        self.last: tuple[datetime, int] | None = None
        self.acquisitions: list[Acquisition] = []
        self.disposals: list[Disposal] = []
        self.incomes: list[Income] = []
        self.flags: list[Flag] = []
        self._methods: dict[int, Method] = {}
        self._handlers = {
            Kind.BUY: self._acquire,
            Kind.TRADE_IN: self._acquire,
            Kind.INCOME: self._acquire,
            Kind.GIFT_IN: self._acquire,
            Kind.SELL: self._dispose_entry,
            Kind.TRADE_OUT: self._dispose_entry,
            Kind.SPEND: self._dispose_entry,
            Kind.GIFT_OUT: self._dispose_entry,
            Kind.FEE: self._dispose_entry,
            Kind.TRANSFER_OUT: self._transfer,
            Kind.TRANSFER_IN: self._transfer,
            Kind.UNCLASSIFIED_OUT: (
                self._to_elsewhere
                if settings.unclassified_out_to_elsewhere
                else self._dispose_entry
            ),
            Kind.UNCLASSIFIED_IN: self._from_elsewhere_entry,
        }

    # -- the walk -----------------------------------------------------------------------------

    def run(self, ordered: list[Entry]) -> None:
        """Process the entries, in order. Also where they are validated (one pass)."""
        handlers, fiat, methods, zone = self._handlers, self.fiat, self._methods, self.zone
        for entry in ordered:
            at = entry.at
            if at.tzinfo is not zone:
                if at.utcoffset() is None:
                    raise ValueError(f"entry {entry.id}: `at` must be an aware datetime")
                at = at.astimezone(zone)
            if not entry.quantity > ZERO:
                raise ValueError(f"entry {entry.id}: quantity must be > 0, got {entry.quantity}")
            if entry.pinned_lots or entry.transfer_peer is not None:
                _check_links(entry)
            handler = handlers.get(entry.kind)
            if handler is None or entry.asset in fiat:
                continue  # cash: FIAT_DEPOSIT / FIAT_WITHDRAWAL, or a fiat asset
            method = methods.get(at.year)
            if method is None:
                method = methods[at.year] = self.settings.method_for(at.year)
            handler(entry, at, method)

    def pool(self, asset: str, wallet: str | None, method: Method) -> Pool:
        key = (asset, wallet) if self.per_wallet else (asset, None)
        pool = self.pools.get(key)
        if pool is None:
            pool = self.pools[key] = Pool(asset, key[1], method)
        elif pool.method is not method:
            pool.use(method)
        return pool

    def flag(self, entry_id: int, code: FlagCode, quantity: Decimal | None = None) -> None:
        self.flags.append(Flag(entry_id, code, quantity))

    def value_of(self, entry: Entry) -> Decimal:
        if entry.value is None:
            self.flag(entry.id, FlagCode.MISSING_VALUE, entry.quantity)
            return ZERO
        return entry.value

    # -- acquisitions -------------------------------------------------------------------------

    def _acquire(self, entry: Entry, at: datetime, method: Method) -> None:
        value = entry.value
        if value is None:
            value = self.value_of(entry)
        cost = value + entry.fee_value
        pool = self.pool(entry.asset, entry.wallet, method)
        quantity = entry.quantity
        pool.insert(
            OpenLot(entry.id, at, quantity, cost, False, div(cost, quantity), quantity, cost)
        )
        self.acquisitions.append(
            Acquisition(entry.id, at, entry.kind, entry.asset, pool.wallet, entry.quantity, cost)
        )
        if entry.kind == Kind.INCOME:
            self.incomes.append(Income(entry.id, at, at.year, entry.asset, entry.quantity, value))

    # -- disposals ----------------------------------------------------------------------------

    def _dispose_entry(self, entry: Entry, at: datetime, method: Method) -> None:
        proceeds = self.value_of(entry) - entry.fee_value
        pool = self.pool(entry.asset, entry.wallet, method)
        self.dispose(
            entry.id,
            at,
            entry.kind,
            pool,
            pool.wallet,
            entry.quantity,
            proceeds,
            entry.pinned_lots,
            method,
        )

    def dispose(
        self,
        entry_id: int,
        at: datetime,
        kind: Kind,
        pool: Pool,
        wallet: str | None,
        quantity: Decimal,
        proceeds: Decimal,
        pins: tuple[tuple[int, Decimal], ...],
        method: Method,
    ) -> None:
        pieces, missing, unavailable, excess = pool.remove(quantity, method, pins)
        if unavailable or excess:
            self.pin_flags(entry_id, unavailable, excess)
        day = at.date()
        if len(pieces) == 1 and not missing:
            lot, got, cost = pieces[0]
            portions = [
                LotUse(lot.source_id, lot.acquired_at, got, cost, proceeds, day > lot.long_after)
            ]
            left = ZERO
        else:
            portions = []
            cost = ZERO
            left = proceeds
            last = len(pieces) - (0 if missing else 1)
            for i, (lot, got, got_cost) in enumerate(pieces):
                part = left if i == last else share(proceeds, got, quantity)
                left -= part
                cost += got_cost
                portions.append(
                    LotUse(
                        lot.source_id, lot.acquired_at, got, got_cost, part, day > lot.long_after
                    )
                )
        if missing:
            portions.append(LotUse(None, at, missing, ZERO, left, False))
            self.flag(entry_id, FlagCode.MISSING_ACQUISITION, missing)
        self.disposals.append(
            Disposal(
                entry_id,
                at,
                kind,
                pool.asset,
                wallet,
                method,
                quantity,
                proceeds,
                cost,
                missing,
                tuple(portions),
            )
        )
        self.cap_elsewhere(entry_id, pool)

    def pin_flags(self, entry_id: int, unavailable: Decimal, excess: Decimal) -> None:
        if unavailable:
            self.flag(entry_id, FlagCode.PIN_UNAVAILABLE, unavailable)
        if excess:
            self.flag(entry_id, FlagCode.PIN_EXCESS, excess)

    # -- coins of the user's that are not tracked here ----------------------------------------

    def cap_elsewhere(self, entry_id: int, pool: Pool) -> None:
        """Universal pooling: what is held elsewhere is part of the pool and cannot exceed it;
        an entry that shrank the pool below it caps it (flagged)."""
        if self.elsewhere:
            there = self.elsewhere.get(pool.asset)
            if there is not None and there > pool.quantity:
                self.set_elsewhere(pool.asset, pool.quantity)
                self.flag(entry_id, FlagCode.ELSEWHERE_REDUCED, there - pool.quantity)

    def set_elsewhere(self, asset: str, quantity: Decimal) -> None:
        if quantity:
            self.elsewhere[asset] = quantity
        else:
            self.elsewhere.pop(asset, None)

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

    # -- the answer ---------------------------------------------------------------------------

    def open_pools(self) -> list[Pool]:
        pools = [pool for pool in self.pools.values() if pool.live]
        pools += [
            p.transit for p in self.pending.values() if p.transit is not None and p.transit.live
        ]
        return sorted(pools, key=lambda pool: (pool.asset, pool.wallet or ""))

    def result(self) -> Result:
        lots = [lot for pool in self.open_pools() for lot in pool.snapshot()]
        if self.per_wallet:
            elsewhere = {
                asset: pool.quantity
                for (asset, wallet), pool in sorted(self.pools.items())
                if wallet == ELSEWHERE and pool.quantity
            }
        else:
            elsewhere = dict(sorted(self.elsewhere.items()))
        return Result(
            acquisitions=tuple(self.acquisitions),
            disposals=tuple(self.disposals),
            incomes=tuple(self.incomes),
            flags=tuple(self.flags),
            lots=tuple(lots),
            elsewhere=elsewhere,
            pending_transfers=tuple(sorted(self.pending)),
            state=state_io.dump(self),
        )
