"""The cost-basis routes on a small ledger computed by hand, FIFO and HIFO.

The ledger (one Coinbase wallet, USD):

    a  2023-01-10 buy     1    BTC  10000 + fee 100  -> lot a: cost 10100
    b  2023-06-01 buy     1    BTC  30000            -> lot b: cost 30000
    c  2023-09-01 income  0.5  ETH  800              -> lot c: cost 800, income 2023
    d  2024-03-01 sell    1.5  BTC  60000 - fee 300  -> proceeds 59700
    e  2024-04-01 convert 0.25 ETH (trade_out, 500) into 0.01 BTC (trade_in, 500) -> lot e
    f  2025-02-01 sell    0.6  BTC  60000            -> oversells by 0.09 BTC (FIFO and HIFO)
    g  2025-03-01 buy     0.2  BTC  16000            -> lot g
    h  2025-03-02 income  0.05 ETH  100              -> lot h, income 2025

FIFO: d takes a (1 BTC: cost 10100, proceeds 39800, long) and half of b (cost 15000, proceeds
19900, short); f takes the other half of b (cost 15000, proceeds 50000, long), e (cost 500,
proceeds 1000, short) and 0.09 missing (cost 0, proceeds 9000, short).
HIFO: d takes b first (unit cost 30000: cost 30000, proceeds 39800, short), then half of a
(cost 5050, proceeds 19900, long); f takes e first (unit cost 50000), then the other half of a
(cost 5050, proceeds 50000, long) and 0.09 missing.
The convert disposes of half of c either way: cost 400, proceeds 500, short.
Open at the end: g (0.2 BTC, 16000), what is left of c (0.25 ETH, 400) and h (0.05 ETH, 100).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from costbasis.models import CostBasisBuild
from ledger.models import LedgerEntry
from portfolios.models import Portfolio
from tests.api.conftest import fail, invalid, ok
from tests.costbasis.conftest import D, build, day, make_entry, spot

P = "/api/portfolios/{}/cost-basis"


@dataclass
class Book:
    portfolio: Portfolio
    a: LedgerEntry
    b: LedgerEntry
    c: LedgerEntry
    d: LedgerEntry
    e_out: LedgerEntry
    e_in: LedgerEntry
    f: LedgerEntry
    g: LedgerEntry
    h: LedgerEntry

    def url(self, path: str = "") -> str:
        return P.format(self.portfolio.pk) + path


@pytest.fixture
def book(portfolio, coinbase) -> Book:
    def row(kind, quantity, when, asset="btc", value=None, **kw):
        return make_entry(coinbase, kind, quantity, day(when), asset, value=value, **kw)

    return Book(
        portfolio,
        a=row("buy", "1", "2023-01-10", value="10000", fee_value=D("100")),
        b=row("buy", "1", "2023-06-01", value="30000"),
        c=row("income", "0.5", "2023-09-01", "eth", value="800", income_type="staking"),
        d=row("sell", "1.5", "2024-03-01", value="60000", fee_value=D("300")),
        e_out=row("trade_out", "0.25", "2024-04-01", "eth", value="500"),
        e_in=row("trade_in", "0.01", "2024-04-01", value="500"),
        f=row("sell", "0.6", "2025-02-01", value="60000"),
        g=row("buy", "0.2", "2025-03-01", value="16000"),
        h=row("income", "0.05", "2025-03-02", "eth", value="100", income_type="staking"),
    )


@pytest.fixture
def hifo(api, book) -> Book:
    ok(api.patch(book.url("/settings"), {"method": "hifo"}, format="json"))
    return book


def not_ready(response) -> None:
    """503 ``Not ready`` with ``try_again_at`` (UTC) and Retry-After."""
    assert response.status_code == 503, response.content
    body = response.json()
    assert body["success"] is False and "result" not in body
    assert body["message"] == "Not ready" and body["try_again_at"].endswith("+00:00")
    assert int(response["Retry-After"]) >= 1


def realized(year, proceeds, cost, short, long, total):
    return {
        "year": year,
        "proceeds": proceeds,
        "cost": cost,
        "short_term": short,
        "long_term": long,
        "total": total,
    }


BTC = {"code": "btc", "title": "Bitcoin"}
ETH = {"code": "eth", "title": "Ethereum"}
USD = {"code": "usd", "title": "United States dollar"}


def test_summary_fifo(api, book):
    spot("btc", "usd", "100000")
    build(book.portfolio)

    result = ok(api.get(book.url()))

    assert result["currency"] == USD
    assert result["settings"]["method"] == "fifo"
    assert result["settings"]["pooling"] == "universal"
    assert result["build"]["stale"] is False and result["build"]["status"] == "ok"
    assert result["build"]["built_at"].endswith("+00:00")
    # Held (the wallet's rows): BTC 1 + 1 - 1.5 + 0.01 - 0.6 + 0.2 = 0.11, ETH 0.5 - 0.25 + 0.05;
    # the BTC lots cover 0.2 (g): f sold 0.09 more than the rows ever acquired
    assert result["assets"] == [
        {
            "currency": BTC,
            "quantity": "0.11",
            "lots_quantity": "0.2",
            "without_lots": "-0.09",
            "offsets": "0.0",
            "elsewhere": "0.0",
            "cost": "16000.0",
            "elsewhere_cost": "0.0",
            "average_unit_cost": "80000.0",
            "values": [
                {
                    "currency": BTC,
                    "cost": "0.16",
                    "market_value": "0.2",
                    "unrealized_gain": "0.04",
                },
                {
                    "currency": USD,
                    "cost": "16000.0",
                    "market_value": "20000.0",
                    "unrealized_gain": "4000.0",
                },
            ],
        },
        {
            "currency": ETH,
            "quantity": "0.3",
            "lots_quantity": "0.3",
            "without_lots": "0.0",
            "offsets": "0.0",
            "elsewhere": "0.0",
            "cost": "500.0",
            "elsewhere_cost": "0.0",
            "average_unit_cost": "1666.666666666666666667",
            "values": [
                {"currency": BTC, "cost": "0.005", "market_value": None, "unrealized_gain": None},
                {"currency": USD, "cost": "500.0", "market_value": None, "unrealized_gain": None},
            ],
        },
    ]
    assert result["totals"] == [
        {
            "currency": BTC,
            "cost": "0.16",
            "market_value": "0.2",
            "unrealized_gain": "0.04",
            "unpriced": ["eth"],
        },
        {
            "currency": USD,
            "cost": "16000.0",
            "market_value": "20000.0",
            "unrealized_gain": "4000.0",
            "unpriced": ["eth"],
        },
    ]
    assert result["realized"] == [
        realized(2024, "60200.0", "25500.0", "5000.0", "29700.0", "34700.0"),
        realized(2025, "60000.0", "15500.0", "9500.0", "35000.0", "44500.0"),
    ]
    assert result["income"] == [{"year": 2023, "value": "800.0"}, {"year": 2025, "value": "100.0"}]
    assert result["missing_acquisitions"] == [
        {"currency": BTC, "quantity": "0.09", "count": 1, "transactions": [book.f.pk]}
    ]
    assert result["flags"] == [{"code": "missing_acquisition", "count": 1}]


def test_summary_hifo(api, hifo):
    build(hifo.portfolio)

    result = ok(api.get(hifo.url()))

    assert result["settings"]["method"] == "hifo"
    assert result["realized"] == [
        realized(2024, "60200.0", "35450.0", "9900.0", "14850.0", "24750.0"),
        realized(2025, "60000.0", "5550.0", "9500.0", "44950.0", "54450.0"),
    ]
    assert [(a["currency"]["code"], a["lots_quantity"], a["cost"]) for a in result["assets"]] == [
        ("btc", "0.2", "16000.0"),
        ("eth", "0.3", "500.0"),
    ]
    # no spot price at all: every market value is unknown, costs are still converted to usd
    assert result["assets"][0]["values"][1] == {
        "currency": USD,
        "cost": "16000.0",
        "market_value": None,
        "unrealized_gain": None,
    }
    assert result["assets"][0]["values"][0]["cost"] is None  # no usd -> btc rate either


def per_asset(code, year, proceeds, cost, short, long, total, income) -> dict:
    return {
        "currency": {"btc": BTC, "eth": ETH}[code],
        "year": year,
        "proceeds": proceeds,
        "cost": cost,
        "short_term": short,
        "long_term": long,
        "total": total,
        "income": income,
    }


def test_summary_by_asset_and_year_fifo(api, book):
    build(book.portfolio)

    result = ok(api.get(book.url()))

    # By hand from the module docstring (FIFO):
    # btc 2024: d = a (proceeds 39800, cost 10100, long) + half of b (19900, 15000, short)
    # btc 2025: f = half of b (50000, 15000, long) + e (1000, 500, short) + missing (9000, 0)
    # eth 2023: income c 800; 2024: the convert (500, 400, short); 2025: income h 100
    assert result["by_asset"] == [
        per_asset("btc", 2024, "59700.0", "25100.0", "4900.0", "29700.0", "34600.0", "0.0"),
        per_asset("btc", 2025, "60000.0", "15500.0", "9500.0", "35000.0", "44500.0", "0.0"),
        per_asset("eth", 2023, "0.0", "0.0", "0.0", "0.0", "0.0", "800.0"),
        per_asset("eth", 2024, "500.0", "400.0", "100.0", "0.0", "100.0", "0.0"),
        per_asset("eth", 2025, "0.0", "0.0", "0.0", "0.0", "0.0", "100.0"),
    ]
    # and they add up to the years
    for year in result["realized"]:
        rows = [r for r in result["by_asset"] if r["year"] == year["year"]]
        for key in ("proceeds", "cost", "short_term", "long_term", "total"):
            assert sum(D(r[key]) for r in rows) == D(year[key])


def test_lots(api, book):
    build(book.portfolio)

    rows = ok(api.get(book.url("/lots")))

    assert [
        (
            r["currency"]["code"],
            r["transaction"],
            r["pool"],
            r["wallet"]["name"],
            r["acquired_at"],
            r["original_quantity"],
            r["remaining_quantity"],
            r["cost"],
            r["unit_cost"],
            r["remaining_cost"],
            r["estimated"],
        )
        for r in rows
    ] == [
        (
            "btc",
            book.g.pk,
            "universal",
            "Coinbase",
            "2025-03-01T12:00:00+00:00",
            "0.2",
            "0.2",
            "16000.0",
            "80000.0",
            "16000.0",
            False,
        ),
        (
            "eth",
            book.c.pk,
            "universal",
            "Coinbase",
            "2023-09-01T12:00:00+00:00",
            "0.5",
            "0.25",
            "800.0",
            "1600.0",
            "400.0",
            False,
        ),
        (
            "eth",
            book.h.pk,
            "universal",
            "Coinbase",
            "2025-03-02T12:00:00+00:00",
            "0.05",
            "0.05",
            "100.0",
            "2000.0",
            "100.0",
            False,
        ),
    ]


def test_lots_filters_and_paging(api, book):
    build(book.portfolio)
    wallet = book.a.wallet_id

    assert [r["transaction"] for r in ok(api.get(book.url("/lots?asset=eth")))] == [
        book.c.pk,
        book.h.pk,
    ]
    assert len(ok(api.get(book.url(f"/lots?wallet={wallet}")))) == 3
    assert ok(api.get(book.url(f"/lots?wallet={wallet + 100}"))) == []
    page = api.get(book.url("/lots?limit=2")).json()
    assert page["count"] == 3 and len(page["result"]) == 2
    assert "offset=2" in page["next"]
    assert invalid(api.get(book.url("/lots?asset=nope"))) == ["unknown currency 'nope'"]
    assert invalid(api.get(book.url("/lots?wallet=x"))) == [
        "wallet 'x' is not an id (a whole number)"
    ]


def uses(disposal) -> list[tuple]:
    return [
        (u["transaction"], u["quantity"], u["cost"], u["proceeds"], u["gain"], u["term"])
        for u in disposal["lots"]
    ]


def test_disposals_fifo(api, book):
    build(book.portfolio)

    rows = ok(api.get(book.url("/disposals")))

    assert [
        (r["transaction"], r["kind"], r["currency"]["code"], r["quantity"], r["proceeds"])
        for r in rows
    ] == [
        (book.d.pk, "sell", "btc", "1.5", "59700.0"),
        (book.e_out.pk, "trade_out", "eth", "0.25", "500.0"),
        (book.f.pk, "sell", "btc", "0.6", "60000.0"),
    ]
    d, e, f = rows
    assert (d["cost"], d["gain"], d["missing_quantity"], d["method"]) == (
        "25100.0",
        "34600.0",
        "0.0",
        "fifo",
    )
    assert d["at"] == "2024-03-01T12:00:00+00:00" and d["wallet"]["name"] == "Coinbase"
    assert uses(d) == [
        (book.a.pk, "1.0", "10100.0", "39800.0", "29700.0", "long"),
        (book.b.pk, "0.5", "15000.0", "19900.0", "4900.0", "short"),
    ]
    assert uses(e) == [(book.c.pk, "0.25", "400.0", "500.0", "100.0", "short")]
    assert (f["cost"], f["gain"], f["missing_quantity"]) == ("15500.0", "44500.0", "0.09")
    assert uses(f) == [
        (book.b.pk, "0.5", "15000.0", "50000.0", "35000.0", "long"),
        (book.e_in.pk, "0.01", "500.0", "1000.0", "500.0", "short"),
        (None, "0.09", "0.0", "9000.0", "9000.0", "short"),
    ]
    assert f["lots"][2]["acquired_at"] == "2025-02-01T12:00:00+00:00"


def test_disposals_hifo(api, hifo):
    build(hifo.portfolio)

    d, e, f = ok(api.get(hifo.url("/disposals")))

    assert d["method"] == "hifo"
    assert uses(d) == [
        (hifo.b.pk, "1.0", "30000.0", "39800.0", "9800.0", "short"),
        (hifo.a.pk, "0.5", "5050.0", "19900.0", "14850.0", "long"),
    ]
    assert uses(e) == [(hifo.c.pk, "0.25", "400.0", "500.0", "100.0", "short")]
    assert uses(f) == [
        (hifo.e_in.pk, "0.01", "500.0", "1000.0", "500.0", "short"),
        (hifo.a.pk, "0.5", "5050.0", "50000.0", "44950.0", "long"),
        (None, "0.09", "0.0", "9000.0", "9000.0", "short"),
    ]


def test_disposals_filters(api, book):
    build(book.portfolio)

    assert [r["transaction"] for r in ok(api.get(book.url("/disposals?year=2024")))] == [
        book.d.pk,
        book.e_out.pk,
    ]
    assert [r["transaction"] for r in ok(api.get(book.url("/disposals?asset=eth")))] == [
        book.e_out.pk
    ]
    assert ok(api.get(book.url("/disposals?asset=btc&year=2023"))) == []
    assert invalid(api.get(book.url("/disposals?year=20x4&asset=zzz"))) == [
        "unknown currency 'zzz'",
        "year '20x4' is not a year such as 2024",
    ]


REPORT_2024_FIFO = [
    "Description,Date acquired,Date sold,Proceeds (USD),Cost basis (USD),Gain or loss (USD),"
    "Term,Transaction,Acquired by transaction,External ID,Acquired by external ID",
    "1.0 BTC,2023-01-10,2024-03-01,39800.00,10100.00,29700.00,long,{d},{a},{xd},{xa}",
    "0.5 BTC,2023-06-01,2024-03-01,19900.00,15000.00,4900.00,short,{d},{b},{xd},{xb}",
    "0.25 ETH,2023-09-01,2024-04-01,500.00,400.00,100.00,short,{e},{c},{xe},{xc}",
    "Total short-term,,,20400.00,15400.00,5000.00,,,,,",
    "Total long-term,,,39800.00,10100.00,29700.00,,,,,",
    "Total,,,60200.00,25500.00,34700.00,,,,,",
]


def test_report_csv(api, book):
    build(book.portfolio)

    response = api.get(book.url("/report.csv?year=2024"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = {"a": book.a, "b": book.b, "c": book.c, "d": book.d, "e": book.e_out}
    ids = {name: row.pk for name, row in rows.items()}
    ids |= {f"x{name}": row.external_id for name, row in rows.items()}
    assert response.content.decode().split("\r\n") == [
        line.format(**ids) for line in REPORT_2024_FIFO
    ] + [""]


def test_report_csv_lists_the_missing_part_of_an_oversell(api, book):
    build(book.portfolio)

    lines = api.get(book.url("/report.csv?year=2025")).content.decode().splitlines()

    assert lines[3] == (
        f"0.09 BTC,unknown,2025-02-01,9000.00,0.00,9000.00,short,{book.f.pk},,{book.f.external_id},"
    )
    assert lines[-1] == "Total,,,60000.00,15500.00,44500.00,,,,,"


def totals_of(csv_text: str) -> dict[str, tuple[str, ...]]:
    return {
        line.split(",")[0]: tuple(line.split(",")[3:6])
        for line in csv_text.splitlines()
        if line.startswith("Total")
    }


def cents(amount: str) -> str:
    return f"{D(amount).quantize(D('0.01'))}"


@pytest.mark.parametrize("method", ["fifo", "hifo", "lifo", "average"])
def test_report_totals_equal_the_api_to_the_cent(api, book, method):
    # Given costs that divide into thirds (average cost), so figures are not whole cents
    make_entry(book.a.wallet, "buy", "3", day("2024-05-01"), value="1000.01")
    make_entry(book.a.wallet, "sell", "1", day("2024-06-01"), value="777.77")
    make_entry(book.a.wallet, "sell", "0.7", day("2024-07-01"), value="512.35", fee_value=D("1"))
    ok(api.patch(book.url("/settings"), {"method": method}, format="json"))
    build(book.portfolio)

    year = next(r for r in ok(api.get(book.url()))["realized"] if r["year"] == 2024)
    totals = totals_of(api.get(book.url("/report.csv?year=2024")).content.decode())

    assert totals["Total"] == (cents(year["proceeds"]), cents(year["cost"]), cents(year["total"]))
    assert totals["Total short-term"][2] == cents(year["short_term"])
    assert totals["Total long-term"][2] == cents(year["long_term"])


def test_report_needs_a_year(api, book):
    build(book.portfolio)
    assert invalid(api.get(book.url("/report.csv"))) == ["year is required, for example ?year=2024"]
    # errors are the JSON envelope even when the client asks for CSV
    response = api.get(book.url("/report.csv?year=soon"), HTTP_ACCEPT="text/csv")
    assert fail(response, 422)["invalid"] == ["year 'soon' is not a year such as 2024"]


def test_report_of_a_year_without_disposals_has_zero_totals(api, book):
    build(book.portfolio)
    lines = api.get(book.url("/report.csv?year=2019")).content.decode().splitlines()
    assert lines[1:] == [
        "Total short-term,,,0.00,0.00,0.00,,,,,",
        "Total long-term,,,0.00,0.00,0.00,,,,,",
        "Total,,,0.00,0.00,0.00,,,,,",
    ]


# --- async: not ready, stale -------------------------------------------------------------------

ROUTES_GET = ["", "/lots", "/disposals", "/report.csv?year=2024"]


@pytest.mark.parametrize("path", ROUTES_GET)
def test_first_request_enqueues_a_build_and_is_not_ready(
    api, book, path, django_capture_on_commit_callbacks
):
    # When nothing was built yet
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        not_ready(api.get(book.url(path)))

    # Then 503 Not ready, and a build was enqueued (and ran: tasks run at commit in tests)
    assert len(callbacks) == 1
    assert CostBasisBuild.objects.get(portfolio=book.portfolio).status == "ok"
    response = api.get(book.url(path))
    assert response.status_code == 200


def test_concurrent_first_requests_enqueue_one_build(api, book, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        not_ready(api.get(book.url()))
        not_ready(api.get(book.url("/lots")))
    assert len(callbacks) == 1


def test_stale_results_are_answered_and_a_rebuild_enqueued(
    api, book, django_capture_on_commit_callbacks
):
    # Given a build, then a later sale
    build(book.portfolio)
    make_entry(book.a.wallet, "sell", "0.1", day("2025-04-01"), value="9000")

    # When asked: the stored answer, marked stale, and a rebuild enqueued
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        stale = ok(api.get(book.url()))
    assert stale["build"]["stale"] is True
    assert stale["assets"][0]["lots_quantity"] == "0.2"
    assert stale["assets"][0]["quantity"] == "0.01"  # what is held now
    assert len(callbacks) == 1

    # Then the rebuild continued from the last build
    fresh = ok(api.get(book.url()))
    assert fresh["build"]["stale"] is False and fresh["build"]["mode"] == "incremental"
    assert fresh["assets"][0]["lots_quantity"] == "0.1"
    assert fresh["realized"][1]["proceeds"] == "69000.0"


def test_reporting_currency_change_makes_the_results_stale(api, book):
    build(book.portfolio)
    ok(api.patch(f"/api/portfolios/{book.portfolio.pk}", {"currencies": ["eur"]}, format="json"))

    result = ok(api.get(book.url()))

    assert result["build"]["stale"] is True
    build(book.portfolio)
    result = ok(api.get(book.url()))
    assert result["currency"]["code"] == "eur"
    # values in usd without a usd -> eur rate count as missing: every row is flagged
    assert result["flags"] == [
        {"code": "missing_acquisition", "count": 1},
        {"code": "missing_value", "count": 9},
    ]


def test_rebuild_route_enqueues_a_full_rebuild(api, book, django_capture_on_commit_callbacks):
    build(book.portfolio)
    with django_capture_on_commit_callbacks(execute=True):
        answer = ok(api.post(book.url("/rebuild")))
    assert answer == {"enqueued": True, "will_run": "full", "merged": False}
    stored = CostBasisBuild.objects.get(portfolio=book.portfolio)
    assert (stored.mode, stored.reason) == ("full", "rebuild asked for")


def test_a_rebuild_asked_while_a_plain_one_is_queued_runs_from_scratch(
    api, book, queued, django_capture_on_commit_callbacks
):
    # Given a build, then a later sale: the next GET answers stale results and queues a plain
    # rebuild (which would continue from the last build), not run yet
    build(book.portfolio)
    make_entry(book.a.wallet, "sell", "0.1", day("2025-04-01"), value="9000")
    with django_capture_on_commit_callbacks(execute=True):
        assert ok(api.get(book.url()))["build"]["stale"] is True
    assert len(queued) == 1

    # When a rebuild from scratch is asked for while that one waits
    with django_capture_on_commit_callbacks(execute=True):
        answer = ok(api.post(book.url("/rebuild")))

    # Then the answer says the queued rebuild now runs from scratch; nothing else is queued
    assert answer == {"enqueued": True, "will_run": "full", "merged": True}
    assert len(queued) == 1
    queued.run()
    stored = CostBasisBuild.objects.get(portfolio=book.portfolio)
    assert (stored.mode, stored.reason) == ("full", "rebuild asked for")
    assert ok(api.get(book.url()))["assets"][0]["lots_quantity"] == "0.1"

    # And the request was taken: the next change continues from that build again
    make_entry(book.a.wallet, "sell", "0.05", day("2025-05-01"), value="4500")
    with django_capture_on_commit_callbacks(execute=True):
        ok(api.get(book.url()))
    queued.run()
    assert CostBasisBuild.objects.get(portfolio=book.portfolio).mode == "incremental"


# --- settings ----------------------------------------------------------------------------------


def test_settings_default_then_patch(api, book, django_capture_on_commit_callbacks):
    build(book.portfolio)
    assert ok(api.get(book.url("/settings"))) | {"updated_at": None} == {
        "method": "fifo",
        "pooling": "universal",
        "method_changes": [],
        "unclassified_out_to_elsewhere": True,
        "tax_time_zone": "UTC",
        "updated_at": None,
    }

    body = {
        "pooling": "per_wallet",
        "method_changes": [{"year": 2025, "method": "hifo"}, {"year": "2024", "method": "LIFO"}],
        "unclassified_out_to_elsewhere": False,
    }
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        changed = ok(api.patch(book.url("/settings"), body, format="json"))

    assert changed["method"] == "fifo" and changed["pooling"] == "per_wallet"
    assert changed["method_changes"] == [
        {"year": 2024, "method": "lifo"},
        {"year": 2025, "method": "hifo"},
    ]
    assert changed["unclassified_out_to_elsewhere"] is False
    assert changed["updated_at"].endswith("+00:00")
    assert len(callbacks) == 1  # the rebuild, which ran
    disposals = ok(api.get(book.url("/disposals")))
    assert [d["method"] for d in disposals] == ["lifo", "lifo", "hifo"]
    assert [d["pool"] for d in disposals] == ["wallet", "wallet", "wallet"]
    assert ok(api.get(book.url("/settings")))["method_changes"][0] == {
        "year": 2024,
        "method": "lifo",
    }


def test_settings_in_bracket_form(api, book):
    response = api.patch(
        book.url("/settings"),
        "method=average&method_changes[][year]=2024&method_changes[][method]=fifo"
        "&unclassified_out_to_elsewhere=false",
        content_type="application/x-www-form-urlencoded",
    )
    assert ok(response)["method_changes"] == [{"year": 2024, "method": "fifo"}]
    assert ok(response)["method"] == "average"
    assert ok(response)["unclassified_out_to_elsewhere"] is False
    cleared = api.patch(
        book.url("/settings"), "method_changes[]", content_type="application/x-www-form-urlencoded"
    )
    assert ok(cleared)["method_changes"] == []


def test_unchanged_settings_enqueue_nothing(api, book, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        ok(api.patch(book.url("/settings"), {"method": "fifo"}, format="json"))
    assert callbacks == []


@pytest.mark.parametrize(
    ("body", "problems"),
    [
        ({}, ["nothing to change: send method, pooling, method_changes, unclassified_out_to_elsewhere or tax_time_zone"]),
        ({"tax_time_zone": "Mars/Olympus"}, ["tax_time_zone 'Mars/Olympus' is not a time zone name such as America/New_York or UTC"]),
        ({"tax_time_zone": "EST-5"}, ["tax_time_zone 'EST-5' is not a time zone name such as America/New_York or UTC"]),
        ({"method": "lofi"}, ["method 'lofi' is not one of fifo, lifo, hifo, average"]),
        ({"pooling": "wallet"}, ["pooling 'wallet' is not one of universal, per_wallet"]),
        ({"unclassified_out_to_elsewhere": "maybe"}, ["unclassified_out_to_elsewhere must be true or false"]),
        ({"method_changes": "hifo"}, ['method_changes must be a list of {"year": 2024, "method": "hifo"}']),
        ({"method": "x", "tax_time_zone": "Mars"}, ["tax_time_zone 'Mars' is not a time zone name such as America/New_York or UTC", "method 'x' is not one of fifo, lifo, hifo, average"]),
        (
            {
                "method": "x",
                "method_changes": [
                    {"year": 2024, "method": "hifo"},
                    {"year": 2024, "method": "fifo"},
                    {"year": "next", "method": "fifo"},
                    {"year": 1999, "method": "fifo"},
                    {"method": "fifo"},
                    {"year": 2026},
                    {"year": 2027, "method": "best"},
                    "2028",
                ],
            },
            [
                "method 'x' is not one of fifo, lifo, hifo, average",
                "method_changes[1]: year 2024 is given twice",
                "method_changes[2]: year 'next' is not a whole number",
                "method_changes[3]: year must be between 2009 and 2100",
                "method_changes[4]: year is required",
                "method_changes[5]: method is required",
                "method_changes[6]: method 'best' is not one of fifo, lifo, hifo, average",
                'method_changes[7] must be an object like {"year": 2024, "method": "hifo"}',
            ],
        ),
    ],
)  # fmt: skip
def test_bad_settings_are_422_with_sentences(api, book, body, problems):
    assert invalid(api.patch(book.url("/settings"), body, format="json")) == problems
    assert ok(api.get(book.url("/settings")))["method"] == "fifo"


@pytest.mark.parametrize("path", ["", "/lots", "/disposals", "/report.csv?year=2024"])
def test_query_count_does_not_grow_with_rows(api, book, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    build(book.portfolio)
    # A first request warms what is cached between requests (the bearer token, with Redis)
    assert api.get(book.url(path)).status_code == 200
    with CaptureQueriesContext(connection) as few:
        assert api.get(book.url(path)).status_code == 200
    for n in range(20):
        make_entry(book.a.wallet, "buy", "1", day("2024-02-01"), value=str(100 + n))
        make_entry(book.a.wallet, "sell", "0.5", day("2024-02-02"), value="90")
    build(book.portfolio)
    with CaptureQueriesContext(connection) as many:
        assert api.get(book.url(path)).status_code == 200
    assert len(many) == len(few)
