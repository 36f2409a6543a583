"""The SVG charts and the display helpers: tables of hand-checked examples."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from dashboard.charts import (
    NOT_ENOUGH_HISTORY,
    allocation_chart,
    allocation_slices,
    date_ticks,
    drawdown_chart,
    line_chart,
    nice_number,
    nice_ticks,
    tick_places,
)
from dashboard.display import (
    Unit,
    explorer_url,
    format_money,
    format_percent,
    format_quantity,
    shorten_middle,
)

USD = Unit("usd", 2, True)
EUR = Unit("eur", 2, True)
CHF = Unit("chf", 2, True)
JPY = Unit("jpy", 0, True)
BTC = Unit("btc", 8, False)
ETH = Unit("eth", 18, False)


@pytest.mark.parametrize(
    ("x", "round_", "expected"),
    [
        (D("1"), False, D("1")),
        (D("1.2"), False, D("2")),
        (D("3"), False, D("5")),
        (D("7"), False, D("10")),
        (D("94"), False, D("100")),
        (D("1.2"), True, D("1")),
        (D("2.9"), True, D("2")),
        (D("6.9"), True, D("5")),
        (D("7.5"), True, D("10")),
        (D("0.00037"), True, D("0.0005")),
        (D("23000"), True, D("20000")),
    ],
)
def test_nice_number(x, round_, expected):
    assert nice_number(x, round_=round_) == expected


def test_nice_number_refuses_zero():
    with pytest.raises(ValueError):
        nice_number(D(0), round_=True)


@pytest.mark.parametrize(
    ("lo", "hi", "expected"),
    [
        ("3", "97", ["0", "20", "40", "60", "80", "100"]),
        ("0", "1", ["0", "0.2", "0.4", "0.6", "0.8", "1"]),
        ("-5", "12", ["-5", "0", "5", "10", "15"]),
        ("1234.56", "1876.2", ["1200", "1400", "1600", "1800", "2000"]),
        ("0.0012", "0.0019", ["0.0012", "0.0014", "0.0016", "0.0018", "0.002"]),
        ("100", "100", ["90", "95", "100", "105", "110"]),  # a flat line still gets an axis
        ("0", "0", ["-1", "-0.5", "0", "0.5", "1"]),
        ("97", "3", ["0", "20", "40", "60", "80", "100"]),  # order does not matter
    ],
)
def test_nice_ticks(lo, hi, expected):
    assert nice_ticks(D(lo), D(hi)) == [D(t) for t in expected]


@pytest.mark.parametrize(
    ("lo", "hi"),
    [("0.01", "99999"), ("-1000000", "3"), ("17.3", "17.31"), ("5e-9", "7e-9"), ("1", "1e15")],
)
def test_nice_ticks_cover_the_range_with_few_round_steps(lo, hi):
    ticks = nice_ticks(D(lo), D(hi))
    assert ticks[0] <= D(lo) and ticks[-1] >= D(hi)
    assert 2 <= len(ticks) <= 8
    steps = {b - a for a, b in zip(ticks, ticks[1:], strict=False)}
    assert len(steps) == 1
    digits = steps.pop().normalize().as_tuple().digits
    assert digits in {(1,), (2,), (5,)}


@pytest.mark.parametrize(
    ("ticks", "unit", "places"),
    [
        (["0", "20", "40"], USD, 0),
        (["0", "0.5", "1"], USD, 2),  # cents: "$0.50", never "$0.5"
        (["0", "0.5", "1"], BTC, 1),
        (["0.0012", "0.0014"], BTC, 4),
        (["0", "0.005"], USD, 3),
    ],
)
def test_tick_places(ticks, unit, places):
    assert tick_places([D(t) for t in ticks], unit) == places


@pytest.mark.parametrize(
    ("value", "unit", "places", "expected"),
    [
        ("1234.56", USD, None, "$1,234.56"),
        ("1234.5", USD, None, "$1,234.50"),
        ("-0.5", EUR, None, "-€0.50"),
        ("-0.004", USD, None, "$0.00"),  # rounds to zero: no minus sign
        ("12", CHF, None, "CHF 12.00"),
        ("1234567", JPY, None, "¥1,234,567"),
        ("1000", USD, 0, "$1,000"),
        ("1.5", BTC, None, "1.5 BTC"),
        ("1.50000000", BTC, None, "1.5 BTC"),
        ("0.000000015", BTC, None, "0.00000002 BTC"),  # the currency's precision
        ("12345.6789", ETH, None, "12,345.6789 ETH"),
        ("-2", ETH, None, "-2 ETH"),
        ("0.5", BTC, 2, "0.50 BTC"),
        ("0", BTC, None, "0 BTC"),
    ],
)
def test_format_money(value, unit, places, expected):
    assert format_money(D(value), unit, places=places) == expected


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [("2", 18, "2"), ("0.50000", 8, "0.5"), ("1234.5", 8, "1,234.5"), ("-0.1", 2, "-0.1")],
)
def test_format_quantity(value, decimals, expected):
    assert format_quantity(D(value), decimals) == expected


@pytest.mark.parametrize(
    ("share", "expected"), [("0.4251", "42.5%"), ("1", "100.0%"), ("0.0004", "0.0%")]
)
def test_format_percent(share, expected):
    assert format_percent(D(share)) == expected


@pytest.mark.parametrize(
    ("code", "token", "expected"),
    [
        ("btc", False, "https://mempool.space/address/A1"),
        ("ltc", False, "https://litecoinspace.org/address/A1"),
        ("eth", False, "https://etherscan.io/address/A1"),
        ("usdt", True, "https://etherscan.io/address/A1"),
        ("BTC", False, "https://mempool.space/address/A1"),
        ("doge", False, None),
    ],
)
def test_explorer_url(code, token, expected):
    assert explorer_url("A1", code, is_ethereum_token=token) == expected


def test_shorten_middle():
    assert shorten_middle("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq") == "bc1qar0srr…wf5mdq"
    assert shorten_middle("short") == "short"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (
            date(2024, 1, 1),
            date(2024, 1, 3),
            [date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)],
        ),
        (date(2024, 1, 1), date(2024, 1, 9), [date(2024, 1, d) for d in (1, 3, 5, 7, 9)]),
        (
            date(2024, 1, 1),
            date(2024, 2, 1),
            [
                date(2024, 1, 1),
                date(2024, 1, 8),
                date(2024, 1, 15),
                date(2024, 1, 22),
                date(2024, 1, 29),
            ],
        ),
        (date(2024, 1, 15), date(2024, 12, 3), [date(2024, m, 1) for m in (2, 4, 6, 8, 10, 12)]),
    ],
)
def test_date_ticks(start, end, expected):
    assert date_ticks(start, end) == expected


@pytest.mark.parametrize(
    ("start", "end"), [(date(2020, 3, 5), date(2024, 2, 1)), (date(1990, 1, 1), date(2024, 1, 1))]
)
def test_date_ticks_over_years_fall_on_first_days_of_months(start, end):
    ticks = date_ticks(start, end)
    assert 2 <= len(ticks) <= 6
    assert all(t.day == 1 for t in ticks)
    assert start <= ticks[0] and ticks[-1] <= end


# --- Line chart -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "points",
    [
        [],
        [(date(2024, 1, 1), D("5"))],
        [
            (datetime(2024, 1, 1, 1, tzinfo=UTC), D("1")),
            (datetime(2024, 1, 1, 9, tzinfo=UTC), D("2")),
        ],
    ],
    ids=["empty", "one point", "one day"],
)
def test_line_chart_without_enough_history_says_so(points):
    html = line_chart(points, unit=USD, title="Value")
    assert "<svg" not in html
    assert NOT_ENOUGH_HISTORY in html


def test_line_chart_draws_an_accessible_svg():
    points = [
        (date(2024, 1, 3), D("1100")),
        (date(2024, 1, 1), D("1000.5")),
        (date(2024, 1, 2), D("950")),
    ]
    html = line_chart(points, unit=USD, title="Value over time in USD", chart_id="v")
    assert html.startswith('<figure class="chart chart-line" id="v">')
    assert 'role="img"' in html and 'aria-label="Value over time in USD"' in html
    assert "<title>Value over time in USD</title>" in html
    desc = re.search(r'<desc id="v-desc">(.*?)</desc>', html).group(1)
    assert desc == (
        "Value in USD from 1 Jan 2024 to 3 Jan 2024: $1,000.50 at the start, $1,100.00 at the end; "
        "lowest $950.00 on 2 Jan 2024, highest $1,100.00 on 3 Jan 2024."
    )
    # y axis: nice ticks written as money, all with the same number of decimals
    assert re.findall(r'class="y-label"[^>]*>([^<]*)<', html) == [
        "$950",
        "$1,000",
        "$1,050",
        "$1,100",
    ]
    assert re.findall(r'class="x-label"[^>]*>([^<]*)<', html) == ["1 Jan", "2 Jan", "3 Jan"]
    # the hidden table has every point, oldest first
    assert '<div class="visually-hidden"><table><caption>Value over time in USD</caption>' in html
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td></tr>", html)
    assert rows == [
        ("1 Jan 2024", "$1,000.50"),
        ("2 Jan 2024", "$950.00"),
        ("3 Jan 2024", "$1,100.00"),
    ]


def test_line_chart_coordinates_stay_inside_the_viewbox():
    points = [(date(2024, 1, d), D(v)) for d, v in [(1, "0.0012"), (5, "0.0019"), (20, "0.0015")]]
    html = line_chart(points, unit=BTC, title="Value")
    coordinates = re.search(r'class="line" d="M([^"]*)"', html).group(1).split()
    for pair in coordinates:
        x, y = (D(v) for v in pair.lstrip("L").split(","))
        assert 0 <= x <= 880 and 0 <= y <= 280
    assert "0.0012 BTC" in html


def test_line_chart_escapes_its_texts():
    html = line_chart(
        [(date(2024, 1, 1), D(1)), (date(2024, 1, 2), D(2))], unit=USD, title="<script>x</script>"
    )
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_a_day_without_a_price_breaks_the_line_and_is_marked():
    # Given five days of which the 3rd and 4th have no price
    points = [
        (date(2024, 1, 1), D("100")),
        (date(2024, 1, 2), D("200")),
        (date(2024, 1, 3), None),
        (date(2024, 1, 4), None),
        (date(2024, 1, 5), D("300")),
    ]
    html = line_chart(points, unit=USD, title="Value", width=480, height=280)
    # Then the line is two pieces: days 1-2, and day 5 alone (shown by a ring)
    line = re.search(r'<path class="line" d="([^"]*)"', html).group(1)
    subpaths = [p.strip() for p in line.split("M") if p.strip()]
    assert len(subpaths) == 2
    assert len(subpaths[0].split()) == 2 and len(subpaths[1].split()) == 1
    assert html.count('class="line point"') == 1
    # And nothing is drawn at zero: the lowest y label is the lowest real value's tick
    assert re.findall(r'class="y-label"[^>]*>([^<]*)<', html)[0] == "$100"
    # And a shaded band covers the two days, from day 2 to day 5, with its dates
    band = re.search(r'<rect class="gap" x="([^"]*)" y="[^"]*" width="([^"]*)"', html)
    x2, x5 = (D(v.split(",")[0]) for v in (subpaths[0].split()[1], subpaths[1]))
    assert D(band.group(1)) == x2 and D(band.group(1)) + D(band.group(2)) == x5
    assert "<title>No price: 3 Jan 2024 to 4 Jan 2024</title>" in html
    # And the text alternative says so
    assert "2 days without a price left as gaps." in html
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td></tr>", html)
    assert rows[2:4] == [("3 Jan 2024", "no price"), ("4 Jan 2024", "no price")]


def test_a_line_needs_two_priced_days():
    points = [(date(2024, 1, 1), D("100")), (date(2024, 1, 2), None), (date(2024, 1, 3), None)]
    assert NOT_ENOUGH_HISTORY in line_chart(points, unit=USD, title="Value")


# --- Allocation donut -----------------------------------------------------------------------


def test_allocation_slices_merge_the_smallest_into_other():
    items = [(f"C{i}", D(i)) for i in range(1, 9)]  # 8 positive items
    slices, left_out = allocation_slices(items, max_slices=4)
    assert [label for label, _, _ in slices] == ["C8", "C7", "C6", "Other"]
    assert slices[-1][1] == D(1 + 2 + 3 + 4 + 5)
    assert sum(share for _, _, share in slices) == pytest.approx(1)
    assert left_out == []


def test_allocation_slices_leave_out_zero_and_negative():
    slices, left_out = allocation_slices(
        [("BTC", D(3)), ("ETH", D(-1)), ("LTC", D(0)), ("USDT", D(1))]
    )
    assert [(label, value, share) for label, value, share in slices] == [
        ("BTC", D(3), D("0.75")),
        ("USDT", D(1), D("0.25")),
    ]
    assert left_out == ["ETH", "LTC"]


@pytest.mark.parametrize(
    "items", [[], [("ETH", D(-1))], [("BTC", D(0))]], ids=["empty", "negative", "zero"]
)
def test_allocation_chart_without_positive_values_says_so(items):
    html = allocation_chart(
        items, unit=USD, title="Allocation", empty_message="Values appear once prices are fetched."
    )
    assert "<svg" not in html
    assert "Values appear once prices are fetched." in html


def test_allocation_chart_draws_a_donut_with_legend_and_table():
    html = allocation_chart(
        [("BTC", D("750")), ("ETH", D("250")), ("XRP", D("-10"))],
        unit=USD,
        title="Allocation",
        chart_id="a",
    )
    assert 'aria-label="Allocation"' in html and "<title>Allocation</title>" in html
    assert re.findall(r'stroke-dasharray="([^"]*)"', html) == ["74.4 25.6", "24.4 75.6"]
    assert ">$1,000.00</text>" in html  # the total in the middle
    legend = re.findall(
        r'legend-label">([^<]*)<.*?legend-value">([^<]*)<.*?legend-share">([^<]*)<', html
    )
    assert legend == [("BTC", "$750.00", "75.0%"), ("ETH", "$250.00", "25.0%")]
    assert "<tr><td>BTC</td><td>$750.00</td><td>75.0%</td></tr>" in html
    assert "Not shown, because they are zero or negative: XRP." in html


def test_allocation_chart_single_holding_is_a_full_ring():
    html = allocation_chart([("BTC", D("2"))], unit=BTC, title="Allocation")
    assert re.findall(r'stroke-dasharray="([^"]*)"', html) == ["100 0"]
    assert "100.0%" in html


def test_drawdown_chart_hangs_from_zero_and_marks_gaps():
    points = [
        (date(2024, 1, 1), D(0)),
        (date(2024, 1, 2), D(0)),
        (date(2024, 1, 3), D("-0.25")),
        (date(2024, 1, 4), None),
        (date(2024, 1, 5), D("-0.1")),
    ]
    html = drawdown_chart(points, title="Drawdown <in> USD")
    assert "<in>" not in html and "Drawdown &lt;in&gt; USD" in html
    labels = re.findall(r'class="y-label"[^>]*>([^<]+)<', html)
    assert labels[-1] == "0.0%" and D(labels[0].rstrip("%")) <= D("-25")
    # every point of the line is at or below the zero line, inside the viewBox
    zero_y = D(re.search(r'class="drawdown-area" d="M[\d.]+,([\d.]+)', html).group(1))
    for run in re.search(r'class="drawdown-line" d="([^"]*)"', html).group(1).split("M")[1:]:
        for pair in run.split():
            x, y = (D(v) for v in pair.lstrip("L").split(","))
            assert 0 <= x <= 880 and zero_y <= y <= 120
    assert html.count('class="gap"') == 1  # the day without a price
    assert "deepest -25.0% on 3 Jan 2024" in html
    assert "<td>no price</td>" in html


def test_drawdown_chart_needs_two_valued_days():
    assert drawdown_chart([(date(2024, 1, 1), D(0)), (date(2024, 1, 2), None)], title="x") == ""
