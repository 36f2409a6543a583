"""``core.db.atomic_with_retry`` on PostgreSQL: a real deadlock between two threads (each its
own connection) ends with both transactions done, the loser run again."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from core.db import atomic_with_retry
from core.exceptions import Unavailable
from currencies.models import Currency

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: two connections that deadlock")


def deadlocking_pair(attempts: int) -> tuple[list[int], list[object]]:
    """Two threads lock btc and eth in opposite orders, meeting in the middle on their first
    try: PostgreSQL aborts one of them. Returns the attempts each made and what each ended in."""
    ids = [Currency.objects.get(code="btc").pk, Currency.objects.get(code="eth").pk]
    middle = threading.Barrier(2)
    tries = [0, 0]

    def run(side: int) -> object:
        first, second = ids if side == 0 else ids[::-1]

        def work() -> str:
            tries[side] += 1
            Currency.objects.select_for_update().get(pk=first)
            if tries[side] == 1:
                middle.wait(timeout=10)
            Currency.objects.select_for_update().get(pk=second)
            return f"done {side}"

        try:
            return atomic_with_retry(work, attempts=attempts)
        except Unavailable as exc:
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, [0, 1]))
    return tries, results


def test_the_loser_of_a_deadlock_is_run_again(postgresql):
    tries, results = deadlocking_pair(attempts=3)

    assert results == ["done 0", "done 1"]
    assert sorted(tries) == [1, 2]


def test_a_loser_out_of_attempts_is_told_nothing_was_stored(postgresql):
    tries, results = deadlocking_pair(attempts=1)

    assert sorted(tries) == [1, 1]
    lost = [r for r in results if isinstance(r, Unavailable)]
    assert len(lost) == 1 and "nothing was stored" in str(lost[0])
    assert "done 0" in results or "done 1" in results
