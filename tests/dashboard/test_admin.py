"""Admin: every data model the dashboard shows is reachable in /admin/, each changelist loads
in the same number of queries for 2 rows as for 30 (no query per row), and the actions call
the services."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from addresses.models import Address, AddressFetchState, AddressTransaction
from currencies.models import Currency
from ledger.models import Import, LedgerEntry, Transfer, Wallet
from offsets.services import offset_create
from portfolios.services import portfolio_create
from prices.models import Price, SpotPrice
from users.models import User
from users.services import api_key_create

pytestmark = pytest.mark.django_db

_n = itertools.count(1)
T0 = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture
def staff() -> Client:
    user = User.objects.create_superuser(email="ops@example.com", password="ops-password-1")
    client = Client()
    client.force_login(user)
    return client


def _owner() -> User:
    return User.objects.create_user(email=f"owner{next(_n)}@example.com", password="x-pass-1")


def _portfolio(user=None):
    return portfolio_create(
        user=user or _owner(), title=f"P{next(_n)}", currency_codes=["usd"], source="test"
    )


def _address(portfolio=None) -> Address:
    return Address.objects.create(
        portfolio=portfolio or _portfolio(),
        title=f"A{next(_n)}",
        address=f"addr-{next(_n)}",
        currency=Currency.objects.get(code="btc"),
    )


def _wallet(portfolio=None) -> Wallet:
    return Wallet.objects.create(
        portfolio=portfolio or _portfolio(), kind=Wallet.IMPORT, name=f"W{next(_n)}"
    )


def _entry(wallet: Wallet, kind: str = "buy") -> LedgerEntry:
    return LedgerEntry.objects.create(
        portfolio=wallet.portfolio,
        wallet=wallet,
        kind=kind,
        asset=Currency.objects.get(code="btc"),
        quantity=Decimal("1"),
        occurred_at=T0 + timedelta(hours=next(_n)),
        value=Decimal("10"),
        value_currency=Currency.objects.get(code="usd"),
        value_source=LedgerEntry.VALUE_FILE,
        external_id=f"e{next(_n)}",
    )


def _transfer(_):
    out, into = _wallet(), None
    into = _wallet(out.portfolio)
    Transfer.objects.create(
        portfolio=out.portfolio,
        out_entry=_entry(out, "unclassified_out"),
        in_entry=_entry(into, "unclassified_in"),
    )


def _import(_):
    wallet = _wallet()
    Import.objects.create(
        portfolio=wallet.portfolio,
        wallet=wallet,
        user=wallet.portfolio.user,
        file_name=f"f{next(_n)}.csv",
        file_sha256="0" * 64,
    )


def _spot(i):
    base = Currency.objects.filter(is_cryptocurrency=True).order_by("code")[i]
    SpotPrice.objects.create(
        base=base,
        quote=Currency.objects.get(code="usd"),
        price=Decimal("1"),
        at=T0,
        fetched_at=T0,
        source="test",
    )


def _fetch_state(_):
    AddressFetchState.objects.create(
        address=_address(), balances_fetched_at=T0, error="HTTP 503", error_at=T0, failures=2
    )


MAKERS = {
    "users.user": lambda i: _owner(),
    "users.apikey": lambda i: api_key_create(user=_owner(), name=f"k{i}", scopes=["read"]),
    "currencies.currency": lambda i: Currency.objects.create(code=f"zz{next(_n)}", title="Z"),
    "portfolios.portfolio": lambda i: _portfolio(),
    "addresses.address": lambda i: _address(),
    "addresses.addresstransaction": lambda i: AddressTransaction.objects.create(
        address=_address(),
        currency=Currency.objects.get(code="btc"),
        key=f"k{next(_n)}",
        reference=f"r{next(_n)}",
        delta=Decimal("1"),
        txn_at=T0,
        source="test",
    ),
    "addresses.addressfetchstate": _fetch_state,
    "offsets.offset": lambda i: offset_create(
        portfolio=_portfolio(),
        title="O",
        balances=[{"currency": "btc", "balance": "1"}],
        source="test",
    ),
    "prices.spotprice": _spot,
    "prices.price": lambda i: Price.objects.create(
        base=Currency.objects.get(code="btc"),
        quote=Currency.objects.get(code="usd"),
        at=T0 + timedelta(days=next(_n)),
        price=Decimal("1"),
        source="test",
    ),
    "ledger.wallet": lambda i: _wallet(),
    "ledger.ledgerentry": lambda i: _entry(_wallet()),
    "ledger.transfer": _transfer,
    "ledger.import": _import,
}


def test_the_dashboards_data_is_reachable_in_the_admin():
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert set(MAKERS) <= registered


def _changelist_queries(client: Client, label: str) -> int:
    app, model = label.split(".")
    url = reverse(f"admin:{app}_{model}_changelist")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, label
    return len(captured)


@pytest.mark.parametrize("label", sorted(MAKERS))
def test_changelist_queries_do_not_grow_with_rows(staff, label):
    make = MAKERS[label]
    for i in range(2):
        make(i)
    _changelist_queries(staff, label)  # warm the session and the content types
    two = _changelist_queries(staff, label)
    for i in range(2, 30):
        make(i)
    assert _changelist_queries(staff, label) == two


def test_fetch_state_list_filters_failing_and_refreshes(staff):
    from django.core.cache import cache

    _fetch_state(0)
    fine = AddressFetchState.objects.create(address=_address(), balances_fetched_at=T0)
    url = reverse("admin:addresses_addressfetchstate_changelist")
    response = staff.get(url, {"state": "failing"})
    assert response.context["cl"].result_count == 1
    response = staff.post(
        url, {"action": "refresh_now", "_selected_action": [fine.pk], "state": "ok"}
    )
    assert response.status_code == 302
    assert cache.get(f"enqueued:address:{fine.pk}") is not None


def test_import_undo_action_removes_its_rows(staff, alice, portfolio):
    from tests.dashboard.conftest import import_statement

    imp = import_statement(portfolio, alice).imp
    assert LedgerEntry.objects.filter(source_import=imp).exists()
    url = reverse("admin:ledger_import_changelist")
    response = staff.post(url, {"action": "undo_imports", "_selected_action": [imp.pk]})
    assert response.status_code == 302
    assert not Import.objects.exists() and not LedgerEntry.objects.exists()
    # deleting through the admin (which would skip the holdings) is not offered
    assert staff.get(reverse("admin:ledger_import_delete", args=[imp.pk])).status_code in (
        302,
        403,
        404,
    )


def test_import_change_page_and_recompute_action(staff, alice, portfolio):
    from tests.dashboard.conftest import import_statement

    imp = import_statement(portfolio, alice).imp
    assert staff.get(reverse("admin:ledger_import_change", args=[imp.pk])).status_code == 200
    url = reverse("admin:ledger_import_changelist")
    for action in ("recompute_holdings", "rerun_after_import"):
        response = staff.post(url, {"action": action, "_selected_action": [imp.pk]})
        assert response.status_code == 302, action
