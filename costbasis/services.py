"""Cost-basis results stored per portfolio, rebuilt from the ledger in the background.

The pure engine (``costbasis.engine``) computes; this module loads the ledger into its
``Entry`` records, stores what it answers (``costbasis.models``) and decides between a
full rebuild and a continuation:

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
- Money is in the ledger's fiat: the portfolio's first fiat reporting currency, else USD. A row
  valued in another fiat currency is converted at the daily price of its UTC day from the price
  store (directly, inverted or through USD/BTC); without one its value counts as missing (the
  engine flags it). A fee in another currency without a rate counts as 0.
- Amounts are stored rounded half-even to 18 decimal places (see costbasis.models).
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from core.exceptions import NotReady, ValidationFailed
from core.tasks import enqueue_once
from costbasis.engine import Method, Pooling, Settings, compute
from costbasis.load import Fingerprint, fingerprints, ledger_print, load_entries
from costbasis.models import CostBasisBuild, CostBasisSettings
from costbasis.write import q18, summary_merge, write_result
from currencies.models import Currency
from portfolios.models import Portfolio, PortfolioCurrency
from users.models import User
from users.timezones import time_zone_canonical

__all__ = [
    "BuildOutcome",
    "Configuration",
    "Freshness",
    "RebuildRequest",
    "configuration",
    "costbasis_ready",
    "costbasis_rebuild",
    "costbasis_rebuild_now",
    "costbasis_settings_get",
    "costbasis_settings_update",
    "full_request_restore",
    "full_request_take",
    "ledger_currency",
    "q18",
]

logger = logging.getLogger(__name__)

REBUILD_FLAG_SECONDS = 900
# A full rebuild asked for stays asked for until a build takes it, however long the workers are
# away (a week is a bound, not an expectation).
FULL_REQUEST_SECONDS = 7 * 24 * 3600
FIRST_BUILD_SECONDS = 5  # how soon to ask again after a first build was enqueued
FAILED_BUILD_SECONDS = 60  # ... and after the last attempt failed
_ADVISORY_CLASS = 0x63620001  # "cb" + 1: advisory locks of cost-basis builds
_MIN_YEAR, _MAX_YEAR = 2009, 2100


def rebuild_key(portfolio_id: int) -> str:
    return f"costbasis:{portfolio_id}"


def full_request_key(portfolio_id: int) -> str:
    return f"{rebuild_key(portfolio_id)}:full"


# --- settings ----------------------------------------------------------------------------------

UNSET: Any = object()
METHODS = ", ".join(m.value for m in Method)
POOLINGS = ", ".join(p.value for p in Pooling)


def costbasis_settings_get(*, portfolio: Portfolio) -> CostBasisSettings:
    """The portfolio's settings; the defaults (unsaved) until they are first changed."""
    found = CostBasisSettings.objects.filter(portfolio=portfolio).first()
    return found if found is not None else CostBasisSettings(portfolio=portfolio)


def costbasis_settings_update(
    *,
    portfolio: Portfolio,
    method: Any = UNSET,
    pooling: Any = UNSET,
    method_changes: Any = UNSET,
    unclassified_out_to_elsewhere: Any = UNSET,
    tax_time_zone: Any = UNSET,
) -> CostBasisSettings:
    """Change how the cost basis is computed; a change enqueues a rebuild. ``tax_time_zone``
    is the user's (an IANA name, any case): it applies to, and rebuilds, every portfolio of
    theirs. Raises ValidationFailed with one sentence per problem."""
    given = [
        v
        for v in (method, pooling, method_changes, unclassified_out_to_elsewhere, tax_time_zone)
        if v is not UNSET
    ]
    if not given:
        raise ValidationFailed(
            "nothing to change: send method, pooling, method_changes, "
            "unclassified_out_to_elsewhere or tax_time_zone"
        )
    problems: list[str] = []
    zone = None
    if tax_time_zone is not UNSET:
        zone = time_zone_canonical(_one(tax_time_zone))
        if zone is None:
            problems.append(
                f"tax_time_zone '{_one(tax_time_zone)}' is not a time zone name such as "
                "America/New_York or UTC"
            )
    with transaction.atomic():
        CostBasisSettings.objects.get_or_create(portfolio=portfolio)
        settings = CostBasisSettings.objects.select_for_update().get(portfolio=portfolio)
        settings.portfolio = portfolio  # the caller's, with its user
        before = _settings_dict(settings)
        if method is not UNSET:
            settings.method = _choice("method", method, Method, METHODS, problems, settings.method)
        if pooling is not UNSET:
            settings.pooling = _choice(
                "pooling", pooling, Pooling, POOLINGS, problems, settings.pooling
            )
        if method_changes is not UNSET:
            settings.method_changes = _method_changes(method_changes, problems)
        if unclassified_out_to_elsewhere is not UNSET:
            flag = _boolean(unclassified_out_to_elsewhere)
            if flag is None:
                problems.append("unclassified_out_to_elsewhere must be true or false")
            else:
                settings.unclassified_out_to_elsewhere = flag
        if problems:
            raise ValidationFailed(problems)
        if _settings_dict(settings) != before:
            settings.save()
            costbasis_rebuild(portfolio)
        user = portfolio.user
        if zone is not None and zone != user.tax_time_zone:
            user.tax_time_zone = zone
            user.save(update_fields=["tax_time_zone"])
            # Every date of every portfolio of the user's moves: rebuild them all.
            for each in Portfolio.objects.filter(user_id=user.pk):
                costbasis_rebuild(each)
    return settings


