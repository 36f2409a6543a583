"""Which background fetches are running right now, for the "refresh now" progress page.

An enqueued fetch is known by its "enqueued" flag (``core.tasks.enqueue_once``), but that flag
says nothing about whether a worker has started it. Celery's own signals do: a fetch of an
address or of the prices marks itself "running" in the shared cache when a worker (or the
in-process runner) starts it, and clears the mark when it ends. Observing only: the tasks
themselves are untouched.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.utils import timezone

RUNNING_SECONDS = 600  # a mark outlives no fetch (their time limits are shorter)
ADDRESS_TASK = "addresses.tasks.address_fetch"
PRICES_TASK = "prices.tasks.prices_refresh_spot"


def running_key(task_name: str, args: Any) -> str | None:
    if task_name == ADDRESS_TASK and args:
        return f"dashboard:running:address:{args[0]}"
    if task_name == PRICES_TASK:
        return "dashboard:running:prices"
    return None


def address_running_key(address_id: int) -> str:
    return f"dashboard:running:address:{address_id}"


PRICES_RUNNING_KEY = "dashboard:running:prices"


def task_started(sender=None, task=None, args=None, **kwargs) -> None:
    key = running_key(getattr(task or sender, "name", ""), args)
    if key:
        cache.set(key, timezone.now().isoformat(), RUNNING_SECONDS)


def task_ended(sender=None, task=None, args=None, **kwargs) -> None:
    key = running_key(getattr(task or sender, "name", ""), args)
    if key:
        cache.delete(key)


def connect() -> None:
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(task_started, dispatch_uid="dashboard.task_started")
    task_postrun.connect(task_ended, dispatch_uid="dashboard.task_ended")
