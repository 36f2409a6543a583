"""Reading an upload once while knowing how far it got, and showing that to a person.

``MeteredReader`` wraps a binary file: the parser reads through it, and it counts the bytes and
hashes them (sha256), so the file is read exactly once however large it is. ``ProgressBar``
draws bytes read of the total and rows per second on a terminal, or prints a plain line now
and then when the output is not a terminal (a log, a pipe, a test's StringIO).
"""

from __future__ import annotations

import hashlib
import time
from typing import IO, TextIO


class MeteredReader:
    """A read-only binary stream over ``raw`` that counts (``bytes_read``) and hashes
    (``sha256``) what passes through. Text streams are refused: the hash is of the bytes."""

    def __init__(self, raw: IO[bytes]):
        if isinstance(raw.read(0), str):
            raise TypeError("MeteredReader needs a binary stream")
        self._raw = raw
        self._hash = hashlib.sha256()
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._raw.read(size)
        if chunk:
            self._hash.update(chunk)
            self.bytes_read += len(chunk)
        return chunk

    def drain(self) -> None:
        """Read what is left (the hash is of the whole file, even past the last row)."""
        while self.read(1 << 16):
            pass

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


_now = time.monotonic


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f}"


class ProgressBar:
    """Progress of reading ``total`` bytes, written to ``out`` (stderr in the command).

    On a terminal it redraws one line at most ``redraw_per_second`` times a second; otherwise
    it prints a line every ``plain_every`` seconds. ``finish`` always prints the last line."""

    WIDTH = 24

    def __init__(
        self,
        total: int,
        out: TextIO,
        *,
        tty: bool | None = None,
        redraw_per_second: float = 10,
        plain_every: float = 2.0,
        clock=None,
    ):
        self.total = max(total, 0)
        self.out = out
        self.tty = out.isatty() if tty is None else tty
        self._clock = clock or _now
        self._started = self._clock()
        self._last_shown = float("-inf")
        self._interval = 1 / redraw_per_second if self.tty else plain_every
        self._bytes = 0
        self._rows = 0

    def update(self, bytes_read: int, rows: int) -> None:
        self._bytes, self._rows = bytes_read, rows
        now = self._clock()
        if now - self._last_shown >= self._interval:
            self._last_shown = now
            self._show(now, final=False)

    def finish(self) -> None:
        self._show(self._clock(), final=True)

    def _show(self, now: float, *, final: bool) -> None:
        elapsed = max(now - self._started, 1e-9)
        rate = self._rows / elapsed
        done = self._bytes / self.total if self.total else 1.0
        done = 1.0 if final and self._bytes >= self.total else min(done, 1.0)
        figures = (
            f"{done:4.0%} {_mib(self._bytes)}/{_mib(self.total)} MiB, "
            f"{self._rows:,} rows, {rate:,.0f} rows/s"
        )
        if self.tty:
            filled = int(done * self.WIDTH)
            bar = "#" * filled + "." * (self.WIDTH - filled)
            self.out.write(f"\r[{bar}] {figures}   ")
            if final:
                self.out.write(f"in {elapsed:.1f} s\n")
        else:
            self.out.write(f"{'done' if final else 'progress'}: {figures}")
            self.out.write(f" in {elapsed:.1f} s\n" if final else "\n")
        self.out.flush()
