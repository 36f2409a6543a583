"""Importing again adds nothing, an undo removes exactly one import, a dry run stores nothing,
and a sale of more than the history shows acquired stays flagged until the history is there."""

from __future__ import annotations

from decimal import Decimal

from ledger.models import Import, LedgerEntry
from tests.ingest.conftest import (
    V3_HEAD,
    V4_HEAD,
    counts,
    fail,
    holdings,
    ok,
    snapshot,
    statement,
    upload,
)
from tests.ingest.test_coinbase_parser import EXPECTED

D = Decimal
BTC = {"code": "btc", "title": "Bitcoin"}
ETH = {"code": "eth", "title": "Ethereum"}

# Ten V4 rows, one BTC buy per day of July 2024 (oldest last, as Coinbase writes them).
V4_ROWS = [
    f"66a1{day:020x},2024-07-{day:02d} 10:00:00 UTC,Buy,BTC,0.01,USD,$60000,$600.00,$610.00,"
    f"$10.00,Bought 0.01 BTC for 610 USD\n"
    for day in range(10, 0, -1)
]


def imports_url(portfolio, imp=None) -> str:
    base = f"/api/portfolios/{portfolio.pk}/imports"
    return base if imp is None else f"{base}/{imp}"


def test_the_same_file_twice_adds_nothing(api, portfolio):
    first = ok(upload(api, portfolio, statement("v5.csv")), 201)
    rows, held = snapshot(portfolio), holdings(portfolio)

    again = ok(upload(api, portfolio, statement("v5.csv")), 201)

    assert (again["rows_read"], again["rows_added"], again["rows_duplicate"]) == (11, 0, 11)
    assert snapshot(portfolio) == rows and holdings(portfolio) == held
    assert again["holdings_change"] == []
    assert again["file_sha256"] == first["file_sha256"]
    assert any(
        w.startswith(f"this file was imported before into Coinbase (import {first['id']} of ")
        for w in again["warnings"]
    )
    assert Import.objects.count() == 2  # the second import is recorded, with nothing in it


def test_v3_without_ids_deduplicates_by_fingerprint(api, portfolio):
    ok(upload(api, portfolio, statement("v3.csv")), 201)
    again = ok(upload(api, portfolio, statement("v3.csv")), 201)
    assert again["rows_added"] == 0 and again["rows_duplicate"] == again["rows_read"] == 11
    assert holdings(portfolio) == {k: v for k, v in EXPECTED["v3.csv"][2].items() if k != "eur"}


def test_an_overlapping_later_statement_adds_only_its_new_rows(api, portfolio):
    # Given days 1-6 imported, when a statement of days 4-10 comes: days 7-10 are new.
    ok(upload(api, portfolio, V4_HEAD + "".join(V4_ROWS[4:])), 201)
    later = ok(upload(api, portfolio, V4_HEAD + "".join(V4_ROWS[:7])), 201)

    assert (later["rows_added"], later["rows_duplicate"]) == (4, 3)
    assert later["rows_by_type"] == [{"type": "Buy", "currency": BTC, "rows": 7, "added": 4}]
    assert LedgerEntry.objects.count() == 10
    assert holdings(portfolio) == {"btc": D("0.10")}


def test_undo_removes_exactly_one_import(api, portfolio):
    first = ok(upload(api, portfolio, V4_HEAD + "".join(V4_ROWS[5:])), 201)
    second = ok(upload(api, portfolio, statement("v5.csv")), 201)
    first_rows = list(
        LedgerEntry.objects.filter(source_import=first["id"]).order_by("id").values_list("id")
    )
    assert holdings(portfolio)["btc"] == D("0.05") + D("0.041")

    undone = ok(api.delete(imports_url(portfolio, second["id"])))

    assert undone["id"] == second["id"] and undone["rows_removed"] == 11
    assert undone["user_modified_removed"] == 0
    assert not LedgerEntry.objects.filter(source_import=second["id"]).exists()
    remaining = LedgerEntry.objects.order_by("id").values_list("id")
    assert list(remaining) == first_rows
    assert holdings(portfolio) == {"btc": D("0.05")}
    assert list(Import.objects.values_list("id", flat=True)) == [first["id"]]
    fail(api.delete(imports_url(portfolio, second["id"])), 404)


