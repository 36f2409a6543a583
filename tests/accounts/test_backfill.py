"""Backfill: read an account's history again, from its start or a date, dry run first; rows
the earlier syncs missed come back, nothing is stored twice, progress is reported."""

from __future__ import annotations

from accounts.models import AccountFetchState
from ledger.models import LedgerEntry
from tests.accounts.fakes import API_KEY, SECRET
from tests.api.conftest import invalid, ok

CREDS = {"apiKey": API_KEY, "secret": SECRET}


def test_backfill_restores_missed_rows_after_a_dry_run(
    api, portfolio_id, kraken, connect, django_capture_on_commit_callbacks
):
    account = connect("kraken", CREDS)
    url = f"/api/portfolios/{portfolio_id}/accounts/{account['id']}/backfill"
    complete = set(LedgerEntry.objects.values_list("external_id", flat=True))
    # Rows an earlier sync missed (say, the exchange answered them late).
    LedgerEntry.objects.filter(external_id__startswith="trade:TKRK00001").delete()
    cursors = AccountFetchState.objects.get(account_id=account["id"]).cursors

    dry = ok(api.post(url, {"dry_run": True}, format="json"))
    assert dry["dry_run"] is True and dry["from"] is None
    assert set(dry["cursors_moved"]) == set(cursors)
    assert AccountFetchState.objects.get(account_id=account["id"]).cursors == cursors
    assert LedgerEntry.objects.count() == len(complete) - 3

    with django_capture_on_commit_callbacks(execute=True):
        started = ok(api.post(url, {}, format="json"))
    assert started["progress"]["done"] is False
    assert set(LedgerEntry.objects.values_list("external_id", flat=True)) == complete
    progress = ok(api.get(url))
    assert progress["done"] is True and progress["added"] == 3 and progress["pages"] >= 4

    assert invalid(api.post(url + "?from=yesterday", {}, format="json")) == [
        "from must be a date (YYYY-MM-DD)"
    ]
