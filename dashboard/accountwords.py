"""An exchange account's sync state in plain words: when it was last synced, why the last sync
failed and when it is tried again, a key the exchange refused, a key that can move funds.
``account_words`` is pure: the views pass the account and its fetch state in;
``account_rows`` loads a portfolio's accounts for its overview in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.humanize.templatetags.humanize import naturaltime
from django.db.models import Prefetch

from accounts.models import Account, AccountBalance
from accounts.selectors import account_list
from accounts.sync import REFRESH_INTERVAL
from dashboard.fetchwords import clock, error_reason, times

# ccxt's exception names, as the sync stores them at the start of the error ("NetworkError: …").
_CCXT_REASONS = (
    (("RateLimitExceeded", "DDoSProtection"), "{who} asked us to slow down (too many requests)"),
    (("RequestTimeout",), "{who} did not answer (timeout)"),
    (("OnMaintenance", "ExchangeNotAvailable"), "{who} is unavailable (down or in maintenance)"),
    (("NetworkError",), "{who} could not be reached (network error)"),
)


def sync_reason(error: str, *, who: str) -> str:
    """A plain reason for a stored sync error: ccxt's kinds of failure first, then the
    explorers' usual ones (timeouts, HTTP statuses...)."""
    head = (error or "").split(":", 1)[0].strip()
    for names, words in _CCXT_REASONS:
        if head in names:
            return words.format(who=who)
    return error_reason(error, who=who)


def refusal_reason(stored: str, *, code: str) -> str:
    """The exchange's own reason of a refused key, without ccxt's exception name and the
    exchange id in front: ``AuthenticationError: kraken {"error":["EAPI:Invalid key"]}`` →
    ``{"error":["EAPI:Invalid key"]}``."""
    text = (stored or "").strip()
    head, _, rest = text.partition(": ")
    if rest and head.isidentifier():
        text = rest.strip()
    if text.lower().startswith(f"{code} "):
        text = text[len(code) + 1 :].strip()
    return text or "no reason given"


@dataclass(frozen=True)
class AccountWords:
    """``status``: ``pending`` (never synced: the key is being verified), ``ok``, ``stale``,
    ``failing`` (the last sync failed, a retry is planned) or ``refused`` (the exchange refused
    the key: not synced again until the account is edited)."""

    status: str
    synced: str  # "Last synced 5 minutes ago" / "Not synced yet: verifying the key…"
    problem: str = ""
    detail: str = ""  # the stored technical error, for the "details" toggle
    warnings: list[str] = field(default_factory=list)
    history: str = ""


def account_words(account: Any, state: Any, *, now: datetime) -> AccountWords:
    exchange = account.exchange_title
    fetched_at = state.balances_fetched_at if state else None
    synced = f"Last synced {naturaltime(fetched_at)}" if fetched_at else ""
    warnings = []
    if account.warning:
        warning = account.warning.strip()
        warnings.append(warning[:1].upper() + warning[1:])
    history = ""
    if state is not None and fetched_at is not None:
        history = (
            "Its whole history is read; new rows are added at each sync."
            if state.history_complete
            else "Reading its history from the start (older rows are still on their way)."
        )
        backfill = state.backfill or {}
        if backfill and not backfill.get("done"):
            history = (
                f"Reading its history again from {backfill.get('from') or 'the start'}: "
                f"{backfill.get('pages', 0)} pages read, {backfill.get('added', 0)} rows added."
            )
    if not account.valid:
        reason = refusal_reason(account.invalid_reason, code=account.exchange)
        return AccountWords(
            "refused",
            synced or "Never synced.",
            f"This key was refused by {exchange}: {reason} — edit the account with a new key.",
            "",
            warnings,
            history,
        )
    error = state.error if state else ""
    error_at = state.error_at if state else None
    if error and error_at is not None and (fetched_at is None or error_at > fetched_at):
        problem = (
            f"Syncing failed {times(max(state.failures, 1))}: {sync_reason(error, who=exchange)}."
        )
        if state.next_retry_at is not None:
            problem += f" Next try at {clock(state.next_retry_at, now=now)}."
        return AccountWords(
            "failing", synced or "Not synced yet.", problem, error, warnings, history
        )
    if fetched_at is None:
        return AccountWords(
            "pending",
            f"Not synced yet: checking the key with {exchange} (pending verification).",
            warnings=warnings,
        )
    if fetched_at < now - REFRESH_INTERVAL:
        return AccountWords(
            "stale", f"{synced} — syncing again in the background.", "", "", warnings, history
        )
    return AccountWords("ok", synced, "", "", warnings, history)


def account_rows(portfolio: Any, *, now: datetime) -> list[tuple[Account, AccountWords]]:
    """A portfolio's accounts with their balances and sync words, for its overview."""
    accounts = (
        account_list(portfolio=portfolio)
        .select_related("fetch_state")
        .prefetch_related(
            Prefetch(
                "balances",
                queryset=AccountBalance.objects.select_related("currency").order_by(
                    "currency__code"
                ),
            )
        )
    )
    return [
        (account, account_words(account, getattr(account, "fetch_state", None), now=now))
        for account in accounts
    ]
