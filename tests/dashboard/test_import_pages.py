"""Statement import pages: upload, preview (a dry run), confirm or cancel; the kept file is
the user's alone, limited in size and deleted afterwards; a refused file names its line and
stores nothing; the imports list, one import, and undo."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ledger.models import Import, LedgerEntry
from tests.dashboard.conftest import assert_login_redirect, import_statement

pytestmark = pytest.mark.django_db

STATEMENTS = Path(settings.BASE_DIR) / "tests" / "ingest" / "statements"


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path) -> Path:
    settings.DASHBOARD_UPLOAD_DIR = tmp_path / "uploads"
    return tmp_path / "uploads"


def statement(name: str = "v5.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (STATEMENTS / name).read_bytes(), content_type="text/csv")


def url(name: str, portfolio, *args) -> str:
    return reverse(f"dashboard:{name}", args=[portfolio.pk, *args])


def kept_files(upload_dir: Path) -> list[Path]:
    return sorted(upload_dir.rglob("*.csv")) if upload_dir.exists() else []


def preview(client, portfolio, **data):
    response = client.post(url("import-new", portfolio), {"file": statement(), **data})
    assert response.status_code == 302, response.content.decode()[:500]
    return response["Location"]


# --- access -----------------------------------------------------------------------------------


def test_signed_out_goes_to_sign_in(anon_client, alice, portfolio):
    imp = import_statement(portfolio, alice).imp
    for target in (
        url("import-list", portfolio),
        url("import-new", portfolio),
        url("import-preview", portfolio, "A" * 22),
        url("import-detail", portfolio, imp.pk),
        url("import-undo", portfolio, imp.pk),
    ):
        assert_login_redirect(anon_client.get(target), target)
        assert_login_redirect(anon_client.post(target), target)
    assert Import.objects.count() == 1


def test_another_user_gets_not_found(bob_client, alice, portfolio):
    imp = import_statement(portfolio, alice).imp
    for target in (
        url("import-list", portfolio),
        url("import-new", portfolio),
        url("import-detail", portfolio, imp.pk),
        url("import-undo", portfolio, imp.pk),
    ):
        assert bob_client.get(target).status_code == 404, target
    assert bob_client.post(url("import-undo", portfolio, imp.pk)).status_code == 404
    response = bob_client.post(url("import-new", portfolio), {"file": statement()})
    assert response.status_code == 404
    assert Import.objects.count() == 1


def test_a_preview_belongs_to_its_user_and_session(
    alice_client, bob, bob_client, portfolio, upload_dir
):
    from portfolios.services import portfolio_create

    location = preview(alice_client, portfolio)
    token = location.rstrip("/").rsplit("/", 1)[-1]
    bobs = portfolio_create(user=bob, title="Bob's", currency_codes=["usd"], source="test")
    # Bob cannot reach it through Alice's portfolio, nor through his own with her token
    assert bob_client.get(location).status_code == 404
    assert bob_client.get(url("import-preview", bobs, token)).status_code == 404
    assert (
        bob_client.post(url("import-preview", bobs, token), {"action": "confirm"}).status_code
        == 404
    )
    # and a token that is not one is simply not found (never part of a path)
    assert alice_client.get(url("import-preview", portfolio, "..%2F..%2Fetc")).status_code == 404
    assert alice_client.get(url("import-preview", portfolio, "x" * 22)).status_code == 404
    assert Import.objects.count() == 0 and len(kept_files(upload_dir)) == 1


# --- upload, preview, confirm, cancel -----------------------------------------------------------


def test_upload_form(alice_client, portfolio):
    response = alice_client.get(url("import-new", portfolio))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html and 'name="file"' in html
    assert 'value="Coinbase"' in html  # the default wallet
    assert "50 MiB" in html


def test_preview_shows_what_would_be_imported_and_stores_nothing(
    alice_client, portfolio, upload_dir
):
    location = preview(alice_client, portfolio)
    # Nothing stored but the kept file, under the user's own directory
    assert Import.objects.count() == 0 and LedgerEntry.objects.count() == 0
    files = kept_files(upload_dir)
    assert len(files) == 1 and files[0].parent.name == str(portfolio.user_id)
    response = alice_client.get(location)
    assert response.status_code == 200
    answer = response.context["answer"]
    assert answer["dry_run"] and answer["rows_added"] > 0 and answer["rows_duplicate"] == 0
    html = response.content.decode()
    assert "Preview: “v5.csv”" in html and "Not imported yet" in html
    assert "Rows by type" in html and "Holdings change" in html
    assert f"Import {answer['rows_added']} new rows" in html
    for row in answer["rows_by_type"]:
        assert row["type"] in html
    # v5.csv sells more than it shows bought: the preview says so, with the line
    (missing,) = answer["missing_acquisitions"]
    assert "Missing acquisitions" in html and f"line {missing['line']}" in html
    assert Import.objects.count() == 0


def test_confirm_imports_the_previewed_file_and_deletes_it(alice_client, portfolio, upload_dir):
    location = preview(alice_client, portfolio, wallet="Coinbase Pro")
    expected = alice_client.get(location).context["answer"]["rows_added"]
    response = alice_client.post(location, {"action": "confirm"})
    imp = Import.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("import-detail", portfolio, imp.pk)
    assert imp.rows_added == expected and imp.wallet.name == "Coinbase Pro"
    assert LedgerEntry.objects.filter(source_import=imp).count() == expected
    assert kept_files(upload_dir) == []
    page = alice_client.get(response["Location"]).content.decode()
    assert f"Imported “v5.csv”: {expected} new rows in Coinbase Pro, 0 already there." in page
    # The preview is gone: confirming twice imports nothing more
    assert alice_client.post(location, {"action": "confirm"}).status_code == 404
    assert Import.objects.count() == 1


def test_cancel_stores_nothing_and_deletes_the_file(alice_client, portfolio, upload_dir):
    location = preview(alice_client, portfolio)
    response = alice_client.post(location, {"action": "cancel"})
    assert response.status_code == 302
    assert response["Location"] == url("import-list", portfolio)
    assert Import.objects.count() == 0 and kept_files(upload_dir) == []
    page = alice_client.get(response["Location"]).content.decode()
    assert "Nothing was imported from “v5.csv”." in page
    assert alice_client.get(location).status_code == 404


# Four data rows after a two-line preamble and the header; the Convert and the crypto-for-crypto
# trade each make two ledger rows (what left, what arrived): 4 rows of the file, 6 ledger rows.
FOUR_ROWS = """Transactions
User,Test User,00000000-0000-4000-8000-000000000002
ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,Price at Transaction,\
Subtotal,Total (inclusive of fees and/or spread),Fees and/or Spread,Notes
a1,2024-01-05 10:00:00 UTC,Buy,BTC,0.05,USD,"$40,000.00","$2,000.00","$2,020.00",$20.00,\
Bought 0.05 BTC for 2020 USD
a2,2024-02-01 10:00:00 UTC,Convert,BTC,-0.01,USD,"$42,000.00",-$420.00,-$416.00,$4.00,\
Converted 0.01 BTC to 416 USDC
a3,2024-03-01 10:00:00 UTC,Advanced Trade Buy,ETH,0.1,USD,"$3,000.00",$300.00,$300.00,$0,\
Bought 0.1 ETH for 0.005 BTC on ETH-BTC at 0.05 BTC/ETH
a4,2024-04-01 00:00:00 UTC,Staking Income,ETH,0.001,USD,"$3,500.00",$3.50,$3.50,$0,

