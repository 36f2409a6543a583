"""Fetching an exchange account's balances and history and storing them: balances on the
account, every movement in the ledger (the account's wallet).

A fetch keeps the last good data when it fails. A refused key (``AccountRejected``) turns the
account invalid with the exchange's reason and stops its fetches until the user edits it; a
network error or a rate limit records the failure and the next retry time (exponential
backoff, or the exchange's Retry-After). Each kind of history is paged from its own cursor
(the exchange time of the newest row stored, in ms), stored page by page (memory holds one
page), and the cursor is saved with the page, so an interrupted first sync goes on where it
stopped and later syncs read only what is new."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.crypto import CredentialsUnreadable, decrypt_credentials
from accounts.exchanges import HISTORY_KINDS, AccountRejected, ExchangeAdapter, KindNotSupported
from accounts.models import Account, AccountBalance, AccountFetchState, SharedMovement
from accounts.movements import (
    Movement,
    amount,
    ledger_movements,
    trade_movements,
    transaction_movements,
    transaction_pending,
)
from accounts.shared import share_statement_movements
from core.exceptions import ProviderError
from currencies.models import Currency
from currencies.services import currencies_for_statement
from ledger.holdings import wallet_holdings_recompute
from ledger.models import LedgerEntry, Wallet
from ledger.services import after_ledger_change
from ledger.transfers import transfers_match

if TYPE_CHECKING:
    from users.models import User

logger = logging.getLogger(__name__)

REFRESH_INTERVAL = timedelta(seconds=getattr(settings, "ACCOUNT_REFRESH_SECONDS", 600))
BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 6 * 3600


@dataclass
class SyncResult:
    account_id: int
    ok: bool
    new_movements: int = 0
    error: str = ""
    retry_at: datetime | None = None
    requests: int = 0
    pages: dict[str, int] = field(default_factory=dict)


def backoff(failures: int, retry_after: float | None = None) -> timedelta:
    seconds = min(BACKOFF_BASE_SECONDS * 2 ** max(0, failures - 1), BACKOFF_MAX_SECONDS)
    if retry_after:
        seconds = max(seconds, retry_after)
    return timedelta(seconds=seconds)


def adapter_for(account: Account) -> ExchangeAdapter:
    try:
        credentials = decrypt_credentials(account.credentials)
    except CredentialsUnreadable as exc:
        raise ProviderError(str(exc), retryable=False) from None
    return ExchangeAdapter(account.exchange, credentials)


class _Currencies:
    """Currency rows by code, created (as an unlisted cryptocurrency named by the exchange) when
    the table does not know the code yet: like a statement's new code, it is known to the
    account's owner and joins the public list only when an operator lists it."""

    def __init__(self, source: str, user: User):
        self.source = source
        self.user = user
        self.by_code: dict[str, Currency] = {}

    def get(self, code: str) -> Currency:
        currency = self.by_code.get(code)
        if currency is None:
            ids = currencies_for_statement(codes=[code], user=self.user, source=self.source).ids
            currency = Currency.objects.get(pk=ids[code.strip().lower()])
            self.by_code[code] = currency
        return currency

    def is_fiat(self, code: str) -> bool:
        return bool(self.get(code).is_fiat)


