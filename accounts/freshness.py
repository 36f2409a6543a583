"""The async contract for one account's fetched data (API.md "Async semantics")."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import Account, AccountFetchState
from accounts.sync import REFRESH_INTERVAL
from core.exceptions import NotReady

FIRST_FETCH_SECONDS = 10


def account_data_ready(account: Account) -> None:
    """Never fetched: enqueue a fetch and raise NotReady. Stale: enqueue a refresh and let the
    caller answer the stored data. A failing account waits for its backoff. An account whose key
    the exchange refused (``valid`` false) is not fetched again until its user edits it: what is
    stored is all there is."""
    from accounts.tasks import account_fetch_enqueue

    if not account.valid:
        return
    now = timezone.now()
    state = AccountFetchState.objects.filter(account=account).first()
    waiting = (
        state.next_retry_at if state and state.next_retry_at and state.next_retry_at > now else None
    )
    if state is None or state.balances_fetched_at is None:
        if not waiting:
            account_fetch_enqueue(account.pk)
        raise NotReady(try_again_at=waiting or now + timedelta(seconds=FIRST_FETCH_SECONDS))
    if state.balances_fetched_at < now - REFRESH_INTERVAL and not waiting:
        account_fetch_enqueue(account.pk)
