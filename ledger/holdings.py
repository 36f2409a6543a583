"""Keeping ``WalletHolding`` equal to what a wallet's ledger rows add up to."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Case, F, Max, Sum, When

from core.fields import AmountField
from ledger.kinds import INFLOWS, Kind
from ledger.models import LedgerEntry, Wallet, WalletHolding

INFLOW_KINDS = frozenset(k.value for k in INFLOWS)
# Cash movements of the exchange (deposits, withdrawals) are not holdings we can value honestly:
# statements record the crypto side of buys and sells only, so a cash balance built from them
# would be wrong. Crypto (stablecoins included) counts.
CASH_KINDS = frozenset({Kind.FIAT_DEPOSIT.value, Kind.FIAT_WITHDRAWAL.value})


@transaction.atomic
def wallet_holdings_recompute(*, wallet: Wallet) -> dict[str, Decimal]:
    """Sum the wallet's rows per asset (inflows minus outflows, fiat cash left out) and store
    the result. Memory does not grow with the ledger. Returns code -> qty."""
    totals, latest = _sums(wallet)
    WalletHolding.objects.filter(wallet=wallet).exclude(asset_id__in=list(totals)).delete()
    existing = {h.asset_id: h for h in WalletHolding.objects.filter(wallet=wallet)}
    for asset_id, quantity in totals.items():
        holding = existing.get(asset_id)
        if holding is None:
            WalletHolding.objects.create(
                wallet=wallet, asset_id=asset_id, quantity=quantity, as_of=latest[asset_id]
            )
        elif holding.quantity != quantity or holding.as_of != latest[asset_id]:
            holding.quantity, holding.as_of = quantity, latest[asset_id]
            holding.save(update_fields=["quantity", "as_of", "updated_at"])
    codes = dict(WalletHolding.objects.filter(wallet=wallet).values_list("asset__code", "quantity"))
    return codes


def _sums(wallet: Wallet) -> tuple[dict[int, Decimal], dict[int, datetime]]:
    """Per asset of the wallet (cash left out): inflows minus outflows, and the newest row's
    time. PostgreSQL sums numeric exactly, so it adds them up itself (reading 100,000 rows into
    Python took a second of a statement import); elsewhere (SQLite keeps amounts as floats)
    the rows are streamed and summed here."""
    rows = LedgerEntry.objects.filter(wallet=wallet).exclude(kind__in=CASH_KINDS).order_by()
    if connection.vendor == "postgresql":
        signed = Case(
            When(kind__in=INFLOW_KINDS, then=F("quantity")),
            default=-F("quantity"),
            output_field=AmountField(),
        )
        sums = rows.values_list("asset_id").annotate(total=Sum(signed), at=Max("occurred_at"))
        found = list(sums)
        return {a: total for a, total, _ in found}, {a: at for a, _, at in found}
    totals: dict[int, Decimal] = defaultdict(Decimal)
    latest: dict[int, datetime] = {}
    values = rows.values_list("asset_id", "kind", "quantity", "occurred_at")
    for asset_id, kind, quantity, occurred_at in values.iterator(chunk_size=5000):
        totals[asset_id] += quantity if kind in INFLOW_KINDS else -quantity
        if asset_id not in latest or occurred_at > latest[asset_id]:
            latest[asset_id] = occurred_at
    return totals, latest
