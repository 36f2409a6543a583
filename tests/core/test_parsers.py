"""Bracket notation, as Rack parses it: a table of bodies and the data they stand for."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

import pytest
from rest_framework.exceptions import ParseError

from core.parsers import DecimalJSONParser, parse_bracket_pairs, parse_urlencoded


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", {}),
        ("title=My+portfolio", {"title": "My portfolio"}),
        ("title=a%26b%3Dc", {"title": "a&b=c"}),
        ("title=", {"title": ""}),
        ("title", {"title": ""}),
        ("a=1&a=2", {"a": "2"}),  # a plain key repeated: the last one wins, as in Rack
        ("currencies[]=btc&currencies[]=usd", {"currencies": ["btc", "usd"]}),
        ("currencies%5B%5D=btc&currencies%5B%5D=usd", {"currencies": ["btc", "usd"]}),
        ("currencies[]", {"currencies": []}),
        ("currencies[]&currencies[]=btc", {"currencies": ["btc"]}),
        ("currencies[]=", {"currencies": [""]}),
        ("currency[]=btc", {"currency": ["btc"]}),
        (
            "balances[][currency]=btc&balances[][balance]=1&balances[][currency]=ltc&balances[][balance]=2",
            {
                "balances": [
                    {"currency": "btc", "balance": "1"},
                    {"currency": "ltc", "balance": "2"},
                ]
            },
        ),
        (
            "balances[][balance]=1&balances[][currency]=btc&balances[][balance]=2&balances[][currency]=ltc",
            {
                "balances": [
                    {"balance": "1", "currency": "btc"},
                    {"balance": "2", "currency": "ltc"},
                ]
            },
        ),
        (
            "balances[][currency]=btc&balances[][currency]=ltc&balances[][balance]=2",
            {"balances": [{"currency": "btc"}, {"currency": "ltc", "balance": "2"}]},
        ),
        ("balances[][balance]=-1.5", {"balances": [{"balance": "-1.5"}]}),
        ("user[name]=Alice&user[email]=a%40b.c", {"user": {"name": "Alice", "email": "a@b.c"}}),
        ("a[b][c]=1&a[b][d]=2", {"a": {"b": {"c": "1", "d": "2"}}}),
        (
            "rows[][tags][]=x&rows[][tags][]=y",
            {"rows": [{"tags": ["x", "y"]}]},
        ),
        ("title=A&&currencies[]=btc&", {"title": "A", "currencies": ["btc"]}),
        ("a=x=y", {"a": "x=y"}),
        ("emoji=%F0%9F%AA%99", {"emoji": "\U0001fa99"}),
    ],
)
def test_parse_urlencoded(body, expected):
    assert parse_urlencoded(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        "currencies=btc&currencies[]=usd",  # a value, then a list under the same name
        "balances=1&balances[][currency]=btc",
        "user=x&user[name]=y",
        "a" + "[b]" * 40 + "=1",  # nested past API_MAX_NESTING_DEPTH (32)
    ],
)
def test_conflicting_or_too_deep_keys_are_a_parse_error(body):
    with pytest.raises(ParseError):
        parse_urlencoded(body)


def test_pairs_keep_the_order_they_were_sent_in():
    pairs = [
        ("balances[][currency]", "btc"),
        ("balances[][balance]", "1"),
        ("balances[][currency]", "eth"),
    ]
    assert parse_bracket_pairs(pairs) == {
        "balances": [{"currency": "btc", "balance": "1"}, {"currency": "eth"}]
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"balance": 0.1}', {"balance": Decimal("0.1")}),
        (b'{"balance": 1e-8}', {"balance": Decimal("1e-8")}),
        (b'{"balance": 10}', {"balance": 10}),
        (b'{"balance": "10"}', {"balance": "10"}),
    ],
)
def test_json_numbers_become_decimals(raw, expected):
    parsed = DecimalJSONParser().parse(BytesIO(raw))
    assert parsed == expected
    assert type(parsed["balance"]) is type(expected["balance"])


@pytest.mark.parametrize("raw", [b"{", b'{"a": }', b"\xff\xfe"])
def test_bad_json_is_a_parse_error(raw):
    with pytest.raises(ParseError):
        DecimalJSONParser().parse(BytesIO(raw))
