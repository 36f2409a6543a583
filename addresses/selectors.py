from __future__ import annotations

from django.db.models import Q, QuerySet

from addresses.chains import SUPPORTED
from addresses.models import Address, AddressBalance, AddressFetchState, AddressTransaction
from core.exceptions import NotFound
from currencies.models import Currency
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


def address_list_with_state(*, portfolio: Portfolio) -> list[Address]:
    """Every address of the portfolio (rejected ones too) with its currency and fetch state.
    One query."""
    return list(
        Address.objects.filter(portfolio=portfolio).select_related("currency", "fetch_state")
    )


def address_with_state(*, address: Address) -> Address:
    """The address (already owner-checked) with its fetch state loaded afresh: a fetch that
    just ran in this request (no broker) is seen."""
    address.fetch_state = AddressFetchState.objects.filter(address=address).first()
    return address


def address_currencies() -> list[Currency]:
    """The currencies an address can be added for: the chains with validation (in the order
    of ``addresses.chains.SUPPORTED``), then Ethereum tokens by code. One query."""
    order = list(SUPPORTED)
    rows = Currency.objects.filter(Q(code__in=order) | Q(is_ethereum_token=True)).only(
        "code", "title", "is_ethereum_token"
    )
    coins = sorted(
        (c for c in rows if not c.is_ethereum_token),
        key=lambda c: order.index(c.code) if c.code in order else 99,
    )
    return coins + [c for c in rows if c.is_ethereum_token]
