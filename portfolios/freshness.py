"""What a portfolio's totals are made of right now, whether that is fresh enough to answer, and
enqueueing the fetches that make it so (API.md "Async semantics")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils import timezone

from core.exceptions import NotReady
from portfolios.models import Portfolio, PortfolioCurrency
from portfolios.sources import balance_fetcher, holdings_sources
from portfolios.totals import SourceBalance
from prices.conversion import Rates, rate
from prices.services import LAST_ATTEMPT_KEY, PRICE_ATTEMPT_KEY, SPOT_REFRESH_SECONDS

# How long a first spot-price fetch takes: when a NotReady answer says to ask again.
FIRST_PRICE_FETCH_SECONDS = 5


@dataclass
class Holdings:
    """Everything the totals of one portfolio are computed from."""

    reporting: list[str]
    parts: list[SourceBalance]
    never_fetched: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    # Never fetched, the first fetch failed: not enqueued before ``retry_at`` (the backoff).
    retrying: list[int] = field(default_factory=list)
    retry_at: datetime | None = None
    # Currencies of the never-fetched addresses: their prices are fetched in the same round.
    fetching_codes: set[str] = field(default_factory=set)
    # Items of the other fetched sources (exchange accounts) to enqueue, as (fetcher name, id),
    # and how many of them were never fetched (the answer waits for those).
    due: list[tuple[str, int]] = field(default_factory=list)
    first_fetches: int = 0
    # The earliest moment a fetched item turns stale or its backoff ends (None: none will).
    changes_at: datetime | None = None

    def expires(self, at: datetime) -> None:
        """A source's part of the answer changes by time alone at ``at``."""
        self.changes_at = min(at, self.changes_at or at)

    @property
    def settled(self) -> bool:
        """Nothing to enqueue or wait for: every item fetched, none stale or due."""
        return not (
            self.never_fetched or self.stale or self.retrying or self.due or self.first_fetches
        )


def portfolio_holdings(portfolio: Portfolio, *, now: datetime | None = None) -> Holdings:
    """The one selector of what a portfolio holds (README "What counts where"), behind the
    totals API, the dashboard and the cost basis's quantities: each address's explorer balance
    (valid addresses that were fetched), each offset's balances, and each statement or
    exchange-account wallet's ledger holdings. Coins sent out of tracked wallets are not held.

    Reads in a fixed number of queries whatever the number of addresses and offsets: the
    reporting currencies, the addresses with their fetch state and balances (one row per
    address and balance, joined), the offsets, the ledger's wallets. Plain rows, no model
    instances: this runs on every totals request."""
    now = now or timezone.now()
    # Reporting currencies in the user's order; no ORDER BY for the rest: nothing computed
    # from those rows depends on their order.
    reporting = (
        PortfolioCurrency.objects.filter(portfolio=portfolio)
        .order_by("position", "id")
        .values_list("currency__code", flat=True)
    )
    holdings = Holdings(reporting=list(reporting), parts=[])
    for source in holdings_sources():
        source.current(portfolio, holdings, now)
    return holdings


def ensure_balances(holdings: Holdings, *, now: datetime | None = None) -> None:
    """Enqueue fetches of addresses never fetched (then raise NotReady) or stale (answer the
    stored data meanwhile); one whose first fetch failed waits for its backoff (NotReady until
    then). Enqueueing is deduplicated across processes."""
    now = now or timezone.now()
    fetcher = balance_fetcher()
    for address_id in holdings.never_fetched + holdings.stale:
        fetcher.enqueue(address_id)
    for name, item_id in holdings.due:
        balance_fetcher(name).enqueue(item_id)
    if holdings.never_fetched or holdings.retrying or holdings.first_fetches:
        first = max(
            [fetcher.first_fetch_seconds]
            + [balance_fetcher(name).first_fetch_seconds for name, _ in holdings.due]
        )
        retry = holdings.retry_at or now + timedelta(seconds=first)
        raise NotReady(try_again_at=max(retry, now + timedelta(seconds=1)))