def account_sync(
    *, account_id: int, adapter: ExchangeAdapter | None = None, history: bool = True
) -> SyncResult:
    """Fetch balances and new history of one valid account and store them."""
    account = Account.objects.select_related("portfolio").get(pk=account_id)
    state, _ = AccountFetchState.objects.get_or_create(account=account)
    started = time.monotonic()
    now = timezone.now()
    if not account.valid:
        return SyncResult(account.pk, ok=False, error=account.invalid_reason)
    result = SyncResult(account.pk, ok=True)
    try:
        adapter = adapter or adapter_for(account)
        balances = adapter.balances()
        warning = adapter.key_warning()
        currencies = _Currencies(account.exchange, account.portfolio.user)
        _store_balances(account, balances, currencies)
        Account.objects.filter(pk=account.pk).update(last_updated=now, warning=warning)
        state.balances_fetched_at = now
        state.save(update_fields=["balances_fetched_at"])
        if history:
            wallet = account_wallet(account)
            result.new_movements = _sync_history(
                account, state, adapter, wallet, currencies, result
            )
            if result.new_movements:
                share_statement_movements(account=account)
                wallet_holdings_recompute(wallet=wallet)
                transfers_match(portfolio=account.portfolio)
                after_ledger_change(account.portfolio)
            Account.objects.filter(pk=account.pk).update(
                txns_last_updated=now, history_last_updated=now
            )
    except ProviderError as exc:
        result.requests = adapter.requests if adapter else 0
        return _record_failure(account, state, exc, now, time.monotonic() - started, result)
    state.refresh_from_db()
    if state.backfill and not state.backfill.get("done") and history:
        state.backfill = {
            **state.backfill,
            "pages": sum(result.pages.values()),
            "added": result.new_movements,
            "done": True,
        }
    state.last_attempt_at = now
    state.last_duration_seconds = time.monotonic() - started
    state.history_complete = state.history_complete or history
    state.error, state.error_at, state.failures, state.next_retry_at = "", None, 0, None
    state.requests = result.requests = adapter.requests
    state.save()
    _touch_portfolio(account, now)
    return result


def _store_balances(
    account: Account, balances: dict[str, dict[str, Any]], currencies: _Currencies
) -> None:
    with transaction.atomic():
        seen = []
        for raw_code, row in balances.items():
            total = amount(row.get("total"))
            if total is None or raw_code is None:
                continue
            currency = currencies.get(raw_code.strip().lower())
            seen.append(currency.pk)
            AccountBalance.objects.update_or_create(
                account=account,
                currency=currency,
                defaults={
                    "balance": total,
                    "free": amount(row.get("free")),
                    "used": amount(row.get("used")),
                    "source": account.exchange,
                },
            )
        AccountBalance.objects.filter(account=account).exclude(currency_id__in=seen).delete()


def account_wallet(account: Account) -> Wallet:
    """The account's ledger wallet, created on first use (named after the account, unique among
    the portfolio's account wallets)."""
    if account.ledger_wallet_id:
        wallet = Wallet.objects.filter(pk=account.ledger_wallet_id).first()
        if wallet is not None:
            return wallet
    base = (account.title or account.exchange)[:90]
    taken = set(
        Wallet.objects.filter(portfolio_id=account.portfolio_id, kind=Wallet.ACCOUNT).values_list(
            "name", flat=True
        )
    )
    name = base if base not in taken else f"{base} #{account.pk}"
    try:
        with transaction.atomic():
            wallet = Wallet.objects.create(
                portfolio_id=account.portfolio_id, kind=Wallet.ACCOUNT, name=name
            )
    except IntegrityError:
        wallet = Wallet.objects.get(
            portfolio_id=account.portfolio_id, kind=Wallet.ACCOUNT, name=name
        )
    Account.objects.filter(pk=account.pk).update(ledger_wallet=wallet)
    account.ledger_wallet = wallet
    return wallet


