"""Reads of exchange accounts, always scoped to a portfolio the caller already owns."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db.models import QuerySet

from accounts.models import Account, AccountBalance
from core.exceptions import NotFound
from ledger.holdings import INFLOW_KINDS
from ledger.models import LedgerEntry
from portfolios.models import Portfolio


def account_list(*, portfolio: Portfolio) -> QuerySet[Account]:
    return Account.objects.filter(portfolio=portfolio).order_by("id")


def account_get(*, portfolio: Portfolio, account_id: int | str) -> Account:
    """One account of the portfolio, or NotFound (also for another user's)."""
    try:
        pk = int(account_id)
    except (TypeError, ValueError):
        raise NotFound("no such account")
    account = Account.objects.filter(portfolio=portfolio, pk=pk).first()
    if account is None:
        raise NotFound("no such account")
    return account


def account_balances(*, account: Account) -> QuerySet[AccountBalance]:
    return (
        AccountBalance.objects.filter(account=account)
        .exclude(balance=0)
        .select_related("currency")
        .order_by("currency__code")
    )


def account_movements(*, account: Account) -> QuerySet[LedgerEntry]:
    """The account's ledger rows, newest first."""
    if account.ledger_wallet_id is None:
        return LedgerEntry.objects.none()
    return (
        LedgerEntry.objects.filter(wallet_id=account.ledger_wallet_id)
        .select_related("asset", "fee_asset", "value_currency")
        .order_by("-occurred_at", "-id")
    )


def account_history(*, account: Account, since: date | None = None) -> list[dict]:
    """Daily balance per currency, oldest first: the exchange's current balance walked back
    through the account's ledger movements (fiat cash included, as the exchange counts it).
    One row per day and currency from the first movement (or ``since``) to today."""
    today = datetime.now(UTC).date()
    since = since or date(1970, 1, 2)
    current = {b.currency.code: (b.currency, b.balance) for b in account_balances(account=account)}
    moves: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    start = today
    refs = {}
    if account.ledger_wallet_id is not None:
        rows = (
            LedgerEntry.objects.filter(wallet_id=account.ledger_wallet_id)
            .select_related("asset")
            .order_by()
        )
        for entry in rows.iterator(chunk_size=5000):
            day = entry.occurred_at.astimezone(UTC).date()
            signed = entry.quantity if entry.kind in INFLOW_KINDS else -entry.quantity
            moves[entry.asset.code][day] += signed
            refs[entry.asset.code] = entry.asset
            start = min(start, day)
    out: list[dict] = []
    codes = sorted(set(current) | set(moves))
    balance = {code: current.get(code, (None, Decimal(0)))[1] for code in codes}
    day = today
    per_day: list[tuple[date, list[dict]]] = []
    while day >= start:
        rows_of_day = []
        for code in codes:
            currency = current[code][0] if code in current else refs[code]
            rows_of_day.append({"date": day, "currency": currency, "balance": balance[code]})
            balance[code] -= moves[code].get(day, Decimal(0))
        per_day.append((day, rows_of_day))
        day -= timedelta(days=1)
    for when, rows_of_day in reversed(per_day):
        if when >= since:
            out.extend(rows_of_day)
    return out


def account_currency_codes_in_use() -> set[str]:
    """Every currency some valid account holds (for the price refresh)."""
    return set(
        AccountBalance.objects.filter(account__valid=True)
        .exclude(balance=0)
        .values_list("currency__code", flat=True)
        .distinct()
    )
