"""Fetching an address's balance and history from its chain's explorer and storing them.

A fetch keeps the last good data when it fails: the error, the number of failures in a row and
the next retry time (exponential backoff, or the provider's Retry-After) go on the address's
fetch state, which the admin and the dashboard show. An explorer that rejects the address marks
it ``valid = False`` and stops retrying it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from addresses.chains import chain_for
from addresses.explorers.base import ChainTransaction, Explorer, explorer_for
from addresses.models import Address, AddressBalance, AddressFetchState, AddressTransaction
from addresses.reconcile import history_balance, reconcile
from core.exceptions import AddressRejected, ProviderError
from currencies.models import Currency

logger = logging.getLogger(__name__)

# Sent after new transactions of an address were stored (the ledger follows them).
address_transactions_synced = Signal()

REFRESH_INTERVAL = timedelta(seconds=getattr(settings, "ADDRESS_REFRESH_SECONDS", 600))
BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 6 * 3600


@dataclass(frozen=True)
class SyncResult:
    address_id: int
    ok: bool
    new_transactions: int
    error: str = ""
    retry_at: datetime | None = None


def explorer_for_address(address: Address) -> Explorer:
    currency = address.currency
    chain = chain_for(currency.code, is_ethereum_token=currency.is_ethereum_token)
    if chain is None:
        raise ProviderError(f"no explorer for currency {currency.code}", retryable=False)
    if currency.is_ethereum_token:
        return explorer_for(
            chain,
            token_contract=currency.ethereum_contract_address,
            token_decimals=currency.decimals,
        )
    return explorer_for(chain)


def backoff(failures: int, retry_after: float | None = None) -> timedelta:
    seconds = min(BACKOFF_BASE_SECONDS * 2 ** max(0, failures - 1), BACKOFF_MAX_SECONDS)
    if retry_after:
        seconds = max(seconds, retry_after)
    return timedelta(seconds=seconds)


def address_sync(*, address_id: int, explorer: Explorer | None = None) -> SyncResult:
    """Fetch balance and new transactions of one address and store them."""
    address = Address.objects.select_related("currency").get(pk=address_id)
    state, _ = AddressFetchState.objects.get_or_create(address=address)
    started = time.monotonic()
    now = timezone.now()
    try:
        explorer = explorer or explorer_for_address(address)
        balances = explorer.balances(address.address)
        page = explorer.transactions(address.address, since_cursor=state.sync_cursor or None)
    except ProviderError as exc:
        return _record_failure(address, state, exc, now, time.monotonic() - started)

    with transaction.atomic():
        for balance in balances:
            AddressBalance.objects.update_or_create(
                address=address,
                currency=address.currency,
                defaults={
                    "balance": balance.balance,
                    "transactions": balance.tx_count,
                    "sent": balance.sent,
                    "received": balance.received,
                    "source": balance.source,
                },
            )
        new, changed = _store_transactions(address, address.currency, page.transactions, now)
        said_before = state.unexplained
        state.history_balance, state.unexplained = reconcile(
            history=history_balance(address=address),
            chain=balances[-1].balance if balances else None,
            complete=page.complete,
        )
        if state.unexplained is not None and state.unexplained != said_before:
            logger.warning("address %s: %s", address.pk, state.discrepancy_sentence())
        state.balances_fetched_at = now
        state.sync_cursor = page.cursor or state.sync_cursor
        state.history_complete = page.complete
        state.last_attempt_at = now
        state.last_duration_seconds = time.monotonic() - started
        state.error, state.error_at, state.failures, state.next_retry_at = "", None, 0, None
        state.save()
        Address.objects.filter(pk=address.pk).update(txns_last_updated=now, valid=True)
        _touch_portfolio(address, now)
    if new or changed:  # a confirmation changes the ledger's copy too
        address_transactions_synced.send(sender=Address, address_id=address.pk)
    return SyncResult(address_id=address.pk, ok=True, new_transactions=new)


def _store_transactions(
    address: Address, currency: Currency, rows: list[ChainTransaction], now: datetime
) -> tuple[int, int]:
    """Upsert by chain key; an unconfirmed transaction is stored with the time it was first
    seen and gets its block time when it confirms. Returns (new keys, changed rows)."""
    if not rows:
        return 0, 0
    existing = {
        t.key: t
        for t in AddressTransaction.objects.filter(address=address, key__in=[r.key for r in rows])
    }
    created: list[AddressTransaction] = []
    changed = 0
    for row in rows:
        current = existing.get(row.key)
        if current is None:
            created.append(
                AddressTransaction(
                    address=address,
                    currency=currency,
                    key=row.key,
                    reference=row.txid,
                    delta=row.delta,
                    fee=row.fee,
                    txn_at=row.occurred_at or now,
                    confirmed=row.confirmed,
                    block_height=row.block_height,
                    source=row.source,
                )
            )
        elif (current.confirmed, current.delta, current.fee) != (row.confirmed, row.delta, row.fee):
            current.confirmed = row.confirmed
            current.delta, current.fee = row.delta, row.fee
            current.block_height = row.block_height
            if row.occurred_at:
                current.txn_at = row.occurred_at
            current.save()
            changed += 1
    AddressTransaction.objects.bulk_create(created, batch_size=1000)
    return len(created), changed


def _record_failure(
    address: Address, state: AddressFetchState, exc: ProviderError, now: datetime, took: float
) -> SyncResult:
    state.failures += 1
    state.error = str(exc)[:2000]
    state.error_at = now
    state.last_attempt_at = now
    state.last_duration_seconds = took
    if exc.retryable:
        state.next_retry_at = now + backoff(state.failures, exc.retry_after)
    elif isinstance(exc, AddressRejected):
        state.next_retry_at = None
        Address.objects.filter(pk=address.pk).update(valid=False)
    else:
        # A refusal that is not about the address (a bad API key, a malformed answer): an
        # operator must act; try again rarely rather than never.
        state.next_retry_at = now + timedelta(seconds=BACKOFF_MAX_SECONDS)
    state.save()
    logger.warning(
        "fetch of address %s failed (%s): %s",
        address.pk,
        "will retry" if exc.retryable else "final",
        exc,
    )
    return SyncResult(
        address_id=address.pk,
        ok=False,
        new_transactions=0,
        error=state.error,
        retry_at=state.next_retry_at,
    )


def _touch_portfolio(address: Address, now: datetime) -> None:
    from portfolios.models import Portfolio

    Portfolio.objects.filter(pk=address.portfolio_id).update(
        balances_last_updated=now, histories_last_updated=now
    )
