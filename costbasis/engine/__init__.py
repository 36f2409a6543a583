"""The cost-basis engine: pure functions over ledger rows as dataclasses. No Django here; the
ledger app loads rows into `Entry`, calls `compute` and stores the `Result`.

Rules, where the tax question has more than one sensible answer (see also docs in each module):

- Order: entries are processed by (at, id), whatever order they are given in.
- Arithmetic: Decimal, exact except divisions (rounded to 50 significant digits); every split
  gives its last part the exact residual, so open cost + disposed cost = acquired cost exactly,
  average cost included. Nothing is quantized here: display rounding is the caller's.
- Acquisition cost = value + fee_value (BUY, TRADE_IN, INCOME, GIFT_IN). A gift received takes
  its market value on receipt (the donor's basis is not known to us). Income is also reported
  as income of its year, at its value.
- Dates and years are calendar ones in Settings.time_zone (the user's tax time zone, an IANA
  name, default UTC): a sale at 2022-01-02T03:00Z is on 2022-01-01 in New York. The holding
  period, the method of a year, the year of income and of a disposal's gain all use them. The
  result's times are the same instants, expressed in that zone.
- Disposal proceeds = value - fee_value (SELL, TRADE_OUT, SPEND, GIFT_OUT, FEE and, when
  Settings.unclassified_out_to_elsewhere is False, UNCLASSIFIED_OUT); may be negative.
- A missing value counts as 0 and is flagged MISSING_VALUE.
- Long-term: the disposal's date is strictly after the acquisition's first anniversary (held
  more than one year; acquired 2021-01-01: sold 2022-01-01 is short-term, 2022-01-02
  long-term); an acquisition on 29 February has its anniversary on 28 February (acquired
  2020-02-29: sold 2021-02-28 is short-term, 2021-03-01 long-term). Lots moved by transfers keep their
  date. The missing part of an oversell is short-term.
- Oversell: the pool gives what it has; the rest is a zero-cost portion with no lot
  (source_entry_id None), flagged MISSING_ACQUISITION. Never negative, never an exception.
- Average cost: one running average per pool; the quantities and dates of a disposal's
  portions come from the oldest lots (FIFO), their cost is the average. When a later year
  leaves average cost, each open lot's basis becomes its quantity's share of the pool's cost.
- HIFO: highest unit cost (cost incl. fee / acquired quantity) among the lots open in the pool
  at the disposal; ties: earlier acquired, then lower id.
- Specific identification: `Entry.pinned_lots` takes those lots first (from the disposal's
  pool; in average cost they choose the dates, the cost stays the average); what is not open
  is flagged PIN_UNAVAILABLE, pins beyond the disposal PIN_EXCESS; the rest follows the method.
- Transfers: an accepted transfer (TRANSFER_OUT and TRANSFER_IN linked by transfer_peer, both
  ways) moves the lots, per wallet, into the receiver with their dates and cost; in universal
  pooling it moves nothing. Sent minus received is a fee, taken by the method from the sent
  lots: a disposal (entry id and kind of the TRANSFER_OUT, dated when the second leg is
  processed) at the market value given by the sent leg's value (else the received leg's);
  with no value at all, zero proceeds (a loss of its cost), flagged MISSING_VALUE. Received
  more than sent: the excess comes from elsewhere (below), flagged TRANSFER_EXCESS. A sent
  leg processed first puts its lots in an in-transit pool ("in-transit:<out id>") until the
  received leg; a received leg processed first (clock skew) waits for the sent one. Sending
  more than the wallet holds moves what there is, flagged TRANSFER_SHORTFALL.
- Conversions: linked legs of two different assets (Coinbase's ETH2 -> ETH migration) are a
  transfer across assets, 1:1 by quantity: the lots leave the sent asset's pool and become
  lots of the received asset with their dates and cost, in universal pooling as well; no
  disposal, no new lot. A difference in quantity is handled as for a transfer.
- Elsewhere (the user's untracked wallets): an unlinked TRANSFER_OUT or an UNCLASSIFIED_OUT
  is no taxable event, flagged TO_ELSEWHERE; per wallet its lots move to the ELSEWHERE pool,
  in universal pooling they stay and the asset's elsewhere quantity grows (never beyond the
  pool: more is flagged TRANSFER_SHORTFALL; a disposal shrinking the pool below it caps it,
  flagged ELSEWHERE_REDUCED).
  An unlinked TRANSFER_IN or an UNCLASSIFIED_IN first takes back what is elsewhere (per wallet
  those lots, by the method); only the excess is a new lot at market value, flagged
  ESTIMATED_ACQUISITION. fee_value on transfers and unclassified moves is ignored.
- Fiat: FIAT_DEPOSIT / FIAT_WITHDRAWAL and any asset in Settings.fiat_assets make no lots.
- Incremental: Result.state (JSON-friendly) continues a computation; the entries given with it
  must all come after its last processed (at, id), and the settings must agree for the years
  it covers (a method change from a later year is fine), else ValueError: rebuild.
- Speed (bench/costbasis_compute.py): each lot taken or added costs O(1) or O(log n), no
  scans. The cyclic garbage collector is paused during compute() (see engine.py); the records
  built by the hundred thousand are slotted, not frozen, dataclasses (see model.py).
"""

from costbasis.engine.engine import compute
from costbasis.engine.model import (
    ELSEWHERE,
    TRANSIT_PREFIX,
    Acquisition,
    Disposal,
    Entry,
    Flag,
    FlagCode,
    Income,
    Lot,
    LotUse,
    Method,
    Pooling,
    PoolKey,
    Result,
    Settings,
    tax_zone,
)
from costbasis.engine.summary import (
    AssetYear,
    Holding,
    YearGains,
    by_asset_and_year,
    holdings,
    holdings_by_pool,
    income_by_year,
    realized_gains_by_year,
)

__all__ = [
    "ELSEWHERE",
    "TRANSIT_PREFIX",
    "Acquisition",
    "AssetYear",
    "Disposal",
    "Entry",
    "Flag",
    "FlagCode",
    "Holding",
    "Income",
    "Lot",
    "LotUse",
    "Method",
    "PoolKey",
    "Pooling",
    "Result",
    "Settings",
    "YearGains",
    "by_asset_and_year",
    "compute",
    "holdings",
    "holdings_by_pool",
    "income_by_year",
    "realized_gains_by_year",
    "tax_zone",
]
