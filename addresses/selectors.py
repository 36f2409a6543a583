from __future__ import annotations

from django.db.models import QuerySet

from addresses.models import Address
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
