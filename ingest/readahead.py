"""Parsing the next batch while the database stores this one.

An import alternates between Python work (parsing a batch) and waiting for PostgreSQL (storing
it). ``batches_ahead`` runs the parser in a background thread that keeps at most ``depth``
batches ready, so the parsing happens while the main thread waits on the database (which
releases the GIL). Memory stays bounded by ``depth`` batches. The parser is pure Python and
never touches the database, so the thread needs no connection; everything that does stays on
the caller's thread, in its transaction.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterable
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


def batches_ahead(
    items: Iterable[T], size: int, *, depth: int = 2
) -> Generator[list[T], None, None]:
    """``items`` in lists of ``size`` (the last may be shorter), produced by a background
    thread at most ``depth`` lists ahead. An exception raised by ``items`` is raised here, at
    the point of the batch it interrupted. Closing the generator stops the thread."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            batch: list[T] = []
            for item in items:
                batch.append(item)
                if len(batch) >= size:
                    if not put(batch):
                        return
                    batch = []
            if batch and not put(batch):
                return
            put(_DONE)
        except BaseException as error:  # handed to the consumer, raised there
            put(_Failed(error))

    thread = threading.Thread(target=produce, name="statement-parser", daemon=True)
    thread.start()
    try:
        while True:
            got = ready.get()
            if got is _DONE:
                break
            if isinstance(got, _Failed):
                raise got.error
            yield got
    finally:
        stop.set()
        thread.join()
