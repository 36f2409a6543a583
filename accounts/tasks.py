from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from accounts.models import Account
from accounts.sync import REFRESH_INTERVAL, account_sync
from core.tasks import clear_enqueued, enqueue_once, fetch_due
from portfolios.history_fetch import portfolio_price_history_ensure

FETCH_FLAG_SECONDS = 600


def fetch_key(account_id: int) -> str:
    return f"account:{account_id}"


def account_fetch_enqueue(account_id: int) -> bool:
    """Enqueue a fetch unless one is already queued or running (any process)."""
    return enqueue_once(fetch_key(account_id), FETCH_FLAG_SECONDS, account_fetch, account_id)


@shared_task(name="accounts.tasks.account_fetch", ignore_result=True)
def account_fetch(account_id: int) -> None:
    try:
        portfolio_id = (
            Account.objects.filter(pk=account_id).values_list("portfolio_id", flat=True).first()
        )
        if portfolio_id is not None:
            result = account_sync(account_id=account_id)
            if result.new_movements:
                portfolio_price_history_ensure(portfolio_id=portfolio_id)
    finally:
        clear_enqueued(fetch_key(account_id))


@shared_task(name="accounts.tasks.accounts_refresh_stale", ignore_result=True)
def accounts_refresh_stale() -> int:
    """Beat: fetch every valid account whose data is older than the refresh interval and whose
    backoff (after failures) has passed. Invalid accounts wait for their user."""
    due = (
        Account.objects.filter(valid=True)
        .filter(fetch_due(timezone.now(), REFRESH_INTERVAL))
        .values_list("pk", flat=True)
    )
    return sum(account_fetch_enqueue(pk) for pk in due.iterator())
