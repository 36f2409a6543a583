"""Connecting, editing and removing exchange accounts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.crypto import encrypt_credentials
from accounts.exchanges import wallet_info
from accounts.models import Account, AccountBalance, AccountFetchState
from core.exceptions import ValidationFailed
from ledger.models import LedgerEntry
from ledger.services import after_ledger_change
from portfolios.models import Portfolio


def check_credentials(exchange: str, raw: Any) -> dict[str, str]:
    """The credentials the exchange needs, every one given and text. Sentences name the fields,
    never their values."""
    info = wallet_info(exchange)
    if info is None:
        raise ValidationFailed(f"unknown wallet '{exchange}'; see /api/wallets")
    if not isinstance(raw, dict):
        raise ValidationFailed(f"credentials must be an object with {', '.join(info.credentials)}")
    problems = []
    clean: dict[str, str] = {}
    for name in info.credentials:
        value = raw.get(name)
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if value is None or (isinstance(value, str) and not value.strip()):
            problems.append(f"credentials.{name} is required for {info.title}")
        elif not isinstance(value, str):
            problems.append(f"credentials.{name} must be text")
        elif len(value) > 4000:
            problems.append(f"credentials.{name} must be at most 4000 characters")
        else:
            clean[name] = value.strip() if name != "secret" else value.strip()
    extra = sorted(set(raw) - set(info.credentials))
    if extra:
        problems.append(
            f"{info.title} takes only {', '.join(info.credentials)} (not {', '.join(extra)})"
        )
    if problems:
        raise ValidationFailed(problems)
    return clean


def account_create(
    *,
    portfolio: Portfolio,
    title: str | None,
    exchange: str,
    credentials: Any,
    source: str = "private-api",
) -> Account:
    """Store the account (credentials encrypted) and enqueue its first fetch, which checks the
    key: a bad one turns ``valid`` false with the exchange's reason."""
    from accounts.tasks import account_fetch_enqueue

    clean = check_credentials(exchange, credentials)
    with transaction.atomic():
        account = Account.objects.create(
            portfolio=portfolio,
            title=title or "",
            exchange=exchange,
            credentials=encrypt_credentials(clean),
            source=source,
        )
        account_fetch_enqueue(account.pk)
    return account


def account_update(
    *,
    account: Account,
    title: str | None = None,
    exchange: str | None = None,
    credentials: Any = None,
) -> Account:
    """Change the title, or the credentials (and with them, the exchange): new credentials make
    the account valid again, clear its failures and fetch it at once. Another exchange needs
    new credentials and starts the account over (its balances, cursors and ledger rows of the
    old exchange go)."""
    from accounts.tasks import account_fetch_enqueue

    exchange_changed = exchange is not None and exchange != account.exchange
    if exchange_changed and credentials is None:
        raise ValidationFailed("a new wallet needs its credentials too")
    clean = check_credentials(exchange or account.exchange, credentials) if credentials else None
    with transaction.atomic():
        if title is not None:
            account.title = title
        if clean is not None:
            if exchange_changed:
                _forget_history(account)
                account.exchange = exchange  # type: ignore[assignment]
            account.credentials = encrypt_credentials(clean)
            account.valid, account.invalid_reason, account.warning = True, "", ""
            AccountFetchState.objects.filter(account=account).update(
                failures=0, error="", error_at=None, next_retry_at=None
            )
        account.save()
        if clean is not None:
            account_fetch_enqueue(account.pk)
    return account


def _forget_history(account: Account) -> None:
    AccountBalance.objects.filter(account=account).delete()
    AccountFetchState.objects.filter(account=account).delete()
    if account.ledger_wallet_id:
        wallet = account.ledger_wallet
        account.ledger_wallet = None
        account.save(update_fields=["ledger_wallet"])
        if wallet is not None:
            portfolio = account.portfolio
            wallet.delete()
            after_ledger_change(portfolio)


def account_ledger_rows(account: Account) -> int:
    """How many ledger rows removing the account removes (the dashboard's confirmation)."""
    if account.ledger_wallet_id is None:
        return 0
    return LedgerEntry.objects.filter(wallet_id=account.ledger_wallet_id).count()


def account_delete(*, account: Account) -> int:
    """Remove the account, its balances and its ledger rows. Returns how many rows went."""
    with transaction.atomic():
        rows = account_ledger_rows(account)
        portfolio = account.portfolio
        wallet = account.ledger_wallet
        account.delete()
        if wallet is not None:
            wallet.delete()
            after_ledger_change(portfolio)
    return rows


def account_backfill(*, account: Account, since: date | None, dry_run: bool) -> dict[str, Any]:
    """Read the account's history again from ``since`` (or from its start): every kind's cursor
    goes back there and a fetch is enqueued; rows already stored are not stored twice, so only
    what the earlier syncs missed is added. ``dry_run`` changes nothing and says what would
    be read again. Progress (pages read, rows added, done) is on the answer of
    ``account_backfill_progress`` as the fetch goes on."""
    from accounts.tasks import account_fetch_enqueue

    if not account.valid:
        raise ValidationFailed("the account's key was refused: send new credentials first")
    state, _ = AccountFetchState.objects.get_or_create(account=account)
    start_ms = (
        int(datetime.combine(since, datetime.min.time(), tzinfo=UTC).timestamp() * 1000)
        if since
        else None
    )
    moved = {
        key: cursor
        for key, cursor in (state.cursors or {}).items()
        if start_ms is None or (cursor is not None and cursor > start_ms)
    }
    rows = LedgerEntry.objects.none()
    if account.ledger_wallet_id is not None:
        rows = LedgerEntry.objects.filter(wallet_id=account.ledger_wallet_id)
        if since is not None:
            rows = rows.filter(occurred_at__date__gte=since)
    answer: dict[str, Any] = {
        "from": since.isoformat() if since else None,
        "dry_run": dry_run,
        "cursors_moved": sorted(moved),
        "rows_stored_since": rows.count(),
    }
    if dry_run:
        return answer
    with transaction.atomic():
        if start_ms is None:
            state.cursors = {}
        else:
            state.cursors = {
                key: min(cursor, start_ms) for key, cursor in (state.cursors or {}).items()
            }
        state.backfill = {
            "from": answer["from"],
            "started_at": timezone.now().isoformat(),
            "pages": 0,
            "added": 0,
            "done": False,
        }
        state.save(update_fields=["cursors", "backfill"])
        account_fetch_enqueue(account.pk)
    answer["progress"] = state.backfill
    return answer
