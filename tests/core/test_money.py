"""Amounts: the one formatter for the API and the one parser for requests."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.exceptions import ValidationFailed
from core.money import format_amount, parse_amount, quantize_for_display, significant_digits


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("10"), "10.0"),
        (Decimal("0"), "0.0"),
        (Decimal("-0"), "0.0"),
        (Decimal("0E-18"), "0.0"),
        (Decimal("-2"), "-2.0"),
        (Decimal("50.00501"), "50.00501"),
        (Decimal("0.001685740"), "0.00168574"),
        (Decimal("1E-8"), "0.00000001"),
        (Decimal("1E+3"), "1000.0"),
        (Decimal("10.000000000000000000"), "10.0"),
        (Decimal("0.000000000000000001"), "0.000000000000000001"),
        (Decimal("123456789012345678.123456789012345678"), "123456789012345678.123456789012345678"),
        (Decimal("-0.5"), "-0.5"),
        (7, "7.0"),
        (None, None),
    ],
)
def test_format_amount(value, text):
    assert format_amount(value) == text


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("10", Decimal("10")),
        (" 1.5 ", Decimal("1.5")),
        ("-2", Decimal("-2")),
        ("-0", Decimal("0")),
        ("1e-8", Decimal("0.00000001")),
        ("1_000", Decimal("1000")),
        (Decimal("0.1"), Decimal("0.1")),
        (10, Decimal("10")),
        (0.1, Decimal("0.1")),  # a float is read by its shortest repr, never its binary value
        ("1.500000000000000000000000", Decimal("1.5")),
        (
            "99999999999999999999.999999999999999999",
            Decimal("99999999999999999999.999999999999999999"),
        ),
    ],
)
def test_parse_amount(raw, value):
    parsed = parse_amount(raw)
    assert parsed == value
    assert not parsed.is_signed() or parsed < 0


@pytest.mark.parametrize(
    ("raw", "sentence"),
    [
        ("abc", "balance 'abc' is not a number"),
        ("", "balance '' is not a number"),
        ("1,5", "balance '1,5' is not a number"),
        ("NaN", "balance 'NaN' is not a finite number"),
        ("-Infinity", "balance '-Infinity' is not a finite number"),
        (None, 'balance must be a number, for example "1.5"'),
        (True, 'balance must be a number, for example "1.5"'),
        (["1"], 'balance must be a number, for example "1.5"'),
        ({"a": 1}, 'balance must be a number, for example "1.5"'),
        (
            "0.0000000000000000001",
            "balance '0.0000000000000000001' has more than 18 decimal places and cannot be stored exactly",
        ),
        (
            "123456789012345678901",
            "balance '123456789012345678901' is too large (at most 20 digits before the point)",
        ),
        ("1E+20", "balance '1E+20' is too large (at most 20 digits before the point)"),
        ("1e999999999", "balance '1e999999999' is too large (at most 20 digits before the point)"),
        (
            "1e-999999999",
            "balance '1e-999999999' has more than 18 decimal places and cannot be stored exactly",
        ),
        (
            # 39 digits: more than the context's working precision must not round it into shape
            "12345678901234567890.0000000000000000001",
            "balance '12345678901234567890.0000000000000000001' has more than 18 decimal places "
            "and cannot be stored exactly",
        ),
        (
            "1." + "0" * 70 + "1",
            f"balance '1.{'0' * 70}1' has more than 18 decimal places and cannot be stored exactly",
        ),
    ],
)
def test_parse_amount_refuses(raw, sentence):
    with pytest.raises(ValidationFailed) as raised:
        parse_amount(raw, field="balance")
    assert raised.value.problems == [sentence]


@pytest.mark.parametrize(
    ("value", "digits"),
    [
        (Decimal("0"), 1),
        (Decimal("10.0"), 1),
        (Decimal("123.450"), 5),
        (Decimal("0.00001"), 1),
        (Decimal("1" * 70), 70),
    ],
)
def test_significant_digits(value, digits):
    assert significant_digits(value) == digits


def test_quantize_for_display_rounds_half_even():
    assert quantize_for_display(Decimal("1.005"), 2) == Decimal("1.00")
    assert quantize_for_display(Decimal("1.015"), 2) == Decimal("1.02")
    assert quantize_for_display(Decimal("5"), 0) == Decimal("5")


@st.composite
def storable(draw) -> Decimal:
    """Any amount numeric(38, 18) holds: up to 20 integer digits and up to 18 decimal places,
    written with any number of trailing zeros."""
    places = draw(st.integers(min_value=0, max_value=18))
    units = draw(
        st.integers(min_value=-(10 ** (20 + places)) + 1, max_value=10 ** (20 + places) - 1)
    )
    padding = draw(st.integers(min_value=0, max_value=4))
    return Decimal(f"{units}{'0' * padding}E-{places + padding}")


@given(storable())
def test_format_then_parse_is_the_same_number(value):
    text = format_amount(value)

    assert parse_amount(text) == value
    assert "e" not in text.lower()
    whole, _, fraction = text.lstrip("-").partition(".")
    assert fraction, "at least one digit after the point"
    assert fraction == "0" or not fraction.endswith("0"), "no trailing zeros beyond one"
    assert whole == "0" or not whole.startswith("0")


@given(storable())
def test_format_is_stable_under_reparsing(value):
    text = format_amount(value)
    assert format_amount(parse_amount(text)) == text


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=18, min_value=-(10**19), max_value=10**19
    )
)
def test_same_number_same_text_whatever_the_exponent(value):
    # 1.5, 1.50 and 1.500000000000000000 are one amount and print the same
    assert format_amount(value) == format_amount(value.quantize(Decimal("1E-18")))
    assert format_amount(value) == format_amount(value.normalize())
