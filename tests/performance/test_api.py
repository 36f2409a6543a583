"""/api/portfolios/ID/history, .../history/performance and .../history/export, read from the
materialised series that the ledger's changes and new prices keep up to date."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from performance import series as series_module
from performance.metrics import Day, performance
from performance.models import ValuePoint
from prices.models import Price
from tests.api.conftest import fail, invalid, ok
from tests.conftest import client_for
from tests.ledger_api.conftest import make_entry, make_portfolio
from tests.performance.conftest import PRICES, TODAY, at, built, close, day, not_ready


def test_history_is_not_ready_then_rows_oldest_first_with_gaps(
    api, book, django_capture_on_commit_callbacks
):
    url = f"/api/portfolios/{book.pk}/history?timeframe=1M&currency=usd"
    rows = ok(built(api, url, django_capture_on_commit_callbacks))
    assert [r["date"] for r in rows] == [day(n).isoformat() for n in range(10, -1, -1)]
    by_day = {r["date"]: r for r in rows}
    assert by_day[day(10).isoformat()]["value"] == "100.0"
    assert by_day[day(8).isoformat()]["value"] == str(D("1.1") * 105)
    assert by_day[day(4).isoformat()] == {
        "date": day(4).isoformat(),
        "currency": {"code": "usd", "title": "United States dollar"},
        "value": None,
        "unpriced": ["btc"],
    }
    assert by_day[day(0).isoformat()]["value"] == str(D("1.6") * 150)
    # stored, not recomputed per request: one row per day
    assert ValuePoint.objects.filter(portfolio=book).count() == 11


def test_performance_matches_the_formulas_with_flows_in_the_middle(
    api, book, django_capture_on_commit_callbacks
):
    url = f"/api/portfolios/{book.pk}/history/performance?timeframe=ALL&currency=usd"
    result = ok(built(api, url, django_capture_on_commit_callbacks))
    qty = {
        10: "1",
        9: "1",
        8: "1.1",
        7: "1.1",
        6: "2.1",
        5: "2.1",
        4: "2.1",
        3: "2.1",
        2: "1.6",
        1: "1.6",
        0: "1.6",
    }
    flows = {10: D(100), 6: D(90), 2: D("-62.5")}
    days = [
        Day(
            day(n),
            D(qty[n]) * D(PRICES.get(n, "0")),
            flows.get(n, D(0)),
            () if n in PRICES else ("btc",),
        )
        for n in range(10, -1, -1)
    ]
    expected = performance(days)
    assert D(result["twr"]) == expected.twr
    assert D(result["mwr"]) == expected.mwr
    assert result["data_points"] == 10
    assert result["start_value"] == "100.0" and result["end_value"] == "240.0"
    assert result["max_drawdown_peak"] == day(7).isoformat()
    assert result["max_drawdown_trough"] == day(6).isoformat()
    assert D(result["max_drawdown"]) == 1 - D(90) / D(120)
    assert result["currency"] == {"code": "usd", "title": "United States dollar"}


def test_new_ledger_rows_and_prices_update_the_series(
    api, book, django_capture_on_commit_callbacks
):
    url = f"/api/portfolios/{book.pk}/history?timeframe=1W"
    built(api, url, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        close(4, "128")  # the missing close arrives
        from prices.signals import daily_prices_stored

        daily_prices_stored.send(sender=Price, at=timezone.now())
    rows = {r["date"]: r for r in ok(api.get(url))}
    assert rows[day(4).isoformat()]["value"] == str(D("2.1") * 128)
    assert rows[day(4).isoformat()]["unpriced"] == []


def test_range_validation_and_other_users(api, bob, book, django_capture_on_commit_callbacks):
    base = f"/api/portfolios/{book.pk}/history"
    assert invalid(api.get(f"{base}?timeframe=2Y")) == [
        "timeframe '2Y' is not one of 1D, 1W, 1M, 3M, 1Y, ALL"
    ]
    assert invalid(api.get(f"{base}/performance?from=2025-13-01")) == [
        "from '2025-13-01' is not a date (YYYY-MM-DD)"
    ]
    assert invalid(api.get(f"{base}?from=2025-02-01&to=2025-01-01")) == [
        "from must not be after to"
    ]
    assert invalid(api.get(f"{base}?currency=eur")) == [
        "currency 'eur' is not a reporting currency of this portfolio"
    ]
    assert invalid(api.get(f"{base}/export?format=xlsx")) == [
        "format 'xlsx' is not one of csv, json"
    ]
    for path in ("", "/performance", "/export"):
        fail(client_for(bob).get(f"{base}{path}"), 404)
        fail(client_for(None).get(f"{base}{path}"), 401)


def test_export_csv_and_json(api, book, django_capture_on_commit_callbacks):
    url = f"/api/portfolios/{book.pk}/history/export?from={day(3)}&to={day(1)}"
    with django_capture_on_commit_callbacks(execute=True):
        not_ready(api.get(url))
    response = api.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert lines[0] == ["date", "currency", "value", "unpriced"]
    assert lines[1] == [day(3).isoformat(), "usd", str(D("2.1") * 130), ""]
    assert ["data_points", "3"] in lines
    data = json.loads(api.get(url + "&format=json").content)
    assert [r["date"] for r in data["rows"]] == [day(n).isoformat() for n in (3, 2, 1)]
    assert data["summary"]["data_points"] == 3


def test_a_new_row_recomputes_from_its_day_and_a_deleted_row_from_the_first(
    api, book, django_capture_on_commit_callbacks, monkeypatch
):
    # Every row of this test is seconds old: without the margin for late commits, what the
    # update reads as changed is only what changed after the last update.
    monkeypatch.setattr(series_module, "BUILT_AT_MARGIN", timedelta(0))
    from ledger.models import LedgerEntry, Wallet
    from performance.series import series_update

    url = f"/api/portfolios/{book.pk}/history?timeframe=ALL"
    built(api, url, django_capture_on_commit_callbacks)
    untouched = ValuePoint.objects.get(portfolio=book, day=day(9)).pk
    # Given a reward on day 3 (LedgerEntry saved and the wallet's holdings recomputed)
    wallet = Wallet.objects.get(portfolio=book)
    entry = make_entry(wallet, "income", "0.4", at(3))
    result = series_update(portfolio_id=book.pk)
    # Then only day 3 onwards is recomputed, with the new quantity
    assert result.since == day(3) and result.days == 4
    assert ValuePoint.objects.get(portfolio=book, day=day(9)).pk == untouched
    rows = {r["date"]: r for r in ok(api.get(url))}
    assert rows[day(0).isoformat()]["value"] == str(D("2.0") * 150)
    # A deleted row cannot be dated: the whole series is rebuilt
    from ledger.holdings import wallet_holdings_recompute

    entry.delete()
    wallet_holdings_recompute(wallet=wallet)
    assert series_update(portfolio_id=book.pk).since == day(10)
    rows = {r["date"]: r for r in ok(api.get(url))}
    assert rows[day(0).isoformat()]["value"] == str(D("1.6") * 150)
    # Nothing changed: nothing recomputed
    assert LedgerEntry.objects.filter(portfolio=book).count() == 4
    assert series_update(portfolio_id=book.pk).since is None


def test_an_offset_is_a_deposit_on_the_day_it_was_made(
    api, alice, django_capture_on_commit_callbacks
):
    from offsets.services import offset_create

    portfolio = make_portfolio(alice, title="Offsets", currencies=("usd",))
    close(0, "150")
    url = f"/api/portfolios/{portfolio.pk}/history/performance?timeframe=1D"
    with django_capture_on_commit_callbacks(execute=True):
        offset_create(
            portfolio=portfolio,
            title="Paper wallet",
            balances=[{"currency": "btc", "balance": "2"}],
            source="private-api",
        )
    # The offset's save enqueued the first build: no 503
    point = ValuePoint.objects.get(portfolio=portfolio, day=TODAY)
    assert (point.value, point.flow, point.unpriced) == (D(300), D(300), [])
    result = ok(api.get(url))
    assert result["end_value"] == "300.0" and result["data_points"] == 1


@pytest.mark.parametrize("path", ["", "/performance", "/export"])
def test_scopes_read_is_needed_and_the_routes_only_read(alice, book, path):
    url = f"/api/portfolios/{book.pk}/history{path}"
    for scope in ("", "public", "info", "write"):
        fail(client_for(alice, scope).get(url), 403)
    for scope in ("read", "admin"):
        response = client_for(alice, scope).get(url)
        assert response.status_code == 503 and response.json()["message"] == "Not ready"
    fail(client_for(alice).post(url, {}, format="json"), 405)


def test_a_new_spot_price_revalues_today(api, book, django_capture_on_commit_callbacks):
    from prices.models import SpotPrice
    from prices.signals import spot_prices_stored
    from tests.ledger_api.conftest import cur

    url = f"/api/portfolios/{book.pk}/history?timeframe=1D"
    built(api, url, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        now = timezone.now()
        SpotPrice.objects.create(
            base=cur("btc"), quote=cur("usd"), price=D(160), at=now, fetched_at=now, source="t"
        )
        spot_prices_stored.send(sender=SpotPrice, at=now)
    rows = ok(api.get(url))
    assert [r["value"] for r in rows] == [str(D("1.6") * 140), str(D("1.6") * 160)]
