"""Reads the dashboard needs that the apps' own selectors do not offer (yet). Every one is
filtered by owner, like the apps' selectors, and keeps its query count fixed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import F, Min, Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, RefreshToken

from addresses.models import AddressBalance
from core.scopes import SCOPES
from offsets.models import OffsetBalance
from portfolios.models import Portfolio, PortfolioCurrency
from portfolios.selectors import portfolio_get_detailed, portfolio_list
from users.models import ApiKey, User


def portfolio_menu(*, user: User) -> QuerySet[Portfolio]:
    """The user's portfolios for the top bar: id and title only."""
    return Portfolio.objects.filter(user=user).only("id", "title").order_by("title", "id")


def portfolio_overview(*, user: User) -> QuerySet[Portfolio]:
    """``portfolios.selectors.portfolio_list`` (with its counts) plus the reporting currencies
    in the user's order, in two queries whatever the number of portfolios."""
    return portfolio_list(user=user).prefetch_related(
        Prefetch(
            "reporting_currencies", queryset=PortfolioCurrency.objects.select_related("currency")
        )
    )


def portfolio_page(*, user: User, portfolio_id: int | str) -> Portfolio:
    """The portfolio with its currencies, addresses, offsets and the offsets' balances, in a
    fixed number of queries. Raises NotFound for another user's portfolio."""
    portfolio = portfolio_get_detailed(user=user, portfolio_id=portfolio_id)
    prefetch_related_objects(
        list(portfolio.offsets.all()),
        Prefetch("balances", queryset=OffsetBalance.objects.select_related("currency")),
    )
    prefetch_related_objects(
        list(portfolio.addresses.all()),
        "fetch_state",
        Prefetch("balances", queryset=AddressBalance.objects.select_related("currency")),
    )
    return portfolio


def address_with_state(*, address: Any) -> Any:
    """The address (already owner-checked) with its fetch state loaded afresh: a fetch that
    just ran in this request (no broker) is seen."""
    from addresses.models import AddressFetchState

    address.fetch_state = AddressFetchState.objects.filter(address=address).first()
    return address


def portfolio_first_day(*, portfolio: Portfolio) -> date | None:
    """The UTC day of the portfolio's earliest known movement (a ledger row, an address
    transaction, an offset): where "all" of its value history starts. Three queries."""
    from addresses.models import AddressTransaction
    from ledger.models import LedgerEntry
    from offsets.models import Offset

    moments = [
        LedgerEntry.objects.filter(portfolio=portfolio).aggregate(m=Min("occurred_at"))["m"],
        AddressTransaction.objects.filter(address__portfolio=portfolio).aggregate(m=Min("txn_at"))[
            "m"
        ],
        Offset.objects.filter(portfolio=portfolio).aggregate(m=Min("created_at"))["m"],
    ]
    known = [m for m in moments if m is not None]
    return min(known).date() if known else None


# --- OAuth2: apps the user authorized ----------------------------------------------------------


@dataclass
class ConnectedApp:
    """An OAuth2 application holding live tokens for the user."""

    application: Application
    scopes: list[tuple[str, str]] = field(default_factory=list)  # (name, plain-words description)
    first_authorized: datetime | None = None
    last_active: datetime | None = None
    tokens: int = 0

    @property
    def refreshed_later(self) -> bool:
        """Whether a token was issued well after the first one (a refresh, a new consent)."""
        if self.first_authorized is None or self.last_active is None:
            return False
        return (self.last_active - self.first_authorized).total_seconds() > 60


def connected_apps(*, user: User) -> list[ConnectedApp]:
    """Applications with an unexpired access token or an unrevoked refresh token of the user,
    with the union of the scopes granted, by application name. Two queries."""
    now = timezone.now()
    apps: dict[int, ConnectedApp] = {}
    scopes: dict[int, set[str]] = {}

    def note(application: Application, created: datetime, scope: str) -> ConnectedApp:
        app = apps.setdefault(application.pk, ConnectedApp(application=application))
        scopes.setdefault(application.pk, set()).update(scope.split())
        app.tokens += 1
        app.first_authorized = min(filter(None, [app.first_authorized, created]))
        app.last_active = max(filter(None, [app.last_active, created]))
        return app

    access_tokens = AccessToken.objects.filter(
        user=user, application__isnull=False, expires__gt=now
    ).select_related("application")
    for token in access_tokens:
        note(token.application, token.created, token.scope)
    refresh_tokens = RefreshToken.objects.filter(
        user=user, application__isnull=False, revoked__isnull=True
    ).select_related("application", "access_token")
    for refresh in refresh_tokens:
        scope = refresh.access_token.scope if refresh.access_token else ""
        note(refresh.application, refresh.created, scope)

    order = list(SCOPES)
    for app_id, app in apps.items():
        names = sorted(scopes[app_id], key=lambda s: order.index(s) if s in order else len(order))
        app.scopes = [(name, SCOPES.get(name, name)) for name in names]
    return sorted(apps.values(), key=lambda a: (a.application.name.lower(), a.application.pk))


