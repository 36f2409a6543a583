"""Does an address's stored history account for the balance its chain reports?

After a sync whose history is complete, the confirmed transactions' deltas (each already net of
the fee the address paid: see ``AddressTransaction``) must add up to the explorer's confirmed
balance. When they do not, something moved the balance that no list showed (ether paid by a
contract the explorer does not list, a beacon-chain withdrawal, a transaction the explorer has
not indexed yet): the difference is stored on the fetch state and shown, never dropped.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.db.models import Sum

from addresses.models import Address, AddressTransaction
from core.money import format_amount


def history_balance(*, address: Address) -> Decimal:
    """What the address's confirmed transactions in its own currency add up to, exactly."""
    rows = AddressTransaction.objects.filter(
        address=address, currency_id=address.currency_id, confirmed=True
    )
    if connection.vendor == "postgresql":  # numeric: the database sums exactly
        return rows.aggregate(total=Sum("delta"))["total"] or Decimal(0)
    # SQLite would sum in floating point: add the stored amounts up here instead.
    return sum(rows.values_list("delta", flat=True).iterator(chunk_size=5000), Decimal(0))


def reconcile(
    *, history: Decimal, chain: Decimal | None, complete: bool
) -> tuple[Decimal | None, Decimal | None]:
    """``(history_balance, unexplained)`` to store: nothing is judged while the history is
    incomplete or the chain gave no balance; ``unexplained`` is None when they agree."""
    if not complete or chain is None:
        return None, None
    gap = chain - history
    return history, (gap if gap != 0 else None)


def discrepancy_sentence(*, history: Decimal, unexplained: Decimal, code: str) -> str:
    unit = code.upper()
    return (
        f"History accounts for {format_amount(history)} {unit}, the chain reports "
        f"{format_amount(history + unexplained)} {unit}; {format_amount(unexplained)} {unit} "
        "unexplained."
    )