def _sync_history(
    account: Account,
    state: AccountFetchState,
    adapter: ExchangeAdapter,
    wallet: Wallet,
    currencies: _Currencies,
    result: SyncResult,
) -> int:
    covered = set()
    if adapter.has("trades"):
        covered.add("trade")
    if adapter.has("deposits") and adapter.has("withdrawals"):
        covered.add("transaction")
    added = 0
    for kind in HISTORY_KINDS:
        if not adapter.has(kind):
            continue
        mapper = _mapper(kind, currencies.is_fiat, covered, adapter.wallet_ledger())
        try:
            for cursor_key, since in _cursor_keys(account, state, adapter, kind):
                # Pages that come oldest first move the cursor with each page (an interrupted
                # sync goes on from there); pages that come newest first (Kraken) move it only
                # once the last page is stored, or the rows between would be skipped.
                newest_first = adapter.newest_first()
                cursor = since
                pending = False
                for page in adapter.history(kind, since, scope=_scope_of(cursor_key)):
                    result.pages[kind] = result.pages.get(kind, 0) + 1
                    if state.backfill and not state.backfill.get("done"):
                        _backfill_progress(state, result, added)
                    moves, newest, waiting = _page_movements(page, mapper, kind)
                    pending = pending or waiting
                    if newest is not None:
                        cursor = newest if cursor is None else max(cursor, newest)
                    with transaction.atomic():
                        added += store_movements(account, wallet, moves, currencies)
                        if not newest_first:
                            _save_cursor(state, cursor_key, cursor)
                reached = None if pending else adapter.reached
                if reached is not None and (cursor is None or reached > cursor):
                    cursor = reached  # windows walked without rows: not again
                if newest_first or reached is not None:
                    _save_cursor(state, cursor_key, cursor)
        except KindNotSupported as exc:
            logger.info("account %s: %s skipped (%s)", account.pk, kind, exc)
    return added


def _backfill_progress(state: AccountFetchState, result: SyncResult, added: int) -> None:
    state.backfill = {**state.backfill, "pages": sum(result.pages.values()), "added": added}
    AccountFetchState.objects.filter(pk=state.pk).update(backfill=state.backfill)


def _save_cursor(state: AccountFetchState, key: str, cursor: int | None) -> None:
    if cursor is not None and state.cursors.get(key) != cursor:
        state.cursors = {**state.cursors, key: cursor}
        AccountFetchState.objects.filter(pk=state.pk).update(cursors=state.cursors)


def _scope_of(cursor_key: str) -> str | None:
    return cursor_key.split(":", 1)[1] if ":" in cursor_key else None


def _cursor_keys(
    account: Account,
    state: AccountFetchState,
    adapter: ExchangeAdapter,
    kind: str,
) -> Iterable[tuple[str, int | None]]:
    """One cursor per kind; trades of an exchange that answers them per market only (Binance)
    get one per market whose two currencies the account holds or held, and the kinds an
    exchange answers per currency only (Coinbase) one per currency of the account."""
    if kind == "trades" and adapter.trades_need_symbol():
        rows = AccountBalance.objects.filter(account=account).values_list(
            "currency__code", "balance"
        )
        quotes = {code for code, _ in rows}
        bases = {code for code, balance in rows if balance} | set(
            LedgerEntry.objects.filter(wallet__account=account)
            .values_list("asset__code", flat=True)
            .distinct()
        )
        for symbol in adapter.symbols_between(bases, quotes):
            key = f"trades:{symbol}"
            yield key, state.cursors.get(key)
        return
    if adapter.kind_needs_currency(kind):
        codes = AccountBalance.objects.filter(account=account).values_list(
            "currency__code", flat=True
        )
        for code in sorted(codes):
            key = f"{kind}:{code.upper()}"
            yield key, state.cursors.get(key)
        return
    yield kind, state.cursors.get(kind)


Mapper = Callable[[dict[str, Any]], list[Movement]]


def _mapper(
    kind: str, is_fiat: Callable[[str], bool], covered: set[str], wallet_ledger: bool
) -> Mapper:
    if kind == "trades":
        return lambda row: trade_movements(row, is_fiat)
    if kind in ("deposits", "withdrawals"):
        return lambda row: transaction_movements(row, is_fiat)
    return lambda row: ledger_movements(row, is_fiat, covered=covered, wallet_ledger=wallet_ledger)


def _page_movements(
    page: list[dict[str, Any]], mapper: Mapper, kind: str
) -> tuple[list[Movement], int | None, bool]:
    """The page's movements and the cursor after it: the newest time stored, but never past a
    pending deposit or withdrawal (it is read again until it completes)."""
    moves: list[Movement] = []
    newest: int | None = None
    pending: int | None = None
    for row in page:
        ts = row.get("timestamp")
        if kind in ("deposits", "withdrawals") and transaction_pending(row):
            if ts is not None:
                pending = ts if pending is None else min(pending, ts)
            continue
        moves.extend(mapper(row))
        if ts is not None:
            newest = ts if newest is None else max(newest, ts)
    if pending is not None and newest is not None and newest >= pending:
        newest = pending - 1
    return moves, newest, pending is not None


