"""Building a portfolio's stored cost basis: the pure engine (``costbasis.engine``) computes
over the ledger's rows (``costbasis.load``) and its answer is stored (``costbasis.write``).
A build decides between a full rebuild and a continuation:

- A build remembers the engine's state after the last processed (at, id) and a fingerprint of
  the rows at or before that moment (count, newest updated_at, sum of updated_at) and of the
  accepted transfers with a leg there. When the fingerprint still matches and the settings are
  the same, only the rows after that moment are loaded and computed from the state, and their
  disposals, income and flags are appended (the open lots are replaced). Anything else (an
  earlier row added, edited or deleted, a transfer accepted or rejected there, other settings,
  another fiat currency, a state the engine refuses) rebuilds from scratch.
- A build runs in one transaction (REPEATABLE READ on PostgreSQL, so every read sees one
  snapshot): readers see the previous results until it commits, and a failed build leaves them
  as they were, with the failure recorded on CostBasisBuild. Builds of one portfolio take turns
  (a PostgreSQL advisory lock).
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.db import OperationalError, connection, transaction
from django.utils import timezone

from costbasis.engine import compute
from costbasis.load import Fingerprint, fingerprints, ledger_print, load_entries
from costbasis.models import CostBasisBuild
from costbasis.services import Configuration, configuration
from costbasis.write import summary_merge, write_result
from portfolios.models import Portfolio

__all__ = ["BuildOutcome", "costbasis_rebuild_now"]

logger = logging.getLogger(__name__)

_ADVISORY_CLASS = 0x63620001  # "cb" + 1: advisory locks of cost-basis builds


# --- the build ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildOutcome:
    """What one build did. ``mode``: full, incremental or unchanged (nothing to do).
    ``entries``: rows computed by this build; ``disposals``: disposals it stored; ``lots``: open
    lots after it. ``timings`` in wall seconds: load (reading the settings, the fingerprints and
    the rows), compute, write (storing the rows and the summary), total; ``cpu_*`` the same in
    CPU seconds of this process."""

    portfolio_id: int
    mode: str
    reason: str
    entries: int = 0
    disposals: int = 0
    lots: int = 0
    timings: dict[str, float] = field(default_factory=dict)


def costbasis_rebuild_now(*, portfolio: Portfolio, force: bool = False) -> BuildOutcome:
    """Bring the stored cost basis up to date with the ledger, now, in this process: nothing
    when nothing changed, a continuation when only later rows were added, else (or with
    ``force``) a rebuild from scratch. A failure is recorded on the portfolio's CostBasisBuild
    (the previous results stay) and raised."""
    with _build_lock(portfolio.pk):
        for attempt in range(3):
            try:
                return _build_in_transaction(portfolio, force)
            except OperationalError as exc:
                if attempt < 2 and _serialization_failure(exc):
                    continue
                _record_failure(portfolio, exc)
                raise
            except Exception as exc:
                _record_failure(portfolio, exc)
                raise
    raise AssertionError("unreachable")


def _serialization_failure(exc: Exception) -> bool:
    return getattr(getattr(exc, "__cause__", None), "sqlstate", None) in ("40001", "40P01")


@contextmanager
def _build_lock(portfolio_id: int) -> Iterator[None]:
    if connection.vendor != "postgresql":
        yield  # SQLite serialises writers by itself
        return
    key = [_ADVISORY_CLASS, portfolio_id % 2**31]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", key)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)


def _build_in_transaction(portfolio: Portfolio, force: bool) -> BuildOutcome:
    outermost = not connection.in_atomic_block
    with transaction.atomic(), _gc_paused():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                # Derived data: a crash right after the commit may lose this build (the build
                # row with it, so the next one redoes it); not waiting for the WAL flush saves
                # a round of disk writes of the whole result.
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        return _build(portfolio, force)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """A build holds a few hundred thousand records at once and frees almost nothing until it
    ends, so each run of the cyclic garbage collector would walk all of them again (a third of
    the loading and writing time). Reference counting still frees everything."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Clock:
    """Wall and CPU seconds per phase of a build."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.started = (time.perf_counter(), time.process_time())

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - wall
            self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - cpu

    def timings(self) -> dict[str, float]:
        """load, compute, write and total wall seconds; cpu_* the same in CPU seconds."""
        wall, cpu = self.started
        out = {**self.wall, "total": time.perf_counter() - wall}
        out.update({f"cpu_{k}": v for k, v in self.cpu.items()})
        out["cpu_total"] = time.process_time() - cpu
        return out


def _record_failure(portfolio: Portfolio, exc: Exception) -> None:
    logger.exception("cost-basis build of portfolio %s failed", portfolio.pk)
    now = timezone.now()
    message = f"{type(exc).__name__}: {exc}"[:2000]
    try:
        with transaction.atomic():
            if Portfolio.objects.filter(pk=portfolio.pk).exists():
                CostBasisBuild.objects.update_or_create(
                    portfolio=portfolio,
                    defaults={
                        "status": CostBasisBuild.FAILED,
                        "error": message,
                        "attempted_at": now,
                    },
                )
    except Exception:  # recording must not hide the original error
        logger.exception("could not record the failed build of portfolio %s", portfolio.pk)


def _build(portfolio: Portfolio, force: bool) -> BuildOutcome:
    clock = _Clock()
    with clock.phase("load"):
        config = configuration(portfolio)
        build = CostBasisBuild.objects.filter(portfolio=portfolio).first()
        cutoff: tuple[datetime, int] | None = None
        if (
            build is not None
            and build.built_at is not None
            and build.last_at is not None
            and build.last_entry_id is not None
        ):
            cutoff = (build.last_at, build.last_entry_id)
        early, whole, early_transfers, all_transfers = fingerprints(portfolio.pk, cutoff)
        reason = _full_rebuild_reason(build, config, force, early, early_transfers)
        previous = build if reason is None else None  # the build this one continues, if any
        if previous is not None and previous.ledger == ledger_print(whole, all_transfers):
            previous.status, previous.error = CostBasisBuild.OK, ""
            previous.attempted_at = timezone.now()
            previous.save(update_fields=["status", "error", "attempted_at", "updated_at"])
            return BuildOutcome(portfolio.pk, CostBasisBuild.UNCHANGED, "nothing changed")
        loaded = load_entries(portfolio, config.currency, after=cutoff if reason is None else None)

    result = None
    if previous is not None:
        try:
            with clock.phase("compute"):
                result = compute(loaded.entries, config.settings, state=previous.state)
        except ValueError as exc:  # the engine refuses the state: start over
            reason = f"the saved state cannot be continued ({exc})"
            with clock.phase("load"):
                loaded = load_entries(portfolio, config.currency)
    if result is None:
        with clock.phase("compute"):
            result = compute(loaded.entries, config.settings)

    full = reason is not None
    if loaded.entries:
        cutoff = (loaded.entries[-1].at, loaded.entries[-1].id)
    elif full:
        cutoff = None
    with clock.phase("write"):
        written = write_result(
            portfolio_id=portfolio.pk,
            pooling=config.settings.pooling,
            result=result,
            loaded=loaded,
            full=full,
        )
        summary = summary_merge(result, None if full or previous is None else previous.summary)
    timings = clock.timings()
    now = timezone.now()
    mode = CostBasisBuild.FULL if full else CostBasisBuild.INCREMENTAL
    why = (reason or "later rows added")[:200]
    values = {
        "status": CostBasisBuild.OK,
        "error": "",
        "mode": mode,
        "reason": why,
        "currency": config.currency,
        "settings": config.key,
        "state": result.state,
        "last_at": cutoff[0] if cutoff else None,
        "last_entry_id": cutoff[1] if cutoff else None,
        # Every row read is at or before the new cutoff (the last row), so the fingerprint of
        # the rows it covers is that of the whole ledger, read before the rows: a row that
        # changes in between (outside REPEATABLE READ) makes the next build start over.
        "entries_count": whole.count,
        "max_updated_at": whole.newest,
        "updated_sum": whole.total,
        "transfers_count": all_transfers.count,
        "transfers_max_updated_at": all_transfers.newest,
        "transfers_updated_sum": all_transfers.total,
        "ledger": ledger_print(whole, all_transfers),
        "summary": summary,
        "entries_processed": len(loaded.entries),
        "timings": {k: round(v, 4) for k, v in timings.items()},
        "built_at": now,
        "attempted_at": now,
        "duration": round(timings["total"], 4),
    }
    CostBasisBuild.objects.update_or_create(portfolio=portfolio, defaults=values)
    return BuildOutcome(
        portfolio.pk,
        mode,
        why,
        entries=len(loaded.entries),
        disposals=written,
        lots=len(result.lots),
        timings=timings,
    )


def _full_rebuild_reason(
    build: CostBasisBuild | None,
    config: Configuration,
    force: bool,
    early: Fingerprint,
    early_transfers: Fingerprint,
) -> str | None:
    """Why the results must be computed from scratch, or None when they can continue."""
    if force:
        return "rebuild asked for"
    if build is None or build.built_at is None:
        return "first build"
    if build.settings != config.key:
        return "settings changed"
    if build.state is None or build.last_at is None:
        return "no saved state"
    stored = (build.entries_count, build.max_updated_at, build.updated_sum)
    if stored != (early.count, early.newest, early.total):
        return "earlier rows changed"
    stored = (build.transfers_count, build.transfers_max_updated_at, build.transfers_updated_sum)
    if stored != (early_transfers.count, early_transfers.newest, early_transfers.total):
        return "earlier transfers changed"
    return None