def ensure_prices(unpriced: set[str], fetched_at: dict, *, now: datetime | None = None) -> None:
    """Enqueue a spot-price refresh when an asset that has no price yet was never tried (then
    raise NotReady), or when the stored prices were fetched longer ago than twice their refresh
    interval (answer them meanwhile) and no refresh was attempted within the interval (a coin
    CoinGecko stopped answering keeps its old price, and CoinGecko may be down: neither is a
    reason to ask again on every request). A refresh asks CoinGecko for every currency in use,
    fiat included, so one attempt settles whether an asset can be priced at all; after it an
    asset still without a price is answered as ``unpriced``."""
    from prices.tasks import prices_spot_enqueue

    now = now or timezone.now()
    untried = untried_prices(sorted(unpriced))
    settled, _ = prices_settled_until(fetched_at, now=now)
    if untried or not settled:
        prices_spot_enqueue()
    if untried:
        raise NotReady(try_again_at=now + timedelta(seconds=FIRST_PRICE_FETCH_SECONDS))


def prices_settled_until(
    fetched_at: dict, *, now: datetime | None = None
) -> tuple[bool, datetime | None]:
    """The staleness rule of ``ensure_prices`` (which enqueues a refresh when not settled), also
    read by a stored answer: (settled, until) where settled says that nothing is to be enqueued,
    and ``until`` when the answer would change by time alone (the oldest price turning stale,
    or a stale one's recent attempt growing old; None: never). An asset's first attempt is kept in the cache, not here: whoever serves a
    stored answer checks it (``untried_prices``)."""
    now = now or timezone.now()
    if not fetched_at:
        return True, None
    interval = timedelta(seconds=SPOT_REFRESH_SECONDS)
    stale_at = min(fetched_at.values()) + 2 * interval
    if now <= stale_at:
        return True, stale_at
    attempt = (cache.get(LAST_ATTEMPT_KEY) or {}).get("at")
    if attempt and datetime.fromisoformat(attempt) >= now - interval:
        return True, datetime.fromisoformat(attempt) + interval
    return False, None


def untried_prices(unpriced: list[str]) -> bool:
    """Was a spot price of one of ``unpriced`` never attempted (``ensure_prices`` waits for it)?
    One cache read, none when nothing is unpriced."""
    keys = {PRICE_ATTEMPT_KEY.format(code=code) for code in unpriced}
    return bool(keys) and len(cache.get_many(keys)) < len(keys)


@dataclass(frozen=True)
class Waits:
    """What a valuation waits for after the fetches that were due are enqueued: ``balances``
    and ``prices`` are when to ask again (None: not waiting for them), ``prices_of`` the
    currencies whose prices are being fetched."""

    balances: datetime | None = None
    prices: datetime | None = None
    prices_of: tuple[str, ...] = ()

    @property
    def try_again_at(self) -> datetime | None:
        return max((w for w in (self.balances, self.prices) if w is not None), default=None)

    def raise_not_ready(self) -> None:
        """The API's answer while something is being fetched (API.md "Async semantics")."""
        if self.try_again_at is not None:
            raise NotReady(try_again_at=self.try_again_at)


def fetches_due(
    holdings: Holdings,
    *,
    spot_unpriced: list[str] | None,
    spot: Rates,
    fetched_at: dict,
    now: datetime | None = None,
) -> Waits:
    """Enqueue every fetch that is due (balances, and prices unless ``spot_unpriced`` is None:
    the held currencies without a spot price path), so that one round of fetches makes the
    answer ready, and say what is still awaited. The currencies of addresses never fetched
    count as unpriced while no spot rate reaches every reporting currency."""
    now = now or timezone.now()
    balances = None
    try:
        ensure_balances(holdings, now=now)
    except NotReady as exc:
        balances = exc.try_again_at
    if spot_unpriced is None:
        return Waits(balances=balances)
    unpriced = set(spot_unpriced) | {
        code
        for code in holdings.fetching_codes
        if any(rate(spot, code, target) is None for target in holdings.reporting)
    }
    try:
        ensure_prices(unpriced, fetched_at, now=now)
    except NotReady as exc:
        return Waits(balances, exc.try_again_at, prices_of=tuple(sorted(unpriced)))
    return Waits(balances=balances)