"""  # (a backslash at the end of a line joins it with the next)


def test_the_preview_counts_the_rows_of_the_file_not_ledger_rows(alice_client, portfolio):
    upload = SimpleUploadedFile("four.csv", FOUR_ROWS.encode(), content_type="text/csv")
    response = alice_client.post(url("import-new", portfolio), {"file": upload})
    assert response.status_code == 302, response.content.decode()[:500]
    page = alice_client.get(response["Location"])
    answer = page.context["answer"]
    assert (answer["file_rows"], answer["rows_read"], answer["rows_added"]) == (4, 6, 6)
    html = page.content.decode()
    assert "<div><dt>Rows in the file</dt><dd>4</dd></div>" in html
    assert "The 4 rows of the file make 6 ledger rows" in html

    # Confirmed, the import's page counts the same way
    alice_client.post(response["Location"], {"action": "confirm"})
    imp = Import.objects.get()
    detail = alice_client.get(url("import-detail", portfolio, imp.pk)).content.decode()
    assert "<div><dt>Rows in the file</dt><dd>4</dd></div>" in detail


def test_second_upload_of_the_same_file_previews_duplicates(alice, alice_client, portfolio):
    import_statement(portfolio, alice, "tests/ingest/statements/v5.csv")
    response = alice_client.get(preview(alice_client, portfolio))
    answer = response.context["answer"]
    assert answer["rows_added"] == 0 and answer["rows_duplicate"] > 0
    html = response.content.decode()
    assert "This file was imported before into Coinbase" in html
    assert "Record the import (nothing new)" in html


def test_malformed_statement_names_its_line_and_stores_nothing(alice_client, portfolio, upload_dir):
    response = alice_client.post(
        url("import-new", portfolio),
        {"file": statement("malformed_bad_quantity.csv"), "wallet": "My exchange"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The file was not imported, and nothing was stored." in html
    assert "Line 10: quantity &#x27;1O.5x&#x27; is not a number." in html
    assert response.context["form"]["wallet"].value() == "My exchange"  # input kept
    assert Import.objects.count() == 0 and LedgerEntry.objects.count() == 0
    assert kept_files(upload_dir) == []


@pytest.mark.parametrize(
    ("name", "line"),
    [
        ("malformed_truncated_row.csv", "(truncated row?)"),
        ("malformed_unknown_type.csv", "unknown transaction type"),
    ],
)
def test_other_refusals_name_their_line(alice_client, portfolio, name, line):
    response = alice_client.post(url("import-new", portfolio), {"file": statement(name)})
    html = response.content.decode()
    assert response.status_code == 200 and line in html and re.search(r"Line \d+: ", html)
    assert Import.objects.count() == 0


def test_missing_file_and_empty_file_are_refused(alice_client, portfolio):
    response = alice_client.post(url("import-new", portfolio), {"wallet": "Coinbase"})
    assert "Choose the statement file to upload." in response.content.decode()
    empty = SimpleUploadedFile("empty.csv", b"", content_type="text/csv")
    response = alice_client.post(url("import-new", portfolio), {"file": empty})
    assert "The file is empty." in response.content.decode()
    assert Import.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused_unread(
    alice_client, portfolio, settings, upload_dir
):
    settings.MAX_UPLOAD_SIZE = 1000
    response = alice_client.post(
        url("import-new", portfolio),
        {"wallet": "Big", "file": statement()},  # the form's order
    )
    assert response.status_code == 413
    html = response.content.decode()
    assert "The file is larger than the 1000 bytes this server accepts." in html
    assert response.context["form"]["wallet"].value() == "Big"
    assert Import.objects.count() == 0 and kept_files(upload_dir) == []


def test_csrf_is_still_checked_on_upload(alice, portfolio):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(url("import-new", portfolio), {"file": statement()})
    assert response.status_code == 403
    assert Import.objects.count() == 0


def test_abandoned_previews_are_swept(alice_client, portfolio, upload_dir):
    import os
    import time

    preview(alice_client, portfolio)
    (old,) = kept_files(upload_dir)
    past = time.time() - 2 * 24 * 3600
    os.utime(old, (past, past))
    preview(alice_client, portfolio)
    files = kept_files(upload_dir)
    assert len(files) == 1 and files[0] != old


# --- list, detail, undo -------------------------------------------------------------------------


def test_list_detail_and_missing_acquisitions(alice, alice_client, portfolio):
    imp = import_statement(portfolio, alice, "tests/ingest/statements/v5.csv").imp
    html = alice_client.get(url("import-list", portfolio)).content.decode()
    assert "v5.csv" in html and url("import-detail", portfolio, imp.pk) in html
    assert url("import-undo", portfolio, imp.pk) in html
    detail = alice_client.get(url("import-detail", portfolio, imp.pk))
    assert detail.status_code == 200
    page = detail.content.decode()
    assert f"<dd>{imp.rows_added}</dd>" in page and "Imported" in page
    missing = detail.context["answer"]["missing_acquisitions"]
    for item in missing:
        assert item["currency"].upper() in page


def test_empty_list_invites_to_import(alice_client, portfolio):
    html = alice_client.get(url("import-list", portfolio)).content.decode()
    assert "No statements imported yet" in html


def test_undo_asks_first_then_removes_exactly_its_rows(alice, alice_client, portfolio):
    imp = import_statement(portfolio, alice, "tests/ingest/statements/v5.csv").imp
    other = import_statement(portfolio, alice, "tests/ingest/statements/v1_usd.csv").imp
    rows = imp.rows_added
    target = url("import-undo", portfolio, imp.pk)
    html = alice_client.get(target).content.decode()
    assert "Undo the import of “v5.csv”?" in html
    assert Import.objects.filter(pk=imp.pk).exists()
    response = alice_client.post(target)
    assert response.status_code == 302 and response["Location"] == url("import-list", portfolio)
    assert not Import.objects.filter(pk=imp.pk).exists()
    assert not LedgerEntry.objects.filter(source_import_id=imp.pk).exists()
    assert LedgerEntry.objects.filter(source_import=other).count() == other.rows_added
    page = alice_client.get(response["Location"]).content.decode()
    assert f"Import of “v5.csv” undone: {rows} rows removed." in page
