"""The /api/v1/portfolio surface: plain JSON, UUID ids, 422 detail lists, user_id checked, and
the same numbers as /api/ for one portfolio."""

from __future__ import annotations

import csv
import io
import uuid
from decimal import Decimal as D
from pathlib import Path

import pytest

from portfolios.services import portfolio_create
from tests.api.conftest import ok
from tests.conftest import client_for
from tests.performance.conftest import built

V1 = "/api/v1/portfolio"
STATEMENT = Path(__file__).parent.parent / "ingest" / "statements" / "v2.csv"


@pytest.fixture
def main(alice):
    return portfolio_create(user=alice, title="Main", currency_codes=["usd"], source="private-api")


def detail_422(response, *loc):
    assert response.status_code == 422, response.content
    body = response.json()
    assert "success" not in body
    assert isinstance(body["detail"], list) and body["detail"]
    for item in body["detail"]:
        assert set(item) == {"loc", "msg", "type", "input", "ctx"}
    if loc:
        assert [tuple(d["loc"]) for d in body["detail"]][0] == loc
    return body["detail"]


def test_health_is_public_and_plain(db, anon):
    response = anon.get(f"{V1}/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_no_token_401_and_scopes_403(anon, alice, main):
    response = anon.get(f"{V1}/?user_id={alice.uuid}")
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}
    assert response["WWW-Authenticate"].startswith("Bearer")
    reader = client_for(alice, "read")
    assert reader.get(f"{V1}/?user_id={alice.uuid}").status_code == 200
    response = reader.post(f"{V1}/?user_id={alice.uuid}", {"name": "x"}, format="json")
    assert response.status_code == 403 and response.json() == {"detail": "Forbidden"}
    response = client_for(alice, "read write").delete(f"{V1}/{main.uuid}?user_id={alice.uuid}")
    assert response.status_code == 403


