"""The engine's input and output records: dataclasses with Decimal amounts and UTC times.

Inputs, lots and the result are frozen. The records the walk creates by the hundred thousand
(acquisitions, disposals and their lot uses, incomes, flags) are plain slotted dataclasses: a
frozen one costs three times as much to build, a sixth of the time budget for 100,000 entries.
Treat them as read-only all the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ledger.kinds import Kind

# Wallet keys of the pools that are not a tracked wallet. Real wallet keys are "<source>:<id>"
# ("address:12", "import:coinbase"), so these cannot collide with one.
ELSEWHERE = "elsewhere"  # the user's own wallets that are not tracked here (per-wallet pooling)
TRANSIT_PREFIX = "in-transit:"  # + the TRANSFER_OUT id: sent, the receiving leg not seen yet

PoolKey = tuple[str, str | None]  # (asset, wallet key); wallet None = the universal pool


class Method(StrEnum):
    FIFO = "fifo"
    LIFO = "lifo"
    HIFO = "hifo"  # highest unit cost (acquisition cost incl. fee / acquired quantity) first
    AVERAGE = "average"  # one running average cost per pool


class Pooling(StrEnum):
    UNIVERSAL = "universal"  # one pool per asset: the user's holdings everywhere
    PER_WALLET = "per_wallet"  # one pool per wallet per asset


class FlagCode(StrEnum):
    """Why an entry needs a human look. `Flag.quantity` says how much of it is concerned."""

    MISSING_VALUE = "missing_value"  # no fiat value: 0 was used
    TO_ELSEWHERE = "to_elsewhere"  # left for an untracked wallet of the user's: not taxed
    ESTIMATED_ACQUISITION = (
        "estimated_acquisition"  # arrived from nowhere known: cost = market value
    )
    MISSING_ACQUISITION = "missing_acquisition"  # disposed of more than held: zero cost
    TRANSFER_SHORTFALL = "transfer_shortfall"  # moved more than the sending pool held
    TRANSFER_EXCESS = "transfer_excess"  # the receiving leg got more than was sent
    PIN_UNAVAILABLE = "pin_unavailable"  # a pinned lot is not open in the pool (or too small)
    PIN_EXCESS = "pin_excess"  # the pins add up to more than the disposal
    # Universal pooling: a disposal left the pool smaller than the quantity held elsewhere, so
    # that quantity shrank to match (the tracked wallets sold coins they did not hold).
    ELSEWHERE_REDUCED = "elsewhere_reduced"


@dataclass(frozen=True, slots=True)
class Entry:
    """One ledger row, as the engine sees it.

    `quantity` is > 0 in units of `asset`; `value` is the fiat value of the movement at `at`
    (for a BUY the amount paid before the fee, for a TRADE_IN the value of what was given, for
    a SELL the amount received before the fee, otherwise the market value); None means unknown:
    0 is used and the entry is flagged. `fee_value` is a fiat fee: added to the cost of an
    acquisition, taken off the proceeds of a disposal, ignored on transfers (a fee paid in the
    transferred coin shows as sent minus received quantity). `transfer_peer` links the two legs
    of an accepted transfer, both ways. `pinned_lots` pins an outflow to lots by (acquiring
    entry id, quantity), in that order; whatever they do not cover follows the method.
    """

    id: int
    at: datetime
    kind: Kind
    asset: str
    quantity: Decimal
    wallet: str
    value: Decimal | None
    fee_value: Decimal = Decimal(0)
    transfer_peer: int | None = None
    pinned_lots: tuple[tuple[int, Decimal], ...] = ()


@lru_cache(maxsize=64)
def tax_zone(name: str) -> tzinfo:
    """The tzinfo of an IANA time zone name ("UTC" is datetime.UTC); ValueError if unknown."""
    if name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


@dataclass(frozen=True, slots=True)
class Settings:
    """`method` applies to every year before the first of `method_changes`; a change
    (from_year, method) applies from that year on, until the next change. `time_zone` (an
    IANA name) is the user's tax time zone: the calendar dates and years of the holding period,
    of the method changes, of income and of realized gains are those of that zone."""

    method: Method = Method.FIFO
    pooling: Pooling = Pooling.UNIVERSAL
    method_changes: tuple[tuple[int, Method], ...] = ()
    fiat_assets: frozenset[str] = frozenset()
    # True: an UNCLASSIFIED_OUT went to one of the user's untracked wallets (no taxable event,
    # flagged). False: it is a disposal at market value, like a SPEND.
    unclassified_out_to_elsewhere: bool = True
    time_zone: str = "UTC"

    def __post_init__(self) -> None:
        tax_zone(self.time_zone)  # ValueError for an unknown zone
        # The engine compares methods by identity: accept their string values too.
        object.__setattr__(self, "method", Method(self.method))
        object.__setattr__(self, "pooling", Pooling(self.pooling))
        changes = tuple(sorted((int(year), Method(method)) for year, method in self.method_changes))
        object.__setattr__(self, "method_changes", changes)
        object.__setattr__(self, "fiat_assets", frozenset(self.fiat_assets))

    @classmethod
    def from_method_by_year(cls, method_by_year: dict[int, Method], **kwargs) -> Settings:
        """Settings whose method changes are {from_year: method}; `method=` is the default."""
        return cls(method_changes=tuple(sorted(method_by_year.items())), **kwargs)

    def method_for(self, year: int) -> Method:
        method = self.method
        for from_year, changed in self.method_changes:
            if from_year > year:
                break
            method = changed
        return method


@dataclass(frozen=True, slots=True)
class Lot:
    """What is left of one acquisition in one pool.

    `original_quantity`, `cost` (incl. fee) and `unit_cost` describe the acquisition as a whole;
    `remaining_quantity` and `remaining_cost` the part of it now in this pool (a transfer moves
    part of a lot into another pool, keeping its date and cost). Under average cost a lot's
    remaining cost is its quantity's share of the pool's average. `unit_cost` is the HIFO key:
    cost / original quantity, or the pool's average when the lot left an average-cost year.
    """

    source_entry_id: int
    asset: str
    wallet: str | None
    acquired_at: datetime
    original_quantity: Decimal
    cost: Decimal
    unit_cost: Decimal
    remaining_quantity: Decimal
    remaining_cost: Decimal
    estimated: bool = False

    @property
    def pool(self) -> PoolKey:
        return (self.asset, self.wallet)


@dataclass(slots=True)  # not frozen: built by the hundred thousand (see module doc)
class Acquisition:
    """A lot created by an entry (the estimated part of a receive from elsewhere included)."""

    entry_id: int
    at: datetime
    kind: Kind
    asset: str
    wallet: str | None
    quantity: Decimal
    cost: Decimal
    estimated: bool = False


@dataclass(slots=True)  # not frozen: built by the hundred thousand (see module doc)
class LotUse:
    """The part of a disposal taken from one lot. source_entry_id None = the missing part of
    an oversell: zero cost, acquired at the disposal itself, so short-term."""

    source_entry_id: int | None
    acquired_at: datetime
    quantity: Decimal
    cost: Decimal
    proceeds: Decimal
    long_term: bool

    @property
    def gain(self) -> Decimal:
        return self.proceeds - self.cost


@dataclass(slots=True)  # not frozen: built by the hundred thousand (see module doc)
class Disposal:
    """A taxable disposal. proceeds = value - fee_value (may be negative); cost = sum of the
    portions' costs; gain = proceeds - cost. The fee of a transfer (sent minus received) is a
    disposal with the TRANSFER_OUT's id and kind."""

    entry_id: int
    at: datetime
    kind: Kind
    asset: str
    wallet: str | None
    method: Method
    quantity: Decimal
    proceeds: Decimal
    cost: Decimal
    missing_quantity: Decimal
    portions: tuple[LotUse, ...]

    @property
    def gain(self) -> Decimal:
        return self.proceeds - self.cost

    @property
    def pool(self) -> PoolKey:
        return (self.asset, self.wallet)


