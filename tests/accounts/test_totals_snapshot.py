"""The stored totals (issue 14) and exchange accounts: an account connected, fetched with new
balances, or removed shows on the very next ``balances`` request, which otherwise is answered
from the stored totals (tests/live/test_totals_snapshot.py has the other events)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.accounts.fakes import API_KEY, SECRET
from tests.api.conftest import ok
from tests.live.test_totals_snapshot import STORED, own_queries

CREDS = {"apiKey": API_KEY, "secret": SECRET}


def balances(api, portfolio_id: int) -> tuple[dict[str, str], int]:
    with CaptureQueriesContext(connection) as queries:
        rows = ok(api.get(f"/api/portfolios/{portfolio_id}/balances"))
    return {r["currency"]["code"]: r["balance"] for r in rows}, own_queries(queries)


def test_an_account_connected_fetched_and_removed(api, portfolio_id, kraken, connect, sync):
    # Given the stored totals of a portfolio without accounts
    balances(api, portfolio_id)
    assert balances(api, portfolio_id) == ({"btc": "0.0", "usd": "0.0"}, STORED)

    # When an account is connected (its first fetch runs at commit)
    account = connect("kraken", CREDS)
    held, count = balances(api, portfolio_id)
    assert count > STORED
    assert (held["btc"], held["dot"]) == ("1.25", "10.5")
    assert balances(api, portfolio_id)[1] == STORED

    # When a fetch brings new balances
    kraken.balances["XXBT"] = {"balance": "2.0000000000", "hold_trade": "0.0000000000"}
    sync(account["id"])
    assert balances(api, portfolio_id)[0]["btc"] == "2.0"
    assert balances(api, portfolio_id)[1] == STORED

    # When it is removed
    ok(api.delete(f"/api/portfolios/{portfolio_id}/accounts/{account['id']}"))
    assert balances(api, portfolio_id)[0] == {"btc": "0.0", "usd": "0.0"}
