"""The Import admin (registered by dashboard/admin.py): a list with counts, the detail with its
summary, undo as an action through ingest.services.import_undo, and no bare delete (a cascade
would leave the wallet's holdings stale)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib import admin

from ledger.models import Import, LedgerEntry
from tests.ingest.conftest import holdings, ok, statement, upload


def test_the_import_admin_is_registered():
    assert admin.site.is_registered(Import)


@pytest.fixture
def two_imports(api, portfolio):
    first = ok(upload(api, portfolio, statement("l2_tax_report.csv"), name="l2.csv"), 201)
    second = ok(upload(api, portfolio, statement("v5.csv"), name="v5.csv"), 201)
    return first, second


def test_list_and_detail(admin_client, two_imports):
    first, second = two_imports

    page = admin_client.get("/admin/ledger/import/")
    assert page.status_code == 200
    assert b"v5.csv" in page.content and b"l2.csv" in page.content

    detail = admin_client.get(f"/admin/ledger/import/{second['id']}/change/")
    assert detail.status_code == 200
    assert b"missing acquisition: Coinbase disposed of 0.5 SOL" in detail.content
    assert admin_client.get("/admin/ledger/import/add/").status_code == 403


def test_undo_action_removes_exactly_the_import(admin_client, portfolio, two_imports):
    first, second = two_imports

    response = admin_client.post(
        "/admin/ledger/import/",
        {"action": "undo_imports", "_selected_action": [second["id"]]},
        follow=True,
    )

    assert response.status_code == 200
    assert b"11 ledger rows removed" in response.content
    assert list(Import.objects.values_list("id", flat=True)) == [first["id"]]
    assert set(LedgerEntry.objects.values_list("source_import_id", flat=True)) == {first["id"]}
    assert holdings(portfolio) == {"btc": Decimal("0.25"), "eth": Decimal("5")}


def test_no_bare_delete(admin_client, two_imports):
    first, _ = two_imports
    response = admin_client.post(f"/admin/ledger/import/{first['id']}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert LedgerEntry.objects.filter(source_import=first["id"]).exists()
