"""The parser runs a few batches ahead in a thread: same batches, same errors, bounded."""

from __future__ import annotations

import threading
import time

import pytest

from ingest.readahead import batches_ahead


def test_same_batches_as_reading_in_line():
    assert list(batches_ahead(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(batches_ahead(range(6), 3)) == [[0, 1, 2], [3, 4, 5]]
    assert list(batches_ahead([], 3)) == []


def test_an_error_comes_after_the_batches_before_it():
    def items():
        yield from range(5)
        raise ValueError("line 7: bad")

    got = []
    with pytest.raises(ValueError, match="line 7: bad"):
        for batch in batches_ahead(items(), 2):
            got.append(batch)
    assert got == [[0, 1], [2, 3]]


def test_stays_at_most_depth_batches_ahead_and_stops_when_closed():
    produced = []

    def items():
        for n in range(1000):
            produced.append(n)
            yield n

    batches = batches_ahead(items(), 10, depth=2)
    assert next(batches) == list(range(10))
    time.sleep(0.2)
    assert len(produced) <= 10 * 4 + 1  # the one taken, two queued, one being filled
    batches.close()
    assert not any(t.name == "statement-parser" for t in threading.enumerate())
