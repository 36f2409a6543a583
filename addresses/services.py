"""Writes for addresses: every address is checked with its chain's real checksum rules."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from addresses.chains import validate_address
from addresses.models import Address, AddressBalance, AddressFetchState, AddressTransaction
from core.exceptions import ValidationFailed
from currencies.models import Currency
from currencies.validation import resolve_currency
from portfolios.models import Portfolio
from portfolios.services import portfolio_lock


def _checked(address: str, currency: Currency) -> str:
    return validate_address(currency.code, address, is_ethereum_token=currency.is_ethereum_token)


def _already_there(address: str, currency: Currency) -> ValidationFailed:
    return ValidationFailed(f"address {address} ({currency.code}) is already in this portfolio")


def _check_unique(
    portfolio: Portfolio, address: str, currency: Currency, exclude_id: int | None = None
) -> None:
    """Asked with the portfolio locked (``portfolio_lock``): two adds of one address at once
    take turns, and the second is told the first is there."""
    clash = Address.objects.filter(portfolio=portfolio, address=address, currency=currency)
    if exclude_id is not None:
        clash = clash.exclude(pk=exclude_id)
    if clash.exists():
        raise _already_there(address, currency)


@transaction.atomic
def address_create(
    *, portfolio: Portfolio, title: str | None, address: str, currency_code: str, source: str
) -> Address:
    currency = resolve_currency(currency_code, user=portfolio.user)
    normalized = _checked(address, currency)
    portfolio_lock(portfolio)
    _check_unique(portfolio, normalized, currency)
    try:
        with transaction.atomic():  # a savepoint: the constraint is the last word
            return Address.objects.create(
                portfolio=portfolio,
                title=title or "",
                address=normalized,
                currency=currency,
                source=source,
            )
    except IntegrityError:
        raise _already_there(normalized, currency) from None


@transaction.atomic
def address_update(
    *,
    address: Address,
    title: str | None = None,
    new_address: str | None = None,
    currency_code: str | None = None,
) -> Address:
    currency = (
        resolve_currency(currency_code, user=address.portfolio.user)
        if currency_code is not None
        else address.currency
    )
    if title is not None:
        address.title = title
    if new_address is not None or currency.pk != address.currency_id:
        normalized = _checked(new_address if new_address is not None else address.address, currency)
        if normalized != address.address or currency.pk != address.currency_id:
            portfolio_lock(address.portfolio)
            _check_unique(address.portfolio, normalized, currency, exclude_id=address.pk)
            address.address = normalized
            address.currency = currency
            address.valid = True
            address.txns_last_updated = None
            _forget_fetched_data(address)
    address.save()
    return address


def _forget_fetched_data(address: Address) -> None:
    """Another address (or currency) is another history: what was fetched for the old one must
    not be answered as the new one's. The ledger's mirror follows on the next sync."""
    AddressFetchState.objects.filter(address=address).delete()
    AddressBalance.objects.filter(address=address).delete()
    AddressTransaction.objects.filter(address=address).delete()


@transaction.atomic
def address_delete(*, address: Address) -> None:
    address.delete()