def test_undo_says_it_removed_rows_the_user_modified(api, portfolio):
    imp = ok(upload(api, portfolio, statement("v5.csv")), 201)
    LedgerEntry.objects.filter(external_id__in=["683c16905feef572bb7cd733"]).update(
        user_modified=True, notes="my note"
    )

    undone = ok(api.delete(imports_url(portfolio, imp["id"])))

    assert undone["user_modified_removed"] == 1
    assert undone["warnings"][0] == "1 row you had modified was removed with this import"
    assert LedgerEntry.objects.count() == 0
    assert holdings(portfolio) == {}


def test_reimport_keeps_a_row_the_user_modified(api, portfolio):
    ok(upload(api, portfolio, statement("v5.csv")), 201)
    LedgerEntry.objects.filter(external_id="683c16905feef572bb7cd733").update(
        user_modified=True, kind="gift_in", notes="a present"
    )

    again = ok(upload(api, portfolio, statement("v5.csv")), 201)

    row = LedgerEntry.objects.get(external_id="683c16905feef572bb7cd733")
    assert (row.kind, row.notes, row.user_modified) == ("gift_in", "a present", True)
    assert (
        "1 row of this file that you modified in the ledger were kept as you changed them"
        in again["warnings"]
    )


def test_undo_clears_a_pair_link_from_an_other_import(api, portfolio):
    # Given rows of two imports linked to each other (as a later user or matcher might do)
    first = ok(upload(api, portfolio, V4_HEAD + V4_ROWS[0]), 201)
    second = ok(upload(api, portfolio, V4_HEAD + V4_ROWS[1]), 201)
    a = LedgerEntry.objects.get(source_import=first["id"])
    b = LedgerEntry.objects.get(source_import=second["id"])
    LedgerEntry.objects.filter(pk=a.pk).update(pair=b)
    LedgerEntry.objects.filter(pk=b.pk).update(pair=a)

    ok(api.delete(imports_url(portfolio, second["id"])))

    a.refresh_from_db()
    assert a.pair_id is None
    assert list(LedgerEntry.objects.values_list("pk", flat=True)) == [a.pk]


def test_dry_run_stores_nothing_and_says_what_would_happen(api, portfolio):
    ok(upload(api, portfolio, V4_HEAD + "".join(V4_ROWS[6:])), 201)  # days 1-4
    before, rows = counts(), snapshot(portfolio)
    text = (
        V4_HEAD
        + "".join(V4_ROWS[:8])
        + (  # days 3-10, a sale, a skipped row
            "66b000000000000000000001,2024-07-11 10:00:00 UTC,Sell,ETH,-1,USD,$3000,$3000.00,"
            "$2990.00,$10.00,Sold 1 ETH for 2990 USD\n"
            "66b000000000000000000002,2024-07-12 10:00:00 UTC,Vault Withdrawal,ETH,1,USD,$3000,"
            "$3000.00,$3000.00,$0.00,\n"
        )
    )

    result = ok(upload(api, portfolio, text, dry_run=1), 200)

    assert counts() == before and snapshot(portfolio) == rows
    assert result["id"] is None and result["dry_run"] is True
    assert (result["rows_read"], result["rows_added"], result["rows_duplicate"]) == (9, 7, 2)
    assert result["rows_skipped"] == 1
    assert result["rows_by_type"] == [
        {"type": "Buy", "currency": BTC, "rows": 8, "added": 6},
        {"type": "Sell", "currency": ETH, "rows": 1, "added": 1},
    ]
    assert result["holdings_change"] == [
        {"currency": BTC, "change": "0.06"},
        {"currency": ETH, "change": "-1.0"},
    ]
    assert result["warnings"][0] == (
        "skipped internal 'Vault Withdrawal' (no holdings change): 1 row (line 14)"
    )
    assert [m["currency"] for m in result["missing_acquisitions"]] == [ETH]
    assert result["missing_acquisitions"][0]["shortfall"] == "1.0"
    assert result["warnings"][-1] == result["missing_acquisitions"][0]["message"]
    assert ok(api.get(imports_url(portfolio)))[0]["rows_added"] == 4  # only the real import


def test_dry_run_of_a_bad_file_is_refused_like_an_import(api, portfolio):
    body = fail(
        upload(api, portfolio, statement("malformed_truncated_row.csv"), dry_run="true"), 422
    )
    assert body["invalid"][0].startswith("line 7: expected 11 columns, found 7")


