"""What counts as an external flow (API.md "History, performance and analytics"): a movement
that adds or removes holdings without being a gain or a loss.

- a buy or a sell: statements record the crypto side only and fiat cash is not a valued
  holding (``ledger.holdings.CASH_KINDS``), so the crypto bought came from outside the valued
  holdings and the crypto sold leaves them;
- a gift in or out, a spend;
- a receive or send not matched as a transfer between own wallets: ``unclassified_*`` rows, and
  ``transfer_*`` rows that are not a leg of an accepted transfer of this portfolio;
- an offset (a balance entered by hand) is a deposit on the day it was created.

Trades between two crypto assets (``trade_in``/``trade_out``), income (staking, rewards,
interest, airdrops), fees and price changes are return. Fiat deposits and withdrawals move cash,
which is not valued, so they change neither the value nor the flows.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Q

from ledger.holdings import CASH_KINDS
from ledger.kinds import Kind
from ledger.models import LedgerEntry, Transfer
from offsets.models import OffsetBalance

FLOW_IN = frozenset({Kind.BUY, Kind.GIFT_IN, Kind.UNCLASSIFIED_IN})
FLOW_OUT = frozenset({Kind.SELL, Kind.GIFT_OUT, Kind.SPEND, Kind.UNCLASSIFIED_OUT})
TRANSFER_KINDS = frozenset({Kind.TRANSFER_IN.value, Kind.TRANSFER_OUT.value})

# day -> asset code -> signed quantity (positive: into the portfolio)
Flows = dict[date, dict[str, Decimal]]


def external_flows(*, portfolio_id: int, since: datetime) -> Flows:
    """The net external flow of each asset on each UTC day from ``since``. Three queries."""
    flows: Flows = defaultdict(lambda: defaultdict(Decimal))
    kinds = [k.value for k in FLOW_IN | FLOW_OUT] + sorted(TRANSFER_KINDS)
    rows = (
        LedgerEntry.objects.filter(portfolio_id=portfolio_id, occurred_at__gte=since)
        .filter(kind__in=kinds)
        .exclude(kind__in=CASH_KINDS)
        .values_list("id", "kind", "asset__code", "quantity", "occurred_at")
        .order_by()
    )
    matched = _matched_transfer_legs(portfolio_id, since)
    inflow = {k.value for k in FLOW_IN} | {Kind.TRANSFER_IN.value}
    for pk, kind, code, quantity, at in rows.iterator(chunk_size=5000):
        if kind in TRANSFER_KINDS and pk in matched:
            continue
        flows[at.date()][code] += quantity if kind in inflow else -quantity
    for code, balance, created in OffsetBalance.objects.filter(
        offset__portfolio_id=portfolio_id, created_at__gte=since
    ).values_list("currency__code", "balance", "created_at"):
        flows[created.date()][code] += balance
    return {day: dict(codes) for day, codes in flows.items()}


def _matched_transfer_legs(portfolio_id: int, since: datetime) -> set[int]:
    legs = Transfer.objects.filter(portfolio_id=portfolio_id, status=Transfer.ACCEPTED).filter(
        Q(out_entry__occurred_at__gte=since) | Q(in_entry__occurred_at__gte=since)
    )
    matched: set[int] = set()
    for out_id, in_id in legs.values_list("out_entry_id", "in_entry_id"):
        matched.update((out_id, in_id))
    return matched
