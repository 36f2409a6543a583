from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from addresses.models import Address
from addresses.sync import REFRESH_INTERVAL, address_sync
from core.tasks import clear_enqueued, enqueue_once, fetch_due
from portfolios.history_fetch import portfolio_price_history_ensure

FETCH_FLAG_SECONDS = 300


def fetch_key(address_id: int) -> str:
    return f"address:{address_id}"


def address_fetch_enqueue(address_id: int) -> bool:
    """Enqueue a fetch unless one is already queued or running (any process)."""
    return enqueue_once(fetch_key(address_id), FETCH_FLAG_SECONDS, address_fetch, address_id)


@shared_task(name="addresses.tasks.address_fetch", ignore_result=True)
def address_fetch(address_id: int) -> None:
    try:
        portfolio_id = (
            Address.objects.filter(pk=address_id).values_list("portfolio_id", flat=True).first()
        )
        if portfolio_id is not None:
            result = address_sync(address_id=address_id)
            if result.new_transactions:  # the held period of its currency is known (again)
                portfolio_price_history_ensure(portfolio_id=portfolio_id)
    finally:
        clear_enqueued(fetch_key(address_id))


@shared_task(name="addresses.tasks.addresses_refresh_stale", ignore_result=True)
def addresses_refresh_stale() -> int:
    """Beat: fetch every valid address whose data is older than the refresh interval and whose
    backoff (after failures) has passed."""
    due = (
        Address.objects.filter(valid=True)
        .filter(fetch_due(timezone.now(), REFRESH_INTERVAL))
        .values_list("pk", flat=True)
    )
    return sum(address_fetch_enqueue(pk) for pk in due.iterator())
