"""The ledger's admin pages load, search and filter (as an operator uses them)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from ledger.models import Transfer, Wallet
from ledger.transfers import transfers_match
from tests.ledger_api.conftest import at, make_entry, make_wallet
from users.models import User


@pytest.fixture
def staff(db) -> Client:
    admin_user = User.objects.create_superuser(email="ops@example.com", password="ops-password-1")
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def rows(portfolio):
    coinbase = make_wallet(portfolio)
    nano = make_wallet(portfolio, "Nano", kind=Wallet.ACCOUNT)
    for i in range(5):
        make_entry(coinbase, "unclassified_out", "1", at(1 + i), reference=f"tx{i}")
        make_entry(nano, "unclassified_in", "1", at(1 + i) + timedelta(hours=1), reference=f"tx{i}")
    transfers_match(portfolio=portfolio)
    return coinbase, nano


@pytest.mark.parametrize("model", ["ledgerentry", "transfer", "wallet"])
def test_changelists_load(staff, rows, model, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = staff.get(f"/admin/ledger/{model}/")
    assert response.status_code == 200


def test_search_and_filters(staff, rows):
    response = staff.get("/admin/ledger/ledgerentry/", {"q": "tx3"})
    assert response.status_code == 200 and response.context["cl"].result_count == 2
    response = staff.get(
        "/admin/ledger/ledgerentry/",
        {"kind__exact": "transfer_in", "wallet__kind__exact": "account"},
    )
    assert response.context["cl"].result_count == 5
    response = staff.get("/admin/ledger/transfer/", {"status__exact": "accepted"})
    assert response.context["cl"].result_count == Transfer.objects.count() == 5


def test_change_pages_load(staff, rows):
    transfer = Transfer.objects.first()
    for url in (
        f"/admin/ledger/transfer/{transfer.pk}/change/",
        f"/admin/ledger/ledgerentry/{transfer.out_entry_id}/change/",
        f"/admin/ledger/wallet/{rows[0].pk}/change/",
    ):
        assert staff.get(url).status_code == 200, url
