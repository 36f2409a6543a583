"""The dashboard's forms answer text no database can hold (a NUL character; a browser cannot send
a lone surrogate, which arrives as U+FFFD) and files that are not statements with a form error,
never a 500, and store nothing (issue 11)."""

from __future__ import annotations

import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from addresses.models import Address
from ledger.models import Import, LedgerEntry
from offsets.models import Offset
from portfolios.models import Portfolio
from tests.dashboard.conftest import BTC_BECH32

pytestmark = pytest.mark.django_db


def rows() -> tuple[int, ...]:
    return (
        Portfolio.objects.count(),
        Address.objects.count(),
        Offset.objects.count(),
        Import.objects.count(),
        LedgerEntry.objects.count(),
    )


def assert_form_error(response, *words: str) -> None:
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    assert 'role="alert"' in html or 'class="error-text"' in html, html[:2000]
    for word in words:
        assert word in html


@pytest.mark.parametrize(
    "data",
    [
        {"title": "Sav\x00ings", "currencies": "usd"},
        {"title": "Savings", "currencies": "usd, bt\x00c"},
    ],
)
def test_portfolio_form_with_a_nul(alice_client, data):
    before = rows()

    response = alice_client.post(reverse("dashboard:portfolio-new"), data)

    assert_form_error(response, "Null characters are not allowed.")
    assert rows() == before


def test_portfolio_edit_with_a_nul_changes_nothing(alice_client, portfolio):
    target = reverse("dashboard:portfolio-edit", args=[portfolio.pk])

    response = alice_client.post(target, {"title": "x\x00", "currencies": "usd"})

    assert_form_error(response, "Null characters are not allowed.")
    portfolio.refresh_from_db()
    assert portfolio.title == "Main"


def test_a_surrogate_sent_as_utf_8_bytes_is_stored_as_the_replacement_character(alice_client):
    # What a client that encodes a lone surrogate anyway ("surrogatepass") sends: Django reads
    # the bytes it cannot decode as U+FFFD, so nothing unstorable reaches the database.
    response = alice_client.post(
        reverse("dashboard:portfolio-new"),
        b"title=A%ED%A0%80B&currencies=usd",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 302
    assert Portfolio.objects.get().title == "A\ufffd\ufffd\ufffdB"


@pytest.mark.parametrize(
    "data",
    [
        {"title": "Cold\x00", "address": BTC_BECH32, "currency": "btc"},
        {"title": "Cold", "address": BTC_BECH32 + "\x00", "currency": "btc"},
        {"title": "Cold", "address": BTC_BECH32, "currency": "bt\x00c"},
    ],
)
def test_address_form_with_a_nul(alice_client, portfolio, data):
    before = rows()

    response = alice_client.post(reverse("dashboard:address-new", args=[portfolio.pk]), data)

    assert_form_error(response, "Null characters are not allowed.")
    assert rows() == before


@pytest.mark.parametrize(
    ("title", "currency", "balance"),
    [("P\x00", "btc", "1"), ("P", "bt\x00c", "1"), ("P", "btc", "1\x00")],
)
def test_offset_form_with_a_nul(alice_client, portfolio, title, currency, balance):
    data = {
        "offset-title": title,
        "balances-TOTAL_FORMS": "1",
        "balances-INITIAL_FORMS": "0",
        "balances-MIN_NUM_FORMS": "0",
        "balances-MAX_NUM_FORMS": "100",
        "balances-0-currency": currency,
        "balances-0-balance": balance,
    }
    before = rows()

    response = alice_client.post(reverse("dashboard:offset-new", args=[portfolio.pk]), data)

    assert_form_error(response, "Null characters are not allowed.")
    assert rows() == before


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (random.Random(7).randbytes(20_000), ["Line 1: the file cannot be read as CSV text"]),
        (
            b"Timestamp,Transaction Type,Asset,Quantity Transacted\n\x00\x00\x00,\x00\n",
            ["NUL character"],
        ),
        (
            b"Timestamp,Notes\n2024-01-01," + b"x" * 3_000_000 + b"\n",
            ["characters a statement cell"],
        ),
    ],
)
def test_an_upload_that_is_not_a_statement_is_a_form_error(
    alice_client, portfolio, settings, tmp_path, content, words
):
    settings.DASHBOARD_UPLOAD_DIR = tmp_path / "uploads"
    before = rows()

    response = alice_client.post(
        reverse("dashboard:import-new", args=[portfolio.pk]),
        {"file": SimpleUploadedFile("s.csv", content, content_type="text/csv")},
    )

    assert_form_error(response, *words)
    assert rows() == before


def test_a_file_name_with_a_nul_is_no_500(alice_client, portfolio, settings, tmp_path):
    settings.DASHBOARD_UPLOAD_DIR = tmp_path / "uploads"

    response = alice_client.post(
        reverse("dashboard:import-new", args=[portfolio.pk]),
        {"file": SimpleUploadedFile("a\x00.csv", b"\x00", content_type="text/csv")},
    )

    assert_form_error(response)
