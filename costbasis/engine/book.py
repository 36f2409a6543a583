"""The engine's books: pools of open lots, the records it keeps (acquisitions, disposals,
income, flags), and the two plain movements, acquiring and disposing. Moves between wallets
and to or from untracked wallets build on these in ``moves``; ``engine`` walks the ledger."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from costbasis.engine.arith import ZERO, div, share
from costbasis.engine.model import (
    Acquisition,
    Disposal,
    Entry,
    Flag,
    FlagCode,
    Income,
    LotUse,
    Method,
    Pooling,
    Settings,
    tax_zone,
)
from costbasis.engine.pools import OpenLot, Pending, Pool
from ledger.kinds import Kind


class Book:
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