def test_create_list_get_update_delete(api, alice):
    body = {"name": "Core", "target_allocations": {"btc": "0.6", "eth": 0.4}, "tags": ["long"]}
    response = api.post(f"{V1}/?user_id={alice.uuid}", body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["name"] == "Core" and created["user_id"] == str(alice.uuid)
    assert created["target_allocations"] == {"btc": "0.6", "eth": "0.4"}
    assert created["risk_tolerance"] == "moderate" and created["is_active"] is True
    assert created["is_default"] is False and created["tags"] == ["long"]
    assert created["total_return"] is None  # no value series built yet
    pid = created["portfolio_id"]
    uuid.UUID(pid)
    assert api.get(f"{V1}/{pid}").json() == created
    # the name is unique per user
    detail_422(api.post(f"{V1}/?user_id={alice.uuid}", body, format="json"), "body", "name")
    # update: only what is sent
    response = api.put(
        f"{V1}/{pid}?user_id={alice.uuid}", {"risk_tolerance": "aggressive"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["risk_tolerance"] == "aggressive"
    assert response.json()["name"] == "Core"
    rows = api.get(f"{V1}/?user_id={alice.uuid}").json()
    assert [r["portfolio_id"] for r in rows] == [pid]
    api.put(f"{V1}/{pid}?user_id={alice.uuid}", {"is_active": False}, format="json")
    assert api.get(f"{V1}/?user_id={alice.uuid}").json() == []
    assert len(api.get(f"{V1}/?user_id={alice.uuid}&active_only=false").json()) == 1
    response = api.delete(f"{V1}/{pid}?user_id={alice.uuid}")
    assert response.status_code == 204
    assert api.get(f"{V1}/{pid}").status_code == 404


def test_create_and_list_validation(api, alice):
    url = f"{V1}/?user_id={alice.uuid}"
    detail_422(api.post(url, {"target_allocations": {"btc": 1}}, format="json"), "body", "name")
    detail_422(api.post(url, {"name": "x"}, format="json"), "body", "target_allocations")
    detail_422(
        api.post(url, {"name": "x", "target_allocations": {"btc": "0.5"}}, format="json"),
        "body",
        "target_allocations",
    )
    detail_422(
        api.post(url, {"name": "x" * 101, "target_allocations": {"btc": 1}}, format="json"),
        "body",
        "name",
    )
    detail_422(
        api.post(
            url,
            {"name": "x", "target_allocations": {"btc": 1}, "risk_tolerance": "yolo"},
            format="json",
        )
    )
    detail_422(api.post(f"{V1}/", {"name": "x"}, format="json"), "query", "user_id")
    detail_422(api.get(f"{V1}/"), "query", "user_id")
    detail_422(api.get(f"{V1}/?user_id=nope"), "query", "user_id")
    for bad in ("limit=0", "limit=101", "offset=-1", "limit=x", "active_only=maybe"):
        detail_422(api.get(f"{url}&{bad}"))
    assert api.get(f"{url}&limit=100&offset=0").status_code == 200
    # nothing was created by the refused requests
    assert api.get(f"{url}&active_only=false").json() == []


def test_limit_and_offset(api, alice):
    for n in range(3):
        portfolio_create(user=alice, title=f"P{n}", currency_codes=["usd"], source="web")
    url = f"{V1}/?user_id={alice.uuid}"
    assert [r["name"] for r in api.get(url).json()] == ["P0", "P1", "P2"]
    assert [r["name"] for r in api.get(f"{url}&limit=1&offset=1").json()] == ["P1"]


ROUTES = [
    ("get", "/{p}"),
    ("put", "/{p}"),
    ("delete", "/{p}"),
    ("get", "/{p}/analytics"),
    ("get", "/balances?portfolio_id={p}"),
    ("get", "/aggregate?portfolio_id={p}"),
    ("get", "/value-history?portfolio_id={p}"),
    ("post", "/refresh?portfolio_id={p}"),
    ("get", "/cost-basis?portfolio_id={p}"),
    ("get", "/cost-basis/lots?portfolio_id={p}"),
    ("post", "/cost-basis/lots/rebuild?portfolio_id={p}"),
    ("get", "/history?portfolio_id={p}"),
    ("get", "/history/performance?portfolio_id={p}"),
    ("get", "/history/export?portfolio_id={p}"),
    ("post", "/ingest/csv?portfolio_id={p}"),
    ("post", "/ingest/backfill?portfolio_id={p}"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_another_users_portfolio_or_user_id_is_404(api, bob_api, alice, bob, main, method, path):
    url = V1 + path.format(p=main.uuid)
    sep = "&" if "?" in url else "?"
    # bob asks for alice's portfolio, with his own user_id
    response = getattr(bob_api, method)(f"{url}{sep}user_id={bob.uuid}", {}, format="json")
    assert response.status_code == 404, response.content
    assert response.json() == {"detail": "Not found"}
    # alice names bob as the user
    response = getattr(api, method)(f"{url}{sep}user_id={bob.uuid}", {}, format="json")
    assert response.status_code == 404, response.content
    # a user_id that is not a UUID at all is a 422 naming it
    response = getattr(api, method)(f"{url}{sep}user_id=someone", {}, format="json")
    detail_422(response, "query", "user_id")


def test_user_id_of_another_user_on_list_and_create(api, alice, bob, main):
    assert api.get(f"{V1}/?user_id={bob.uuid}").status_code == 404
    response = api.post(
        f"{V1}/?user_id={bob.uuid}", {"name": "x", "target_allocations": {"btc": 1}}, format="json"
    )
    assert response.status_code == 404
    assert api.get(f"{V1}/{main.uuid}/analytics?user_id={bob.uuid}").status_code == 404
    assert api.get(f"{V1}/{main.uuid}?user_id={bob.uuid}").status_code == 404


def test_a_malformed_portfolio_id_is_422(api, alice):
    detail_422(api.get(f"{V1}/not-a-uuid"), "path", "portfolio_id")
    detail_422(api.get(f"{V1}/history?portfolio_id=zzz"), "query", "portfolio_id")


def test_no_portfolio_at_all_is_404_with_detail(api):
    response = api.get(f"{V1}/aggregate")
    assert response.status_code == 404
    assert "no portfolio" in response.json()["detail"]


def test_balances_without_such_an_exchange_account(api, main):
    response = api.get(f"{V1}/balances")
    assert response.status_code == 404
    assert response.json() == {"detail": "no binanceus account in this portfolio"}
    response = api.get(f"{V1}/balances?exchange=kraken")
    assert response.json() == {"detail": "no kraken account in this portfolio"}


def test_value_history_days_limits(api, main):
    for bad in ("0", "366", "x"):
        detail_422(api.get(f"{V1}/value-history?days={bad}"), "query", "days")
    for good in ("1", "365"):
        response = api.get(f"{V1}/value-history?days={good}")
        assert response.status_code in (200, 503), response.content


def test_backfill_limits_and_defaults(api, main):
    for bad in ("max_pages=0", "max_pages=26", "dry_run=maybe", "source=other"):
        detail_422(api.post(f"{V1}/ingest/backfill?{bad}"))
    response = api.post(f"{V1}/ingest/backfill?dry_run=true&max_pages=25")
    assert response.status_code == 200
    body = response.json()
    assert body["source"] == "trade_history_sync" and body["dry_run"] is True
    assert body["max_pages"] == 25 and body["accounts"] == []
    assert api.post(f"{V1}/ingest/backfill").json()["max_pages"] == 3


def test_ingest_csv_needs_a_file_and_dry_run_stores_nothing(api, main):
    from ledger.models import LedgerEntry

    detail_422(api.post(f"{V1}/ingest/csv", {}, format="multipart"), "body", "file")
    detail_422(api.post(f"{V1}/ingest/csv?dry_run=perhaps", {}, format="multipart"))
    with STATEMENT.open("rb") as stream:
        response = api.post(f"{V1}/ingest/csv?dry_run=true", {"file": stream}, format="multipart")
    assert response.status_code == 200, response.content
    assert LedgerEntry.objects.count() == 0
    with STATEMENT.open("rb") as stream:
        response = api.post(f"{V1}/ingest/csv", {"file": stream}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["portfolio_id"] == str(main.uuid)
    assert LedgerEntry.objects.count() > 0


def test_refresh_and_rebuild(api, main):
    response = api.post(f"{V1}/refresh")
    assert response.status_code == 200
    assert response.json()["portfolio_id"] == str(main.uuid)
    response = api.post(f"{V1}/cost-basis/lots/rebuild")
    assert response.status_code == 200 and response.json()["enqueued"] is True
    for bad in ("limit=0", "limit=1001", "offset=-1"):
        detail_422(api.get(f"{V1}/cost-basis/lots?{bad}"))


def test_history_validation(api, main):
    detail_422(api.get(f"{V1}/history?timeframe=2Y"), "query", "timeframe")
    detail_422(api.get(f"{V1}/history/performance?currency=eur"), "query", "currency")
    detail_422(api.get(f"{V1}/history/export?format=xml"), "query", "format")


def test_the_same_numbers_on_api_and_v1(api, alice, book, django_capture_on_commit_callbacks):
    built(
        api,
        f"/api/portfolios/{book.pk}/history?timeframe=ALL&currency=usd",
        django_capture_on_commit_callbacks,
    )
    p = book.uuid
    old = ok(api.get(f"/api/portfolios/{book.pk}/history/performance?timeframe=ALL&currency=usd"))
    new = api.get(f"{V1}/history/performance?portfolio_id={p}&timeframe=ALL")
    assert new.status_code == 200, new.content
    new = new.json()
    assert new["starting_value"] == old["start_value"]
    assert new["ending_value"] == new["current_value"] == old["end_value"]
    assert new["highest_value"] == old["high_value"] and new["lowest_value"] == old["low_value"]
    assert new["absolute_change"] == old["absolute_change"]
    assert new["percentage_change"] == old["percentage_change"]
    assert new["return_rate"] == old["twr"]
    assert new["max_drawdown"] == old["max_drawdown"]
    assert new["volatility"] == old["volatility"]
    assert new["total_data_points"] == old["data_points"]
    assert new["currency"] == "USD" and new["timeframe"] == "ALL"
    old_rows = ok(api.get(f"/api/portfolios/{book.pk}/history?timeframe=ALL&currency=usd"))
    rows = api.get(f"{V1}/history?portfolio_id={p}&timeframe=ALL").json()
    assert [(r["recorded_at"], r["total_value"]) for r in rows] == [
        (f"{r['date']}T00:00:00Z", r["value"]) for r in old_rows
    ]
    assert all(r["portfolio_id"] == str(p) and r["user_id"] == str(alice.uuid) for r in rows)
    # default timeframe 1M
    assert len(api.get(f"{V1}/history?portfolio_id={p}").json()) == len(
        ok(api.get(f"/api/portfolios/{book.pk}/history?currency=usd"))
    )
    export = api.get(f"{V1}/history/export?portfolio_id={p}&timeframe=ALL")
    assert export["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(export.content.decode())))
    assert lines[0] == ["recorded_at", "total_value", "currency"]
    assert [(a, b) for a, b, _ in lines[1:]] == [
        (r["recorded_at"], r["total_value"] or "") for r in rows
    ]
    # the portfolio object's total return is the ALL range's change in USD
    body = api.get(f"{V1}/{p}").json()
    assert body["total_return"] == new["absolute_change"] is not None
    assert body["total_return_percentage"] == new["percentage_change"]
    as_json = api.get(f"{V1}/history/export?portfolio_id={p}&timeframe=ALL&format=json").json()
    assert as_json["rows"] == rows and as_json["performance"] == new


@pytest.fixture
def priced(alice, main):
    """Alice's main portfolio (USD) holding 2 BTC and 10 ETH in an offset, with spot prices."""
    from offsets.services import offset_create
    from portfolios.services import portfolio_update
    from tests.costbasis.conftest import spot

    offset_create(
        portfolio=main,
        title="Paper",
        balances=[{"currency": "btc", "balance": "2"}, {"currency": "eth", "balance": "10"}],
        source="private-api",
    )
    portfolio_update(
        portfolio=main, fields={"target_allocations": {"btc": D("0.5"), "eth": D("0.5")}}
    )
    spot("btc", "usd", "30000")
    spot("eth", "usd", "2000")
    return main


def test_aggregate_analytics_and_the_object_match_api(api, alice, priced):
    pk = priced.pk
    new = api.get(f"{V1}/aggregate")
    assert new.status_code == 200, new.content
    new = new.json()
    assert new["portfolio_id"] == str(priced.uuid)
    assert new["balances"] == ok(api.get(f"/api/portfolios/{pk}/balances"))
    assert new["totals"] == ok(api.get(f"/api/portfolios/{pk}/converted"))
    assert D(new["totals"][0]["balance"]) == 80000
    old = api.get(f"/api/portfolios/{pk}/analytics").json()
    analytics = api.get(f"{V1}/{priced.uuid}/analytics?user_id={alice.uuid}").json()
    assert analytics["allocations"] == old["result"]["allocations"]
    assert analytics["trades"] == old["result"]["trades"]
    assert analytics["total_drift"] == old["result"]["total_drift"]
    assert analytics["unpriced"] == old["unpriced"]
    body = api.get(f"{V1}/{priced.uuid}").json()
    assert D(body["total_value_usd"]) == 80000
    assert body["current_allocations"] == {"btc": "0.75", "eth": "0.25"}
    assert body["target_allocations"] == {"btc": "0.5", "eth": "0.5"}


def test_value_history_matches_api(api, priced):
    old = ok(api.get(f"/api/portfolios/{priced.pk}/converted/history?currency=usd&days=7"))
    new = api.get(f"{V1}/value-history?days=7").json()
    assert new["currency"] == "USD" and new["days"] == 7
    assert [(p["date"], p["value"]) for p in new["points"]] == [
        (p["date"], p["balance"]) for p in old
    ]
    assert len(api.get(f"{V1}/value-history").json()["points"]) == len(
        ok(api.get(f"/api/portfolios/{priced.pk}/converted/history?currency=usd"))
    )


def test_delete_a_portfolio_with_assets_needs_force(api, alice, priced):
    url = f"{V1}/{priced.uuid}?user_id={alice.uuid}"
    detail_422(api.delete(url), "query", "force")
    assert api.get(f"{V1}/{priced.uuid}").status_code == 200  # nothing lost
    assert api.delete(f"{url}&force=true").status_code == 204
    assert api.get(f"{V1}/{priced.uuid}").status_code == 404


@pytest.fixture
def binance_account(main):
    """A binanceus account of the main portfolio whose balances were fetched."""
    from django.utils import timezone

    from accounts.exchanges import wallet_info
    from accounts.models import AccountBalance, AccountFetchState
    from accounts.services import account_create
    from tests.ledger_api.conftest import cur

    info = wallet_info("binanceus")
    assert info is not None
    account = account_create(
        portfolio=main,
        title="US",
        exchange="binanceus",
        credentials={name: f"test-{name}" for name in info.credentials},
    )
    AccountFetchState.objects.update_or_create(
        account=account, defaults={"balances_fetched_at": timezone.now()}
    )
    AccountBalance.objects.create(
        account=account,
        currency=cur("btc"),
        balance=D("1.5"),
        free=D("1"),
        used=D("0.5"),
        source="binanceus",
    )
    return account


def test_balances_of_an_exchange_account_match_api(api, main, binance_account):
    old = ok(api.get(f"/api/portfolios/{main.pk}/accounts/{binance_account.pk}/balances"))
    new = api.get(f"{V1}/balances")
    assert new.status_code == 200, new.content
    body = new.json()
    assert body["exchange"] == "binanceus" and body["portfolio_id"] == str(main.uuid)
    assert [(b["asset"], b["total"], b["free"], b["used"]) for b in body["balances"]] == [
        (o["currency"]["code"], o["balance"], o["free"], o["used"]) for o in old
    ]
    assert body["balances"][0]["total"] == "1.5"
    assert api.get(f"{V1}/balances?exchange=kraken").status_code == 404


def test_backfill_dry_run_reads_each_account_as_api_does(api, main, binance_account):
    from ledger.models import LedgerEntry

    old = ok(
        api.post(
            f"/api/portfolios/{main.pk}/accounts/{binance_account.pk}/backfill",
            {"dry_run": True},
            format="json",
        )
    )
    body = api.post(f"{V1}/ingest/backfill?dry_run=true").json()
    [one] = body["accounts"]
    assert one["exchange"] == "binanceus"
    assert {k: one[k] for k in old} == old
    assert LedgerEntry.objects.count() == 0


def test_update_validation_loses_nothing(api, alice, main):
    portfolio_create(user=alice, title="Other", currency_codes=["usd"], source="web")
    url = f"{V1}/{main.uuid}?user_id={alice.uuid}"
    before = api.get(url).json()
    detail_422(api.put(url, {"name": "Other"}, format="json"), "body", "name")
    detail_422(
        api.put(url, {"target_allocations": {"btc": "0.7"}}, format="json"),
        "body",
        "target_allocations",
    )
    detail_422(
        api.put(url, {"target_allocations": {"nosuchcoin": "1"}, "name": "New"}, format="json")
    )
    detail_422(api.put(url, {"is_active": "maybe"}, format="json"), "body", "is_active")
    detail_422(api.put(f"{V1}/{main.uuid}", {}, format="json"), "query", "user_id")
    assert api.get(url).json() == before
    # its own name again is not "taken"
    assert api.put(url, {"name": "Main"}, format="json").status_code == 200


def test_routes_without_an_id_use_the_default_portfolio(api, alice, main):
    other = portfolio_create(
        user=alice, title="Other", currency_codes=["usd"], source="web", fields={"is_default": True}
    )
    assert api.post(f"{V1}/refresh").json()["portfolio_id"] == str(other.uuid)
    chosen = api.post(f"{V1}/refresh?portfolio_id={main.uuid}").json()
    assert chosen["portfolio_id"] == str(main.uuid)
