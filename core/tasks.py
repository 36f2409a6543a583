"""Enqueueing background work, the "already queued" flags, the outbox relay task and the worker
heartbeat that /api/status reads.

With a broker, ``enqueue`` goes through the transactional outbox (``core.outbox``): the task is
stored with the caller's data and published after the commit, so a broker outage delays the
work but never loses it, and never fails the request that stored the data.

An "already queued" flag (``enqueue_once``) must not outlive the task it guards. While the task
waits in the queue the flag lives for the caller's ``ttl_seconds``; once a worker starts the
task the flag becomes a lease of ``TASK_FLAG_LEASE_SECONDS`` that the running task renews
(a thread beside it) until it ends. A worker killed in the middle of a fetch stops renewing,
and the flag is gone within one lease: the next request enqueues the fetch again.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone

from core.outbox import outbox_add, outbox_relay, outbox_send
from core.requestid import bound_request_id, current_request_id, set_request_id

logger = logging.getLogger(__name__)

HEARTBEAT_KEY = "worker:heartbeat"
HEARTBEAT_MAX_AGE = timedelta(minutes=3)
# Message headers that name the flag a task runs under and how long it lasts after the task.
FLAG_HEADER = "enqueued_flag"
FLAG_TTL_HEADER = "enqueued_flag_ttl"
# The message header that carries the enqueuing request's id to the worker (see task_started).
REQUEST_ID_HEADER = "request_id"

_pool: ThreadPoolExecutor | None = None


def _in_process(task, args: tuple, kwargs: dict, headers: dict) -> None:
    with bound_request_id(headers.get(REQUEST_ID_HEADER)):
        try:
            task.apply(args=args, kwargs=kwargs, throw=False, headers=headers)
        except Exception:  # the task records its own failure; this only keeps the thread alive
            logger.exception("in-process task %s failed", task.name)
        finally:
            close_old_connections()


def _enqueue(task, args: tuple, kwargs: dict, headers: dict) -> None:
    # The task's log lines carry the id of the request that enqueued it.
    request_id = current_request_id()
    if request_id:
        headers = {**headers, REQUEST_ID_HEADER: request_id}
    if settings.TASKS_SYNC:
        # Synchronous mode is for tests and benchmarks: a task's exception reaches the
        # caller, so a broken task fails the test instead of passing unnoticed.
        transaction.on_commit(
            lambda: task.apply(args=args, kwargs=kwargs, throw=True, headers=headers)
        )
    elif settings.TASKS_IN_PROCESS:

        def submit() -> None:
            global _pool
            if _pool is None:
                _pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tasks")
            try:
                _pool.submit(_in_process, task, args, kwargs, headers)
            except RuntimeError:
                # The interpreter is exiting (a management command finishing while its tasks
                # queue more work): run it here rather than lose it.
                _in_process(task, args, kwargs, headers)

        transaction.on_commit(submit)
    else:
        message = outbox_add(task=task.name, args=list(args), kwargs=kwargs, headers=headers)
        transaction.on_commit(lambda: outbox_send(message))


def enqueue(task, *args: Any, **kwargs: Any) -> None:
    """Run ``task`` in the background once the current transaction commits: on the Celery
    workers when there is a broker (through the outbox), else on a small in-process thread
    pool (embedded default)."""
    _enqueue(task, args, kwargs, {})


def flag_key(key: str) -> str:
    return f"enqueued:{key}"


def enqueue_once(key: str, ttl_seconds: int, task, *args: Any, **kwargs: Any) -> bool:
    """Enqueue unless the same work was enqueued within ``ttl_seconds`` by any process. The flag
    lives in the shared cache (Redis, or the database cache), so two web processes or many
    concurrent requests enqueue one fetch. The task clears the flag when it finishes (or keeps
    it, renewed for ``ttl_seconds``, when the flag also spaces out repeats of the work); while
    it runs the flag is a lease (see the module docstring)."""
    if not cache.add(flag_key(key), timezone.now().isoformat(), ttl_seconds):
        return False
    _enqueue(task, args, kwargs, {FLAG_HEADER: key, FLAG_TTL_HEADER: str(int(ttl_seconds))})
    return True


def fetch_due(now: datetime, interval: timedelta) -> Q:
    """The rows (addresses, accounts: anything with a ``fetch_state`` holding
    ``balances_fetched_at`` and ``next_retry_at``) whose data is older than ``interval``, or was
    never fetched, and whose backoff after failures has passed."""
    return (
        Q(fetch_state__isnull=True)
        | Q(fetch_state__balances_fetched_at__isnull=True)
        | Q(fetch_state__balances_fetched_at__lt=now - interval)
    ) & (
        Q(fetch_state__isnull=True)
        | Q(fetch_state__next_retry_at__isnull=True)
        | Q(fetch_state__next_retry_at__lte=now)
    )


def clear_enqueued(key: str) -> None:
    cache.delete(flag_key(key))


# --- the running task's lease on its flag ------------------------------------------------------


def lease_seconds() -> int:
    return int(getattr(settings, "TASK_FLAG_LEASE_SECONDS", 30))


def _header(task, name: str) -> Any:
    request = getattr(task, "request", None)
    value = getattr(request, name, None)  # a worker's request carries message headers as such
    if value is None:  # Task.apply (in-process and synchronous runs) keeps them apart
        value = (getattr(request, "headers", None) or {}).get(name)
    return value


class _Lease:
    """Renews one running task's flag every third of a lease while the flag is still its own
    (a task may clear its flag early, so that a change during its run enqueues another)."""

    def __init__(self, key: str, mark: str, ttl: int):
        self.key, self.mark, self.ttl = key, mark, ttl
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"lease {key}", daemon=True)

    def start(self) -> None:
        cache.set(flag_key(self.key), self.mark, lease_seconds())
        self.thread.start()

    def _run(self) -> None:
        try:
            while not self.stopped.wait(max(lease_seconds() / 3, 0.2)):
                if cache.get(flag_key(self.key)) != self.mark:
                    return
                cache.touch(flag_key(self.key), lease_seconds())
        except Exception:  # the cache is down: the lease runs out by itself, as it should
            logger.warning("could not renew the flag of %s", self.key, exc_info=True)
        finally:
            close_old_connections()

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)
        if cache.get(flag_key(self.key)) == self.mark:
            # The task kept its flag on purpose (it spaces out repeats): the full lifetime
            # again, from now.
            cache.set(flag_key(self.key), timezone.now().isoformat(), self.ttl)


_leases: dict[str, _Lease] = {}
_leases_lock = threading.Lock()


def task_flag_lease_start(sender=None, task_id=None, task=None, **_kwargs) -> None:
    """``task_prerun``: a task enqueued with a flag holds it as a lease while it runs."""
    task = task or sender
    key = _header(task, FLAG_HEADER)
    if not key or not task_id:
        return
    ttl = int(_header(task, FLAG_TTL_HEADER) or lease_seconds())
    lease = _Lease(str(key), f"running:{task_id}", ttl)
    try:
        lease.start()
    except Exception:
        logger.warning("could not take the flag of %s", key, exc_info=True)
        return
    with _leases_lock:
        _leases[task_id] = lease


def task_flag_lease_end(sender=None, task_id=None, **_kwargs) -> None:
    """``task_postrun``: the task ended (done or failed): stop renewing its flag."""
    with _leases_lock:
        lease = _leases.pop(task_id, None) if task_id else None
    if lease is None:
        return
    try:
        lease.stop()
    except Exception:
        logger.warning("could not release the flag of %s", lease.key, exc_info=True)


def connect_signals() -> None:
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(task_flag_lease_start, dispatch_uid="core.tasks.flag_lease_start")
    task_postrun.connect(task_flag_lease_end, dispatch_uid="core.tasks.flag_lease_end")


# --- the request id of the request that enqueued a task ----------------------------------------


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


# --- periodic ------------------------------------------------------------------------------------


@shared_task(name="core.tasks.worker_heartbeat", ignore_result=True)
def worker_heartbeat() -> None:
    cache.set(
        HEARTBEAT_KEY, timezone.now().isoformat(), int(HEARTBEAT_MAX_AGE.total_seconds()) * 10
    )


@shared_task(name="core.tasks.outbox_relay", ignore_result=True)
def outbox_relay_task() -> int:
    """Beat: send what waits in the outbox (after a broker outage)."""
    return outbox_relay().sent
