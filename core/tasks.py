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

from core.requestid import bound_request_id, current_request_id, set_request_id

logger = logging.getLogger(__name__)

HEARTBEAT_KEY = "worker:heartbeat"
HEARTBEAT_MAX_AGE = timedelta(minutes=3)

_pool: ThreadPoolExecutor | None = None


# The message header that carries the enqueuing request's id to the worker (see task_started).
REQUEST_ID_HEADER = "request_id"


def _in_process(task, args: tuple, kwargs: dict, request_id: str | None = None) -> None:
    with bound_request_id(request_id):
        try:
            task.apply(args=args, kwargs=kwargs, throw=False)
        except Exception:  # the task records its own failure; this only keeps the thread alive
            logger.exception("in-process task %s failed", task.name)
        finally:
            close_old_connections()


def enqueue(task, *args: Any, **kwargs: Any) -> None:
    """Run ``task`` in the background once the current transaction commits: on the Celery
    workers when there is a broker, else on a small in-process thread pool (embedded default).
    The task's log lines carry the id of the request that enqueued it."""
    request_id = current_request_id()

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
                _pool.submit(_in_process, task, args, kwargs, request_id)
            except RuntimeError:
                # The interpreter is exiting (a management command finishing while its tasks
                # queue more work): run it here rather than lose it.
                _in_process(task, args, kwargs, request_id)
        else:
            headers = {REQUEST_ID_HEADER: request_id} if request_id else None
            task.apply_async(args=args, kwargs=kwargs, headers=headers)

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


def task_started(task=None, **_kwargs: Any) -> None:
    """Celery ``task_prerun`` on a worker: a task a request enqueued logs under that request's
    id (a custom message header becomes an attribute of ``task.request``). A task run in-process
    (``apply``, eager) already runs under the id its caller bound."""
    request = getattr(task, "request", None)
    if request is None or request.is_eager:
        return
    request_id = getattr(request, REQUEST_ID_HEADER, None)
    set_request_id(request_id if isinstance(request_id, str) else None)


def task_finished(task=None, **_kwargs: Any) -> None:
    """Celery ``task_postrun`` on a worker: its own lines are outside any request again."""
    request = getattr(task, "request", None)
    if request is None or request.is_eager:
        return
    set_request_id(None)


@shared_task(name="core.tasks.worker_heartbeat", ignore_result=True)
def worker_heartbeat() -> None:
    cache.set(
        HEARTBEAT_KEY, timezone.now().isoformat(), int(HEARTBEAT_MAX_AGE.total_seconds()) * 10
    )