# --- Developer: the user's own OAuth2 apps and API keys -----------------------------------


def developer_applications(*, user: User) -> QuerySet[Application]:
    return Application.objects.filter(user=user).order_by("name", "id")


def api_key_list(*, user: User) -> QuerySet[ApiKey]:
    """The user's API keys, active ones first, newest first."""
    return ApiKey.objects.filter(user=user).order_by(
        F("revoked_at").desc(nulls_first=True), "-created_at", "-id"
    )


# --- Choices for forms (public data, not owned by anyone) ---------------------------------


def address_currency_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped <select> choices of the currencies an address can be added for: the chains
    with validation, then Ethereum tokens. One query."""
    from addresses.chains import SUPPORTED
    from currencies.models import Currency

    rows = Currency.objects.filter(Q(code__in=list(SUPPORTED)) | Q(is_ethereum_token=True)).only(
        "code", "title", "is_ethereum_token"
    )
    coins = [(c.code, f"{c.code.upper()} — {c.title}") for c in rows if not c.is_ethereum_token]
    coins.sort(
        key=lambda choice: list(SUPPORTED).index(choice[0]) if choice[0] in SUPPORTED else 99
    )
    tokens = [(c.code, f"{c.code.upper()} — {c.title}") for c in rows if c.is_ethereum_token]
    return [("Coins", coins), ("Ethereum tokens", tokens)]


def currency_codes() -> list[tuple[str, str]]:
    """(code, title) of every currency, for the code suggestions of text fields."""
    from currencies.models import Currency

    return list(Currency.objects.order_by("code").values_list("code", "title"))


# --- Statement imports and the ledger -------------------------------------------------------


@dataclass
class ImportsPage:
    """The portfolio's imports (newest first), the missing acquisitions of its whole history,
    and those grouped by the import whose row first runs short."""

    imports: QuerySet[Any]
    missing: list[Any]
    missing_by_import: dict[int | None, list[Any]]


def imports_page(*, portfolio: Portfolio) -> ImportsPage:
    from ingest.selectors import import_list, missing_acquisitions

    missing = list(missing_acquisitions(portfolio))
    by_import: dict[int | None, list[Any]] = {}
    for item in missing:
        by_import.setdefault(item.import_id, []).append(item)
    return ImportsPage(import_list(portfolio=portfolio), missing, by_import)


def import_wallet_names(*, portfolio: Portfolio) -> list[str]:
    """Names of the portfolio's wallets a statement can be imported into."""
    from ledger.models import Wallet

    return list(
        Wallet.objects.filter(portfolio=portfolio, kind__in=(Wallet.IMPORT, Wallet.ACCOUNT))
        .order_by("name")
        .values_list("name", flat=True)
    )


def ledger_wallets(*, portfolio: Portfolio) -> QuerySet[Any]:
    """Every wallet of the portfolio (the transaction list's wallet filter)."""
    from ledger.models import Wallet

    return Wallet.objects.filter(portfolio=portfolio).order_by("kind", "name")


def ledger_assets(*, portfolio: Portfolio) -> list[tuple[str, str]]:
    """(code, "CODE — title") of the currencies the portfolio's ledger has rows of."""
    from currencies.models import Currency
    from ledger.models import LedgerEntry

    ids = LedgerEntry.objects.filter(portfolio=portfolio).values("asset_id").distinct()
    return [
        (code, f"{code.upper()} — {title}")
        for code, title in Currency.objects.filter(pk__in=ids)
        .order_by("code")
        .values_list("code", "title")
    ]


def fiat_choices(*, portfolio: Portfolio) -> list[tuple[str, str]]:
    """Fiat currencies for a value: the portfolio's fiat reporting currencies first, then the
    others by code."""
    from currencies.models import Currency

    first = list(
        PortfolioCurrency.objects.filter(portfolio=portfolio, currency__is_fiat=True).values_list(
            "currency__code", flat=True
        )
    )
    rest = Currency.objects.filter(is_fiat=True).exclude(code__in=first).order_by("code")
    return [(c, c.upper()) for c in first] + [
        (c, c.upper()) for c in rest.values_list("code", flat=True)
    ]
