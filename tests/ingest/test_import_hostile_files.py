"""Files that are not what a statement should be are refused with a 422 naming their line, never
a 500, and store nothing (issue 11): a NUL in a cell, binary garbage, one enormous cell."""

from __future__ import annotations

import random

import pytest

from ledger.models import Import
from tests.ingest.conftest import V4_HEAD, counts, fail, ok, statement, upload

ROW = "66a100000000000000000001,2024-07-01 10:00:00 UTC,Buy,{asset},0.5,USD,$60000,$30000,$30010,$10,{notes}\n"


def test_a_nul_in_a_currency_code_is_refused_with_its_line(api, portfolio):
    before = counts()

    body = fail(upload(api, portfolio, V4_HEAD + ROW.format(asset="BT\x00C", notes="")), 422)

    assert body["invalid"] == [
        "line 5: a cell holds a NUL character (is this a binary file rather than CSV?)"
    ]
    assert counts() == before


def test_a_nul_in_any_cell_after_good_rows_stores_nothing(api, portfolio):
    good = "".join(
        f"66a10000000000000000{n:04d},2024-07-01 10:00:{n:02d} UTC,Buy,BTC,0.001,USD,$60000,"
        "$60.00,$61.00,$1.00,\n"
        for n in range(30)
    )
    bad = ROW.format(asset="BTC", notes="a note\x00")
    before = counts()

    body = fail(upload(api, portfolio, V4_HEAD + good + bad), 422)

    assert body["invalid"][0].startswith("line 35: a cell holds a NUL character")
    assert counts() == before


@pytest.mark.parametrize("seed", range(5))
def test_binary_garbage_is_refused(api, portfolio, seed):
    garbage = random.Random(seed).randbytes(20_000)
    before = counts()

    body = fail(upload(api, portfolio, garbage), 422)

    [sentence] = body["invalid"]
    assert sentence.startswith("line ")
    assert counts() == before


def test_a_3_mb_cell_is_refused(api, portfolio):
    before = counts()

    body = fail(
        upload(api, portfolio, V4_HEAD + ROW.format(asset="BTC", notes="x" * 3_000_000)), 422
    )

    assert body["invalid"] == [
        "line 5: a cell is longer than the 10000 characters a statement cell may hold"
    ]
    assert counts() == before


def test_a_cell_past_the_csv_module_s_own_limit_is_refused(api, portfolio):
    # A quoted cell longer than the csv module reads (131072) stops it before our own check.
    body = fail(
        upload(api, portfolio, V4_HEAD + ROW.format(asset="BTC", notes='"' + "y" * 200_000 + '"')),
        422,
    )
    assert body["invalid"][0].startswith("line 5: a cell is longer than the 10000 characters")


def test_the_cell_length_limit_is_a_setting(api, portfolio, settings):
    settings.MAX_FIELD_LENGTH = 40  # the longest cell of the head has 39
    text = V4_HEAD + ROW.format(asset="BTC", notes="a note of more than forty characters if long")

    body = fail(upload(api, portfolio, text), 422)

    assert body["invalid"] == [
        "line 5: a cell is longer than the 40 characters a statement cell may hold"
    ]
    settings.MAX_FIELD_LENGTH = 100
    ok(upload(api, portfolio, text), 201)


def test_a_file_name_with_a_nul_is_kept_without_it(api, portfolio):
    answer = ok(upload(api, portfolio, statement("v5.csv"), name="my\x00statement.csv"), 201)

    assert answer["file_name"] == "mystatement.csv"
    assert Import.objects.get().file_name == "mystatement.csv"