SELL_ONLY = V3_HEAD + (
    "2023-06-01 10:00:00 UTC,Sell,BTC,0.3,USD,27000,8100.00,8050.00,50.00,Sold 0.3 BTC\n"
)
EARLIER_BUYS = V3_HEAD + (
    "2023-01-01 10:00:00 UTC,Buy,BTC,0.2,USD,17000,3400.00,3420.00,20.00,Bought 0.2 BTC\n"
    "2023-02-01 10:00:00 UTC,Buy,BTC,0.2,USD,23000,4600.00,4620.00,20.00,Bought 0.2 BTC\n"
)


def test_missing_acquisition_is_flagged_until_the_history_is_imported(api, portfolio):
    # Given a statement with a sale and none of the buys
    sold = ok(upload(api, portfolio, SELL_ONLY, name="2023-h2.csv"), 201)
    assert sold["rows_added"] == 1  # imported, not refused
    [missing] = sold["missing_acquisitions"]
    assert (missing["currency"], missing["shortfall"], missing["line"]) == (BTC, "0.3", 2)
    assert missing["since"] == "2023-06-01T10:00:00+00:00"
    assert missing["import_id"] == sold["id"]
    assert missing["message"] in sold["warnings"]
    assert holdings(portfolio) == {"btc": D("-0.3")}

    # Then the list shows it, on the import and in the envelope
    body = api.get(imports_url(portfolio)).json()
    assert [m["currency"] for m in body["missing_acquisitions"]] == [BTC]
    assert body["result"][0]["missing_acquisitions"] == [missing]
    assert missing["message"] in body["result"][0]["warnings"]

    # When the earlier history arrives, the flag is gone everywhere
    earlier = ok(upload(api, portfolio, EARLIER_BUYS, name="2023-h1.csv"), 201)
    assert earlier["missing_acquisitions"] == []
    body = api.get(imports_url(portfolio)).json()
    assert body["missing_acquisitions"] == []
    assert all(imp["missing_acquisitions"] == [] for imp in body["result"])
    assert all(
        not w.startswith("missing acquisition") for imp in body["result"] for w in imp["warnings"]
    )
    assert ok(api.get(imports_url(portfolio, sold["id"])))["missing_acquisitions"] == []
    assert holdings(portfolio) == {"btc": D("0.1")}


def test_imports_list_and_detail(api, portfolio, alice):
    first = ok(upload(api, portfolio, statement("l1_buys_sells.csv"), name="a.csv"), 201)
    second = ok(upload(api, portfolio, statement("l2_tax_report.csv"), name="b.csv"), 201)

    body = api.get(imports_url(portfolio)).json()

    assert body["count"] == 2 and body["next"] is None
    assert [imp["file_name"] for imp in body["result"]] == ["b.csv", "a.csv"]
    assert body["result"][1] == {**first, "missing_acquisitions": [], "warnings": first["warnings"]}
    assert ok(api.get(imports_url(portfolio, second["id"]))) == second
    page = api.get(imports_url(portfolio) + "?limit=1").json()
    assert len(page["result"]) == 1 and page["next"].endswith("limit=1&offset=1")
    fail(api.get(imports_url(portfolio, 999999)), 404)


def test_an_id_the_file_repeats_is_a_duplicate_not_an_error(api, portfolio, monkeypatch):
    """In a new wallet, and whether the repeat is in the same batch or a later one."""
    monkeypatch.setattr("ingest.services.BATCH_SIZE", 2)
    text = V4_HEAD + V4_ROWS[0] + V4_ROWS[1] + V4_ROWS[2] + V4_ROWS[0] + V4_ROWS[3] + V4_ROWS[3]

    result = ok(upload(api, portfolio, text), 201)

    assert (result["rows_read"], result["rows_added"], result["rows_duplicate"]) == (6, 4, 2)
    assert result["holdings_change"] == [{"currency": BTC, "change": "0.04"}]
    assert holdings(portfolio) == {"btc": D("0.04")}
    assert LedgerEntry.objects.count() == 4


