"""The apps a portfolio's holdings come from (addresses, offsets, ledger wallets) register
here in their ``AppConfig.ready()``: they point at ``Portfolio``, so portfolios reads them
through this registry instead of importing them back (no import cycle between the apps).

A source that is not registered would silently drop its holdings from every total, so the
first read checks that every app holding rows of a portfolio registered one (see
``holdings_sources``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from portfolios.freshness import Holdings
    from portfolios.history import Holding
    from portfolios.models import Portfolio


@dataclass(frozen=True)
class Watched:
    """A table a source's ``current`` reads: ``model`` ("app.Model") has a ``portfolio``
    foreign key, or reaches one through its foreign key ``through`` (e.g. an address's
    balances through ``address``). Every insert, update or delete of its rows raises the
    portfolio's totals generation (``portfolios.triggers``): the stored totals of that portfolio
    are recomputed on the next request."""

    model: str
    through: str = ""


@dataclass(frozen=True)
class HoldingsSource:
    """What portfolios reads from one source app."""

    name: str
    # Adds the source's SourceBalance parts (and fetch state, if any) to ``holdings`` at ``now``.
    current: Callable[[Portfolio, Holdings, datetime], None]
    # The current holdings with their signed movements since the given moment (value history).
    history: Callable[[Portfolio, datetime], Iterable[Holding]]
    # (currency code, first movement) per currency the portfolio (by id) holds or held.
    held_since: Callable[[int], Iterable[tuple[str, datetime | None]]]
    # The portfolio's earliest movement in this source, or None.
    first_moment: Callable[[Portfolio], datetime | None]
    # Every table ``current`` reads: their changes invalidate the stored totals.
    watches: tuple[Watched, ...]


@dataclass(frozen=True)
class BalanceFetcher:
    """A source whose balances are fetched from outside (the addresses' explorers, the
    exchange accounts)."""

    # The ids of the portfolio's fetchable items.
    item_ids: Callable[[Portfolio], Iterable[int]]
    # Enqueue a fetch of one item; False when one is already queued.
    enqueue: Callable[[int], bool]
    # How long a first fetch is expected to take (the NotReady retry hint).
    first_fetch_seconds: int
    # The registry's key; items of this fetcher are named (name, id) in ``Holdings.due``.
    name: str = "addresses"


_sources: dict[str, HoldingsSource] = {}
_fetchers: dict[str, BalanceFetcher] = {}


def register_holdings_source(source: HoldingsSource) -> None:
    _sources[source.name] = source


def register_balance_fetcher(fetcher: BalanceFetcher) -> None:
    _fetchers[fetcher.name] = fetcher


def _holding_apps() -> set[str]:
    """The apps with a model that points at Portfolio and holds balances: every app with a
    relation to Portfolio, but for portfolios itself and those that only read holdings."""
    from portfolios.models import Portfolio

    return {
        rel.related_model._meta.app_label
        for rel in Portfolio._meta.related_objects
        if rel.related_model._meta.app_label not in _READERS
    }


# Apps that point at Portfolio but hold nothing of their own: they read the holdings.
_READERS = {"portfolios", "costbasis", "performance"}


def holdings_sources() -> list[HoldingsSource]:
    """The registered sources, in registration order (that of INSTALLED_APPS). Raises ImproperlyConfigured when an app that
    holds balances of a portfolio did not register (its holdings would vanish silently)."""
    missing = _holding_apps() - set(_sources)
    if missing:
        raise ImproperlyConfigured(
            f"no holdings source registered for {sorted(missing)}: "
            "call portfolios.sources.register_holdings_source in their AppConfig.ready()"
        )
    return list(_sources.values())


def balance_fetcher(name: str = "addresses") -> BalanceFetcher:
    if name not in _fetchers:
        raise ImproperlyConfigured(
            f"no balance fetcher '{name}' registered: its app registers it in AppConfig.ready()"
        )
    return _fetchers[name]


def balance_fetchers() -> list[BalanceFetcher]:
    """Every registered fetcher, in registration order."""
    return list(_fetchers.values())