def _settings_dict(settings: CostBasisSettings) -> dict[str, Any]:
    return {
        "method": settings.method,
        "pooling": settings.pooling,
        "method_changes": list(settings.method_changes or []),
        "unclassified_out_to_elsewhere": settings.unclassified_out_to_elsewhere,
    }


def _one(value: Any) -> Any:
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _choice(name, raw, enum, allowed: str, problems: list[str], current: str) -> str:
    text = str(_one(raw)).strip().lower() if _one(raw) is not None else ""
    try:
        return enum(text).value
    except ValueError:
        problems.append(f"{name} '{_one(raw)}' is not one of {allowed}")
        return current


def _boolean(raw: Any) -> bool | None:
    raw = _one(raw)
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    return {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(text)


def _method_changes(raw: Any, problems: list[str]) -> list[dict[str, Any]]:
    """[{year, method}] sorted by year; a year given twice, a year out of range or an unknown
    method is a problem of its own, named by its position."""
    if raw is None or raw == "":
        return []
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        problems.append('method_changes must be a list of {"year": 2024, "method": "hifo"}')
        return []
    changes: dict[int, str] = {}
    for i, item in enumerate(raw):
        where = f"method_changes[{i}]"
        if not isinstance(item, dict):
            problems.append(f'{where} must be an object like {{"year": 2024, "method": "hifo"}}')
            continue
        year_raw, method_raw = _one(item.get("year")), _one(item.get("method"))
        year = None
        if year_raw is None or year_raw == "":
            problems.append(f"{where}: year is required")
        else:
            try:
                year = int(str(year_raw).strip())
            except ValueError:
                problems.append(f"{where}: year '{year_raw}' is not a whole number")
            else:
                if not _MIN_YEAR <= year <= _MAX_YEAR:
                    problems.append(f"{where}: year must be between {_MIN_YEAR} and {_MAX_YEAR}")
                    year = None
                elif year in changes:
                    problems.append(f"{where}: year {year} is given twice")
                    year = None
        if method_raw is None or method_raw == "":
            problems.append(f"{where}: method is required")
            continue
        try:
            method = Method(str(method_raw).strip().lower()).value
        except ValueError:
            problems.append(f"{where}: method '{method_raw}' is not one of {METHODS}")
            continue
        if year is not None:
            changes[year] = method
    return [{"year": year, "method": method} for year, method in sorted(changes.items())]


def ledger_currency(portfolio: Portfolio) -> Currency:
    """The fiat currency of the portfolio's costs and gains: its first fiat reporting
    currency, else USD."""
    first = (
        PortfolioCurrency.objects.filter(portfolio=portfolio, currency__is_fiat=True)
        .select_related("currency")
        .order_by("position", "id")
        .first()
    )
    return first.currency if first is not None else Currency.objects.get(code="usd")


@dataclass(frozen=True)
class Configuration:
    """What a build computes with: the engine's settings, the fiat currency, and the key that
    says whether stored results were computed with the same."""

    settings: Settings
    currency: Currency
    key: dict[str, Any]


def configuration(portfolio: Portfolio) -> Configuration:
    stored = costbasis_settings_get(portfolio=portfolio)
    currency = ledger_currency(portfolio)
    fiat = sorted(Currency.objects.filter(is_fiat=True).values_list("code", flat=True))
    # Read afresh: a User instance cached on the portfolio may predate a change of the zone.
    time_zone = User.objects.values_list("tax_time_zone", flat=True).get(pk=portfolio.user_id)
    settings = Settings(
        method=Method(stored.method),
        pooling=Pooling(stored.pooling),
        method_changes=tuple(
            (int(c["year"]), Method(c["method"])) for c in stored.method_changes or []
        ),
        fiat_assets=frozenset(fiat),
        unclassified_out_to_elsewhere=stored.unclassified_out_to_elsewhere,
        time_zone=time_zone,
    )
    # The key also names what the stored results are expressed in (the readers' year
    # boundaries and dates use its time_zone).
    key = {**_settings_dict(stored), "currency": currency.code, "fiat": fiat}
    key["time_zone"] = time_zone
    return Configuration(settings, currency, key)


# --- enqueueing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RebuildRequest:
    """What asking for a rebuild did. ``will_run``: "full" (from scratch) or "update" (a
    continuation from the last build when only later rows changed, else from scratch).
    ``merged``: a rebuild was queued already and will do this one's work (upgraded to a full
    one when that was asked); otherwise a new one was enqueued."""

    will_run: str
    merged: bool


def costbasis_rebuild(portfolio: Portfolio, force: bool = False) -> RebuildRequest:
    """Enqueue a rebuild of the portfolio's cost basis once the current transaction commits;
    when one is queued already (any process), that one does the work. Queued work goes to the
    strongest request: ``force`` (a rebuild from scratch) is remembered in the shared cache and
    the next build to start takes it, so a plain rebuild queued earlier runs from scratch.
    Called after imports, re-classifications, accepted transfers and settings changes, and by
    the API's rebuild."""
    from costbasis.tasks import costbasis_rebuild_task  # the task module imports this one

    if force:
        # Set before enqueueing: a queued task takes it when it starts, and one that started
        # already cleared the enqueued flag, so the enqueue below succeeds and a new task
        # takes it.
        cache.set(full_request_key(portfolio.pk), "1", FULL_REQUEST_SECONDS)
    enqueued = enqueue_once(
        rebuild_key(portfolio.pk), REBUILD_FLAG_SECONDS, costbasis_rebuild_task, portfolio.pk
    )
    return RebuildRequest(will_run="full" if force else "update", merged=not enqueued)


def full_request_take(*, portfolio_id: int) -> bool:
    """Whether a rebuild from scratch was asked for since the last build started; the request
    is taken (atomically: of two builds starting at once, one gets it)."""
    return bool(cache.delete(full_request_key(portfolio_id)))


def full_request_restore(*, portfolio_id: int) -> None:
    """Ask again for the rebuild from scratch a failed build had taken."""
    cache.set(full_request_key(portfolio_id), "1", FULL_REQUEST_SECONDS)


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


# --- freshness (for the API) -------------------------------------------------------------------


@dataclass(frozen=True)
class Freshness:
    build: CostBasisBuild
    stale: bool
    enqueued: bool


def costbasis_ready(*, portfolio: Portfolio, now: datetime | None = None) -> Freshness:
    """The stored build to answer from, or NotReady (after enqueueing the first build). A build
    older than the ledger or the settings is answered all the same, and a rebuild enqueued."""
    now = now or timezone.now()
    build = CostBasisBuild.objects.filter(portfolio=portfolio).select_related("currency").first()
    if build is None or build.built_at is None:
        costbasis_rebuild(portfolio)
        wait = FIRST_BUILD_SECONDS
        if build is not None and build.status == CostBasisBuild.FAILED:
            wait = FAILED_BUILD_SECONDS
        raise NotReady(try_again_at=now + timedelta(seconds=wait))
    config = configuration(portfolio)
    _, whole, _, transfers = fingerprints(portfolio.pk, None)
    stale = build.settings != config.key or build.ledger != ledger_print(whole, transfers)
    enqueued = not costbasis_rebuild(portfolio).merged if stale else False
    return Freshness(build, stale, enqueued)
