from __future__ import annotations

from django.db.models import QuerySet

from addresses.models import Address, AddressBalance, AddressTransaction
from core.exceptions import NotFound
from portfolios.models import Portfolio


def address_list(*, portfolio: Portfolio) -> QuerySet[Address]:
    return Address.objects.filter(portfolio=portfolio).select_related("currency")


def address_get(*, portfolio: Portfolio, address_id: int | str) -> Address:
    """An address of a portfolio the caller already owns, or NotFound."""
    try:
        pk = int(address_id)
    except (TypeError, ValueError):
        raise NotFound("no such address")
    address = address_list(portfolio=portfolio).filter(pk=pk).first()
    if address is None:
        raise NotFound("no such address")
    return address


def address_balances(*, address: Address) -> QuerySet[AddressBalance]:
    return AddressBalance.objects.filter(address=address).select_related(
        "currency", "address__fetch_state"
    )


def address_transactions(*, address: Address) -> QuerySet[AddressTransaction]:
    """Newest first (unconfirmed ones carry the time they were first seen)."""
    return (
        AddressTransaction.objects.filter(address=address)
        .select_related("currency")
        .order_by("-txn_at", "-id")
    )


def address_currency_codes_in_use() -> set[str]:
    """The currency of every address of any portfolio, for the price refresh (registered in
    ``AddressesConfig.ready``)."""
    return set(Address.objects.values_list("currency__code", flat=True).distinct())
