"""A refused statement stores nothing, says which line is wrong, and leaves what the portfolio
already holds exactly as it was."""

from __future__ import annotations

import pytest

from tests.ingest.conftest import V4_HEAD, counts, fail, ok, snapshot, statement, upload
from tests.ingest.test_coinbase_parser import REJECTED


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_malformed_statement_is_refused_with_its_line(api, portfolio, name):
    line, reason = REJECTED[name]
    before = counts()

    body = fail(upload(api, portfolio, statement(name)), 422)

    assert body["message"] == "Invalid"
    [sentence] = body["invalid"]
    assert sentence.startswith(f"line {line}: ") and reason in sentence
    assert counts() == before


def test_the_issue_example_sentence(api, portfolio):
    body = fail(upload(api, portfolio, statement("malformed_bad_quantity.csv")), 422)
    assert body["invalid"] == ["line 10: quantity '1O.5x' is not a number"]


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_a_refusal_leaves_existing_data_unchanged(api, portfolio, name):
    # Given a portfolio that already holds an import, its prices and its holdings
    ok(upload(api, portfolio, statement("v5.csv")), 201)
    before, rows = counts(), snapshot(portfolio)
    holdings = list(portfolio.wallets.get().holdings.values_list("asset_id", "quantity"))

    # When a bad file is imported into the same wallet
    fail(upload(api, portfolio, statement(name)), 422)

    # Then nothing changed: no rows, no import record, no price, no currency, same holdings
    assert counts() == before
    assert snapshot(portfolio) == rows
    assert list(portfolio.wallets.get().holdings.values_list("asset_id", "quantity")) == holdings


def test_a_bad_row_after_many_good_batches_stores_nothing(api, portfolio, monkeypatch):
    """The refusal comes after earlier batches were written: the transaction takes them back."""
    monkeypatch.setattr("ingest.services.BATCH_SIZE", 3)
    good = "".join(
        f"66a10000000000000000{n:04d},2024-07-01 10:{n // 60:02d}:{n % 60:02d} UTC,Buy,BTC,"
        f"0.001,USD,$60000,$60.00,$61.00,$1.00,\n"
        for n in range(20)
    )
    bad = "66a1ffffffffffffffffffff,2024-07-02 10:00:00 UTC,Buy,BTC,0.1,USD,$1,$1,$1,\n"
    before = counts()

    body = fail(upload(api, portfolio, V4_HEAD + good + bad), 422)

    assert body["invalid"] == ["line 25: expected 11 columns, found 10 (truncated row?)"]
    assert counts() == before


def test_unknown_new_code_in_a_refused_file_is_not_added(api, portfolio):
    from currencies.models import Currency

    text = (
        V4_HEAD
        + "66a100000000000000000001,2024-07-01 10:00:00 UTC,Buy,BRANDNEW,5,USD,$1,$5,$5,$0,\n"
        + "66a100000000000000000002,2024-07-01 11:00:00 UTC,Airdrop Party,BTC,1,USD,$1,$1,$1,$0,\n"
    )

    body = fail(upload(api, portfolio, text), 422)

    assert body["invalid"] == ["line 6: unknown transaction type 'Airdrop Party'"]
    assert not Currency.objects.filter(code="brandnew").exists()


def test_empty_file(api, portfolio):
    body = fail(upload(api, portfolio, b""), 422)
    assert body["invalid"] == ["line 1: the file is empty, no Coinbase header found"]


def test_no_file(api, portfolio):
    url = f"/api/portfolios/{portfolio.pk}/ingest/csv"
    expected = ["file is required: a Coinbase 'Transaction history' CSV as multipart field 'file'"]

    assert fail(api.post(url, {}, format="multipart"), 422)["invalid"] == expected
    assert fail(api.post(url, {"files": "x"}, format="json"), 422)["invalid"] == expected
    assert fail(api.post(url), 422)["invalid"] == expected


def test_a_bad_dry_run_flag(api, portfolio):
    body = fail(upload(api, portfolio, statement("v5.csv"), dry_run="maybe"), 422)
    assert body["invalid"] == ["dry_run must be true or false"]


def test_oversized_upload_is_413_and_stores_nothing(api, portfolio, settings):
    settings.MAX_UPLOAD_SIZE = 1000
    content = statement("v4a.csv")
    assert len(content) > 1000
    before = counts()

    body = fail(upload(api, portfolio, content), 413)

    assert body["message"] == "Payload too large"
    assert body["invalid"] == [
        f"the file is larger than the 1000 bytes this server accepts (this one is {len(content)} "
        "bytes)"
    ]
    assert counts() == before


def test_oversized_by_declared_length_is_refused_before_reading(api, portfolio, settings):
    settings.MAX_UPLOAD_SIZE = 2**20
    url = f"/api/portfolios/{portfolio.pk}/ingest/csv"

    response = api.generic(
        "POST",
        url,
        b"x" * 100,
        content_type="multipart/form-data; boundary=zzz",
        CONTENT_LENGTH=str(60 * 2**20),
    )

    body = fail(response, 413)
    assert body["invalid"] == [
        "the file is larger than the 1 MiB this server accepts (this one is 60 MiB)"
    ]
