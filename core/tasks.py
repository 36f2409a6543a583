"""Enqueueing background work, and the worker heartbeat that /api/status reads."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

HEARTBEAT_KEY = "worker:heartbeat"
HEARTBEAT_MAX_AGE = timedelta(minutes=3)

_pool: ThreadPoolExecutor | None = None


def _in_process(task, args: tuple, kwargs: dict) -> None:
    try:
        task.apply(args=args, kwargs=kwargs, throw=False)
    except Exception:  # the task records its own failure; this only keeps the thread alive
        logger.exception("in-process task %s failed", task.name)
    finally:
        close_old_connections()


def enqueue(task, *args: Any, **kwargs: Any) -> None:
    """Run ``task`` in the background once the current transaction commits: on the Celery
    workers when there is a broker, else on a small in-process thread pool (embedded default)."""

    def send() -> None:
        global _pool
        if settings.TASKS_SYNC:
            # Synchronous mode is for tests and benchmarks: a task's exception reaches the
            # caller, so a broken task fails the test instead of passing unnoticed.
            task.apply(args=args, kwargs=kwargs, throw=True)
        elif settings.TASKS_IN_PROCESS:
            if _pool is None:
                _pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tasks")
            try:
                _pool.submit(_in_process, task, args, kwargs)
            except RuntimeError:
                # The interpreter is exiting (a management command finishing while its tasks
                # queue more work): run it here rather than lose it.
                _in_process(task, args, kwargs)
        else:
            task.apply_async(args=args, kwargs=kwargs)

    transaction.on_commit(send)


def enqueue_once(key: str, ttl_seconds: int, task, *args: Any, **kwargs: Any) -> bool:
    """Enqueue unless the same work was enqueued within ``ttl_seconds`` by any process. The flag
    lives in the shared cache (Redis, or the database cache), so two web processes or many
    concurrent requests enqueue one fetch. The task clears the flag when it finishes."""
    if not cache.add(f"enqueued:{key}", timezone.now().isoformat(), ttl_seconds):
        return False
    enqueue(task, *args, **kwargs)
    return True


def clear_enqueued(key: str) -> None:
    cache.delete(f"enqueued:{key}")


@shared_task(name="core.tasks.worker_heartbeat", ignore_result=True)
def worker_heartbeat() -> None:
    cache.set(
        HEARTBEAT_KEY, timezone.now().isoformat(), int(HEARTBEAT_MAX_AGE.total_seconds()) * 10
    )
