"""Offset pages: a title and a formset of (currency, balance) rows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from offsets.models import Offset, OffsetBalance
from portfolios.models import Portfolio
from tests.dashboard.conftest import assert_login_redirect

pytestmark = pytest.mark.django_db


def url(name: str, portfolio, offset=None) -> str:
    args = [portfolio.pk] + ([offset.pk] if offset is not None else [])
    return reverse(f"dashboard:{name}", args=args)


def form_data(title: str, rows: list[tuple[str, str]], initial: int = 0) -> dict[str, str]:
    data = {
        "offset-title": title,
        "balances-TOTAL_FORMS": str(len(rows)),
        "balances-INITIAL_FORMS": str(initial),
        "balances-MIN_NUM_FORMS": "0",
        "balances-MAX_NUM_FORMS": "100",
    }
    for i, (currency, balance) in enumerate(rows):
        data[f"balances-{i}-currency"] = currency
        data[f"balances-{i}-balance"] = balance
    return data


def balances(offset: Offset) -> dict[str, Decimal]:
    return {b.currency.code: b.balance for b in OffsetBalance.objects.filter(offset=offset)}


@pytest.mark.parametrize("name", ["offset-new", "offset-edit", "offset-delete"])
def test_signed_out_goes_to_sign_in(anon_client, portfolio, offset, name):
    target = url(name, portfolio, None if name == "offset-new" else offset)
    assert_login_redirect(anon_client.get(target), target)
    assert_login_redirect(anon_client.post(target, form_data("x", [])), target)


@pytest.mark.parametrize("name", ["offset-new", "offset-edit", "offset-delete"])
def test_another_users_offset_is_not_found(bob_client, portfolio, offset, name):
    target = url(name, portfolio, None if name == "offset-new" else offset)
    assert bob_client.get(target).status_code == 404
    assert bob_client.post(target, form_data("Stolen", [("btc", "100")])).status_code == 404
    offset.refresh_from_db()
    assert offset.title == "Paper wallet" and Offset.objects.count() == 1
    assert balances(offset) == {"btc": Decimal("1.5"), "eth": Decimal("-2")}


def test_new_form_has_blank_rows(alice_client, portfolio):
    response = alice_client.get(url("offset-new", portfolio))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="balances-TOTAL_FORMS" value="3"' in html
    assert 'name="balances-2-balance"' in html
    assert '<datalist id="currency-codes">' in html


def test_add_offset_with_balances_negative_allowed(alice_client, portfolio):
    data = form_data(" Exchange ", [("BTC", "0.5"), ("", ""), ("eth", "-1.25"), ("usd", "1_000")])
    response = alice_client.post(url("offset-new", portfolio), data)
    assert response.status_code == 302 and response["Location"] == url(
        "portfolio-detail", portfolio
    )
    offset = Offset.objects.get(portfolio=portfolio)
    assert offset.title == "Exchange" and offset.source == Portfolio.SOURCE_WEB
    assert balances(offset) == {
        "btc": Decimal("0.5"),
        "eth": Decimal("-1.25"),
        "usd": Decimal("1000"),
    }
    assert {b.source for b in OffsetBalance.objects.filter(offset=offset)} == {"web"}


def test_add_offset_without_balances(alice_client, portfolio):
    response = alice_client.post(url("offset-new", portfolio), form_data("Nothing yet", [("", "")]))
    assert response.status_code == 302
    assert balances(Offset.objects.get(portfolio=portfolio)) == {}


@pytest.mark.parametrize(
    ("rows", "row", "field", "message"),
    [
        ([("btc", "1"), ("xyz", "2")], 1, "currency", "Unknown currency 'xyz'."),
        ([("btc", "abc")], 0, "balance", "Balance for btc 'abc' is not a number."),
        (
            [("btc", "1"), ("", ""), ("BTC", "2")],
            2,
            "currency",
            "Currency 'btc' is listed more than once.",
        ),
        ([("", "5")], 0, "currency", "Balance 1 is missing currency."),
        ([("btc", "1"), ("eth", "")], 1, "balance", "Balance 2 is missing balance."),
        (
            [("btc", "1.0000000000000000001")],
            0,
            "balance",
            "Balance for btc '1.0000000000000000001' has more than 18 decimal places and cannot be stored exactly.",
        ),
        ([("btc", "inf")], 0, "balance", "Balance for btc 'inf' is not a finite number."),
    ],
)
def test_row_errors_sit_next_to_their_row_and_keep_input(
    alice_client, portfolio, rows, row, field, message
):
    data = form_data("Exchange", rows)
    response = alice_client.post(url("offset-new", portfolio), data)
    assert response.status_code == 200
    editor = response.context["editor"]
    assert editor.formset.forms[row].errors == {field: [message]}
    for i, (currency, balance) in enumerate(rows):
        assert editor.formset.forms[i]["currency"].value() == currency
        assert editor.formset.forms[i]["balance"].value() == balance
    assert editor.form["title"].value() == "Exchange"
    assert not Offset.objects.exists()


def test_several_problems_are_reported_at_once(alice_client, portfolio):
    response = alice_client.post(
        url("offset-new", portfolio), form_data("Exchange", [("xyz", "1"), ("btc", "abc")])
    )
    forms = response.context["editor"].formset.forms
    assert forms[0].errors == {"currency": ["Unknown currency 'xyz'."]}
    assert forms[1].errors == {"balance": ["Balance for btc 'abc' is not a number."]}


def test_title_errors(alice_client, portfolio):
    response = alice_client.post(url("offset-new", portfolio), form_data("", [("btc", "1")]))
    editor = response.context["editor"]
    assert editor.form.errors == {"title": ["Title must not be empty."]}
    assert editor.formset.forms[0]["balance"].value() == "1"
    assert "Title must not be empty." in response.content.decode()


def test_edit_shows_balances_and_replaces_them(alice_client, portfolio, offset):
    target = url("offset-edit", portfolio, offset)
    html = alice_client.get(target).content.decode()
    assert 'value="Paper wallet"' in html
    assert (
        'name="balances-0-currency" value="btc"' in html
        and 'name="balances-0-balance" value="1.5"' in html
    )
    assert (
        'name="balances-1-currency" value="eth"' in html
        and 'name="balances-1-balance" value="-2"' in html
    )
    assert 'name="balances-TOTAL_FORMS" value="5"' in html  # two rows and three blank ones

    response = alice_client.post(
        target, form_data("Paper", [("btc", "2"), ("", ""), ("ltc", "3")], initial=2)
    )
    assert response.status_code == 302
    offset.refresh_from_db()
    assert offset.title == "Paper"
    assert balances(offset) == {"btc": Decimal("2"), "ltc": Decimal("3")}


def test_edit_errors_change_nothing(alice_client, portfolio, offset):
    target = url("offset-edit", portfolio, offset)
    response = alice_client.post(
        target, form_data("Paper", [("btc", "2"), ("nope", "3")], initial=2)
    )
    assert response.status_code == 200
    assert response.context["editor"].formset.forms[1].errors == {
        "currency": ["Unknown currency 'nope'."]
    }
    offset.refresh_from_db()
    assert offset.title == "Paper wallet"
    assert balances(offset) == {"btc": Decimal("1.5"), "eth": Decimal("-2")}


def test_delete_asks_first(alice_client, portfolio, offset):
    target = url("offset-delete", portfolio, offset)
    html = alice_client.get(target).content.decode()
    assert "Delete the offset “Paper wallet”?" in html
    assert "1.5 BTC, -2 ETH" in html
    response = alice_client.post(target)
    assert response.status_code == 302
    assert not Offset.objects.exists()


def test_amount_sqlite_cannot_store_exactly_is_shown_on_its_row(alice_client, portfolio):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL stores every numeric(38, 18) amount exactly")
    rows = [("eth", "1"), ("btc", "1.00000000000000001")]
    response = alice_client.post(url("offset-new", portfolio), form_data("Exchange", rows))
    assert response.status_code == 200
    errors = response.context["editor"].formset.forms[1].errors
    assert list(errors) == ["balance"]
    assert (
        "more significant digits than the embedded SQLite database stores exactly"
        in errors["balance"][0]
    )
    assert not Offset.objects.exists()
