"""The async contract for one address's fetched data (API.md "Async semantics")."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from addresses.models import Address, AddressFetchState
from addresses.sync import REFRESH_INTERVAL
from core.exceptions import NotReady

FIRST_FETCH_SECONDS = 5


def address_data_ready(address: Address) -> None:
    """Never fetched: enqueue a fetch and raise NotReady. Stale: enqueue a refresh and let the
    caller answer the stored data. A failing address waits for its backoff. An address its
    explorer rejected (``valid`` false) is not fetched again: what is stored is all there is."""
    from addresses.tasks import address_fetch_enqueue

    if not address.valid:
        return
    now = timezone.now()
    state = AddressFetchState.objects.filter(address=address).first()
    waiting = (
        state.next_retry_at if state and state.next_retry_at and state.next_retry_at > now else None
    )
    if state is None or state.balances_fetched_at is None:
        if not waiting:
            address_fetch_enqueue(address.pk)
        raise NotReady(try_again_at=waiting or now + timedelta(seconds=FIRST_FETCH_SECONDS))
    if state.balances_fetched_at < now - REFRESH_INTERVAL and not waiting:
        address_fetch_enqueue(address.pk)
