"""What a portfolio's totals are made of right now, whether that is fresh enough to answer, and
enqueueing the fetches that make it so (API.md "Async semantics")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils import timezone

from addresses.models import Address, AddressBalance
from addresses.sync import REFRESH_INTERVAL
from core.exceptions import NotReady
from currencies.models import Currency
from offsets.models import OffsetBalance
from portfolios.models import Portfolio, PortfolioCurrency
from portfolios.totals import SourceBalance
from prices.services import PRICE_ATTEMPT_KEY, SPOT_REFRESH_SECONDS

# How soon a client should ask again when a fetch was just enqueued.
FIRST_FETCH_SECONDS = 5


@dataclass
class Holdings:
    """Everything the totals of one portfolio are computed from."""

    reporting: list[str]
    parts: list[SourceBalance]
    never_fetched: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    retry_at: datetime | None = None


def portfolio_holdings(portfolio: Portfolio, *, now: datetime | None = None) -> Holdings:
    """Reads in a fixed number of queries whatever the number of addresses and offsets."""
    now = now or timezone.now()
    reporting = PortfolioCurrency.objects.filter(portfolio=portfolio).values_list("currency__code", flat=True)
    holdings = Holdings(reporting=list(reporting), parts=[])
    for address in Address.objects.filter(portfolio=portfolio, valid=True).select_related("fetch_state"):
        state = getattr(address, "fetch_state", None)
        fetched_at = state.balances_fetched_at if state else None
        waiting = state.next_retry_at if state and state.next_retry_at and state.next_retry_at > now else None
        if waiting and (holdings.retry_at is None or waiting > holdings.retry_at):
            holdings.retry_at = waiting
        if fetched_at is None:
            holdings.never_fetched.append(address.pk)
        elif fetched_at < now - REFRESH_INTERVAL and not waiting:
            holdings.stale.append(address.pk)
    balances = AddressBalance.objects.filter(address__portfolio=portfolio, address__valid=True).values_list(
        "currency__code", "balance", "address__fetch_state__balances_fetched_at", "source"
    )
    holdings.parts.extend(SourceBalance(code, balance, at, source) for code, balance, at, source in balances)
    offsets = OffsetBalance.objects.filter(offset__portfolio=portfolio).values_list("currency__code", "balance", "updated_at")
    holdings.parts.extend(SourceBalance(code, balance, at, "offset") for code, balance, at in offsets)
    holdings.parts.extend(_wallet_holdings(portfolio))
    return holdings


def _wallet_holdings(portfolio: Portfolio) -> list[SourceBalance]:
    """Holdings of wallets fed by statement imports (the ledger), when that app provides them."""
    try:
        from ledger.selectors import portfolio_wallet_holdings
    except ImportError:
        return []
    return list(portfolio_wallet_holdings(portfolio))


def ensure_balances(holdings: Holdings, *, now: datetime | None = None) -> None:
    """Enqueue fetches of addresses never fetched (then raise NotReady) or stale (answer the
    stored data meanwhile). Enqueueing is deduplicated across processes."""
    from addresses.tasks import address_fetch_enqueue

    now = now or timezone.now()
    for address_id in holdings.never_fetched + holdings.stale:
        address_fetch_enqueue(address_id)
    if holdings.never_fetched:
        retry = holdings.retry_at or now + timedelta(seconds=FIRST_FETCH_SECONDS)
        raise NotReady(try_again_at=max(retry, now + timedelta(seconds=1)))


def ensure_prices(codes: set[str], rate_times: dict, *, now: datetime | None = None) -> None:
    """Enqueue a spot-price refresh when a held asset that can be priced was never tried
    (then raise NotReady) or when prices are older than their refresh interval."""
    from prices.tasks import prices_spot_enqueue

    now = now or timezone.now()
    priceable = set(Currency.objects.filter(code__in=codes).exclude(coingecko_id="").values_list("code", flat=True))
    priced = {base for base, _quote in rate_times}
    untried = [code for code in priceable - priced if cache.get(PRICE_ATTEMPT_KEY.format(code=code)) is None]
    oldest = min(rate_times.values()) if rate_times else None
    stale = oldest is not None and oldest < now - timedelta(seconds=SPOT_REFRESH_SECONDS * 2)
    if untried or stale:
        prices_spot_enqueue()
    if untried:
        raise NotReady(try_again_at=now + timedelta(seconds=FIRST_FETCH_SECONDS))