def store_movements(
    account: Account, wallet: Wallet, moves: list[Movement], currencies: _Currencies
) -> int:
    """Insert the movements the wallet does not have yet (by external id); link the legs of a
    trade. Returns how many were added."""
    if not moves:
        return 0
    unique = {m.external_id: m for m in moves}
    existing = set(
        LedgerEntry.objects.filter(wallet=wallet, external_id__in=list(unique)).values_list(
            "external_id", flat=True
        )
    ) | set(
        SharedMovement.objects.filter(account=account, external_id__in=list(unique)).values_list(
            "external_id", flat=True
        )
    )
    rows = []
    for move in unique.values():
        if move.external_id in existing:
            continue
        value_currency = currencies.get(move.value_currency) if move.value_currency else None
        fee_asset = currencies.get(move.fee_asset) if move.fee_asset else None
        rows.append(
            LedgerEntry(
                portfolio_id=account.portfolio_id,
                wallet=wallet,
                occurred_at=move.occurred_at,
                kind=move.kind.value,
                income_type=move.income_type,
                asset=currencies.get(move.asset),
                quantity=move.quantity,
                value=move.value,
                value_currency=value_currency,
                value_source=(
                    LedgerEntry.VALUE_FILE if move.value is not None else LedgerEntry.VALUE_MISSING
                ),
                fee_asset=fee_asset,
                fee_value=move.fee_value,
                fee_amount=move.fee_value,
                external_id=move.external_id[:200],
                reference=move.reference,
                pair_key=move.pair_key,
                tx_type=move.tx_type[:60],
            )
        )
    LedgerEntry.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    _link_pairs(wallet, {r.pair_key for r in rows if r.pair_key})
    return len(rows)


def _link_pairs(wallet: Wallet, keys: set[str]) -> None:
    if not keys:
        return
    legs: dict[str, list[tuple[int, int | None]]] = {}
    rows = LedgerEntry.objects.filter(wallet=wallet, pair_key__in=list(keys))
    rows = rows.exclude(pair_key="")  # the partial index ledger_wallet_pair_key
    for key, pk, pair_id in rows.values_list("pair_key", "pk", "pair_id"):
        legs.setdefault(key, []).append((pk, pair_id))
    for found in legs.values():
        if len(found) == 2 and found[0][1] is None and found[1][1] is None:
            LedgerEntry.objects.filter(pk=found[0][0]).update(pair_id=found[1][0])


def _record_failure(
    account: Account,
    state: AccountFetchState,
    exc: ProviderError,
    now: datetime,
    took: float,
    result: SyncResult,
) -> SyncResult:
    state.refresh_from_db()
    state.failures += 1
    state.error = str(exc)[:2000]
    state.error_at = now
    state.last_attempt_at = now
    state.last_duration_seconds = took
    state.requests = result.requests
    if isinstance(exc, AccountRejected):
        state.next_retry_at = None
        Account.objects.filter(pk=account.pk).update(valid=False, invalid_reason=state.error)
    elif exc.retryable:
        state.next_retry_at = now + backoff(state.failures, exc.retry_after)
    else:
        state.next_retry_at = now + timedelta(seconds=BACKOFF_MAX_SECONDS)
    state.save()
    logger.warning(
        "fetch of account %s (%s) failed (%s): %s",
        account.pk,
        account.exchange,
        "will retry" if exc.retryable else "final",
        exc,
    )
    result.ok = False
    result.error = state.error
    result.retry_at = state.next_retry_at
    return result


def _touch_portfolio(account: Account, now: datetime) -> None:
    from portfolios.models import Portfolio

    Portfolio.objects.filter(pk=account.portfolio_id).update(
        balances_last_updated=now, histories_last_updated=now
    )