def test_undo_gives_the_other_leg_of_an_accepted_transfer_its_kind_back(api, portfolio):
    from ledger.models import Transfer
    from ledger.transfers import transfer_accept, transfers_match

    # Given a Coinbase send and a receive in another wallet, accepted as one transfer
    sent = ok(upload(api, portfolio, statement("v5.csv")), 201)
    receive = V3_HEAD + (
        "2025-08-01 19:00:00 UTC,Receive,ETH,0.0999,USD,3700,369.63,369.63,0,Received\n"
    )
    ok(upload(api, portfolio, receive, wallet="Ledger"), 201)
    transfers_match(portfolio)
    transfer = Transfer.objects.get()
    transfer_accept(transfer=transfer)
    received = LedgerEntry.objects.get(wallet__name="Ledger")
    assert received.kind == "transfer_in"

    # When the Coinbase import is undone
    ok(api.delete(imports_url(portfolio, sent["id"])))

    # Then the transfer is gone and the receive is unclassified again, its holdings unchanged
    received.refresh_from_db()
    assert received.kind == "unclassified_in"
    assert not Transfer.objects.exists()
    assert holdings(portfolio, "Ledger") == {"eth": D("0.0999")}


def test_an_import_matches_transfers_and_builds_the_cost_basis(
    api, portfolio, django_capture_on_commit_callbacks
):
    from costbasis.models import CostBasisBuild
    from ledger.models import Transfer

    # Given a Coinbase statement with a send
    ok(upload(api, portfolio, statement("v5.csv")), 201)
    receive = V3_HEAD + (
        "2025-08-01 19:00:00 UTC,Receive,ETH,0.0999,USD,3700,369.63,369.63,0,Received\n"
    )

    # When the receive is imported into another wallet and the work after it runs
    with django_capture_on_commit_callbacks(execute=True):
        ok(upload(api, portfolio, receive, wallet="Ledger"), 201)

    # Then the two are matched as a transfer, and the cost basis was built
    assert Transfer.objects.filter(portfolio=portfolio).count() == 1
    assert CostBasisBuild.objects.get(portfolio=portfolio).status == "ok"


def test_a_failing_transfer_match_still_rebuilds_the_cost_basis_and_is_raised(
    portfolio, monkeypatch, django_capture_on_commit_callbacks
):
    import pytest

    from costbasis.models import CostBasisBuild
    from ingest import services

    def broken(*, portfolio):
        raise RuntimeError("matching broke")

    monkeypatch.setattr(services, "transfers_match", broken)

    with (
        pytest.raises(RuntimeError, match="matching broke"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.after_import(portfolio)

    assert CostBasisBuild.objects.get(portfolio=portfolio).status == "ok"


DIPS = V4_HEAD + (
    "s1,2024-03-01 10:00:00 UTC,Sell,BTC,-0.5,USD,$60000,$30000,$29900,$100,Sold 0.5 BTC\n"
    "b1,2024-03-01 11:00:00 UTC,Buy,BTC,1,USD,$60000,$60000,$60100,$100,Bought 1 BTC\n"
    "s2,2024-03-01 13:00:00 UTC,Sell,BTC,-1.2,USD,$60000,$72000,$71900,$100,Sold 1.2 BTC\n"
    "s3,2024-03-01 14:00:00 UTC,Sell,ETH,-1,USD,$3000,$3000,$3000,$0,Sold 1 ETH\n"
    "b2,2024-03-01 14:00:00 UTC,Buy,ETH,1,USD,$3000,$3000,$3000,$0,Bought 1 ETH\n"
)


def test_missing_acquisition_is_the_deepest_dip_from_the_first_row_below_zero(api, portfolio):
    """BTC goes to -0.5 (line 5), back up to 0.5, then down to -0.7: the shortfall is the
    deepest, 0.7, and the row is the first below zero. ETH's sale and buy share a second: the
    buy counts first, so ETH never goes below zero. (PostgreSQL computes this in SQL, SQLite
    in Python: the same answer on both.)"""
    result = ok(upload(api, portfolio, DIPS), 201)

    [missing] = result["missing_acquisitions"]
    assert (missing["currency"], missing["shortfall"], missing["line"]) == (BTC, "0.7", 5)
    assert missing["since"] == "2024-03-01T10:00:00+00:00"
    assert missing["entry_id"] == LedgerEntry.objects.get(external_id="s1").pk
    assert holdings(portfolio) == {"btc": D("-0.7"), "eth": D("0")}
