"""Cost-basis results stored per portfolio, rebuilt from the ledger in the background: the
settings they are computed with, asking for a rebuild (a task, once), and whether the stored
results may be answered from (``costbasis_ready``). The build itself is ``costbasis.build``.

- Money is in the ledger's fiat: the portfolio's first fiat reporting currency, else USD. A row
  valued in another fiat currency is converted at the daily price of its UTC day from the price
  store (directly, inverted or through USD/BTC); without one its value counts as missing (the
  engine flags it). A fee in another currency without a rate counts as 0.
- Amounts are stored rounded half-even to 18 decimal places (see costbasis.models).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from core.exceptions import NotReady
from core.tasks import enqueue_once
from costbasis.engine import Method, Pooling, Settings
from costbasis.load import fingerprints, ledger_print
from costbasis.models import CostBasisBuild, CostBasisSettings
from costbasis.write import q18
from currencies.models import Currency
from portfolios.models import Portfolio, PortfolioCurrency
from users.models import User

__all__ = [
    "Configuration",
    "Freshness",
    "RebuildRequest",
    "configuration",
    "costbasis_ready",
    "costbasis_rebuild",
    "costbasis_settings_get",
    "costbasis_settings_update",
    "full_request_restore",
    "full_request_take",
    "ledger_currency",
    "q18",
]


REBUILD_FLAG_SECONDS = 900
# A full rebuild asked for stays asked for until a build takes it, however long the workers are
# away (a week is a bound, not an expectation).
FULL_REQUEST_SECONDS = 7 * 24 * 3600
FIRST_BUILD_SECONDS = 5  # how soon to ask again after a first build was enqueued
FAILED_BUILD_SECONDS = 60  # ... and after the last attempt failed


def rebuild_key(portfolio_id: int) -> str:
    return f"costbasis:{portfolio_id}"


def full_request_key(portfolio_id: int) -> str:
    return f"{rebuild_key(portfolio_id)}:full"


# --- settings ----------------------------------------------------------------------------------

UNSET: Any = object()


def costbasis_settings_get(*, portfolio: Portfolio) -> CostBasisSettings:
    """The portfolio's settings; the defaults (unsaved) until they are first changed."""
    found = CostBasisSettings.objects.filter(portfolio=portfolio).first()
    return found if found is not None else CostBasisSettings(portfolio=portfolio)


def costbasis_settings_update(
    *,
    portfolio: Portfolio,
    method: Method = UNSET,
    pooling: Pooling = UNSET,
    method_changes: list[tuple[int, Method]] = UNSET,
    unclassified_out_to_elsewhere: bool = UNSET,
    tax_time_zone: str = UNSET,
) -> CostBasisSettings:
    """Change how the cost basis is computed; a change enqueues a rebuild. The values are
    checked already (``costbasis.inputs``; the dashboard's form offers only valid ones), an
    argument left out keeps its value. ``tax_time_zone`` is the user's (a canonical IANA name):
    it applies to, and rebuilds, every portfolio of theirs."""
    with transaction.atomic():
        CostBasisSettings.objects.get_or_create(portfolio=portfolio)
        settings = CostBasisSettings.objects.select_for_update().get(portfolio=portfolio)
        settings.portfolio = portfolio  # the caller's, with its user
        before = _settings_dict(settings)
        # Method(...)/Pooling(...): the dashboard's form passes the plain values.
        if method is not UNSET:
            settings.method = Method(method).value
        if pooling is not UNSET:
            settings.pooling = Pooling(pooling).value
        if method_changes is not UNSET:
            settings.method_changes = [
                {"year": year, "method": Method(changed).value}
                for year, changed in sorted(method_changes)
            ]
        if unclassified_out_to_elsewhere is not UNSET:
            settings.unclassified_out_to_elsewhere = unclassified_out_to_elsewhere
        if _settings_dict(settings) != before:
            settings.save()
            costbasis_rebuild(portfolio)
        user = portfolio.user
        if tax_time_zone is not UNSET and tax_time_zone != user.tax_time_zone:
            user.tax_time_zone = tax_time_zone
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