@dataclass(slots=True)  # not frozen: built by the hundred thousand (see module doc)
class Income:
    """An INCOME entry: `value` (fiat, market value on receipt) is income of `year` (the
    calendar year in Settings.time_zone)."""

    entry_id: int
    at: datetime
    year: int
    asset: str
    quantity: Decimal
    value: Decimal


@dataclass(slots=True)  # not frozen: built by the hundred thousand (see module doc)
class Flag:
    entry_id: int
    code: FlagCode
    quantity: Decimal | None = None


@dataclass(frozen=True)
class Result:
    """What one compute() call found.

    `acquisitions`, `disposals`, `incomes` and `flags` cover the entries of this call, in
    processing order; `lots` are the lots open after it (all pools, incl. elsewhere and in
    transit), sorted; `elsewhere` is the quantity per asset held in untracked wallets of the
    user's; `pending_transfers` are linked transfer legs whose other leg is not processed yet.
    `state` is a JSON-friendly snapshot to continue from with compute(..., state=...).
    """

    acquisitions: tuple[Acquisition, ...]
    disposals: tuple[Disposal, ...]
    incomes: tuple[Income, ...]
    flags: tuple[Flag, ...]
    lots: tuple[Lot, ...]
    elsewhere: dict[str, Decimal]
    pending_transfers: tuple[int, ...]
    state: dict = field(repr=False)
