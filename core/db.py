"""Database helpers every app shares: telling a transaction that lost a race (a deadlock or a
serialization failure, which PostgreSQL resolves by aborting one side) from a real error, and
running a transaction again when it lost one."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError, connection, transaction

from core.exceptions import Unavailable

logger = logging.getLogger(__name__)

T = TypeVar("T")

# SQLSTATE of serialization_failure and deadlock_detected: the transaction was aborted only
# because another one ran at the same moment; the same work done again can succeed.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
CONFLICT_ATTEMPTS = 3
# Before running again, wait a little (random, growing): the winner needs a moment to take the
# locks the loser released, and an immediate retry would take them back first.
RETRY_PAUSE = (0.05, 0.2)  # seconds, times the attempt number


def lost_race(exc: BaseException) -> bool:
    """Whether ``exc`` (Django's wrapper or the driver's own error) is a deadlock or a
    serialization failure."""
    for error in (exc, exc.__cause__):
        if getattr(error, "sqlstate", None) in RETRYABLE_SQLSTATES:
            return True
    return False


def atomic_with_retry(
    work: Callable[[], T],
    *,
    attempts: int = CONFLICT_ATTEMPTS,
    before_retry: Callable[[], None] | None = None,
) -> T:
    """``work()`` in its own transaction, run again (at most ``attempts`` times in all) when the
    database aborted it as the loser of a deadlock or a serialization failure. ``before_retry``
    resets what ``work`` consumed (a stream to rewind). Inside an outer transaction a retry
    cannot help (the outer one keeps its locks), so there the error is raised at once. When
    every attempt lost, the answer is ``Unavailable`` (503): nothing was stored."""
    if connection.in_atomic_block:
        with transaction.atomic():
            return work()
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic():
                return work()
        except OperationalError as exc:
            if not lost_race(exc):
                raise
            logger.warning("transaction lost a race (attempt %d of %d): %s", attempt, attempts, exc)
            if attempt == attempts:
                raise Unavailable(
                    "the database was busy with another change to the same data; nothing was "
                    "stored, try again"
                ) from exc
            time.sleep(random.uniform(*RETRY_PAUSE) * attempt)  # noqa: S311 - jitter, not security
            if before_retry is not None:
                before_retry()
    raise AssertionError("unreachable")
