"""Ledger pages: transactions filtered and paged as the API filters them, a row re-classified
or valued by hand (errors keep the input), rows missing a value, transfers accepted and
rejected, the inventory."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from ledger.models import LedgerEntry, Transfer, Wallet
from ledger.transfers import transfers_match
from tests.dashboard.conftest import assert_login_redirect
from tests.ledger_api.conftest import at, make_entry, make_wallet

pytestmark = pytest.mark.django_db


def url(name: str, portfolio, *args) -> str:
    return reverse(f"dashboard:{name}", args=[portfolio.pk, *args])


@pytest.fixture
def rows(portfolio):
    """A Coinbase wallet with a buy, an income and a sale of BTC, an ETH buy without value, and
    a send to a hardware wallet that received it an hour later (a proposed transfer)."""
    coinbase = make_wallet(portfolio)
    nano = make_wallet(portfolio, "Nano", kind=Wallet.ACCOUNT)
    buy = make_entry(coinbase, "buy", "1", at(1), value="40000")
    income = make_entry(coinbase, "income", "0.01", at(2), value="400", income_type="staking")
    sell = make_entry(coinbase, "sell", "0.25", at(3), value="12000")
    eth = make_entry(coinbase, "buy", "2", at(4), asset="eth")
    send = make_entry(coinbase, "unclassified_out", "0.5", at(5), reference="tx-a")
    receive = make_entry(
        nano, "unclassified_in", "0.4999", at(5) + timedelta(hours=1), reference="tx-b"
    )
    transfers_match(portfolio=portfolio)
    return {
        "coinbase": coinbase,
        "nano": nano,
        "buy": buy,
        "income": income,
        "sell": sell,
        "eth": eth,
        "send": send,
        "receive": receive,
    }


PAGES = ["transaction-list", "missing-values", "transfer-list", "inventory"]


@pytest.mark.parametrize("name", PAGES)
def test_signed_out_goes_to_sign_in(anon_client, portfolio, name):
    target = url(name, portfolio)
    assert_login_redirect(anon_client.get(target), target)


@pytest.mark.parametrize("name", PAGES)
def test_another_user_gets_not_found(bob_client, portfolio, rows, name):
    assert bob_client.get(url(name, portfolio)).status_code == 404


def test_row_pages_of_another_user_are_not_found(bob_client, anon_client, portfolio, rows):
    transfer = Transfer.objects.get()
    edit = url("transaction-edit", portfolio, rows["buy"].pk)
    assert_login_redirect(anon_client.get(edit), edit)
    assert bob_client.get(edit).status_code == 404
    assert bob_client.post(edit, {"kind": "gift_in"}).status_code == 404
    for name in ("transfer-accept", "transfer-reject"):
        assert bob_client.post(url(name, portfolio, transfer.pk)).status_code == 404
    rows["buy"].refresh_from_db()
    assert rows["buy"].kind == "buy" and Transfer.objects.get().status == Transfer.PROPOSED


def test_a_row_of_another_portfolio_is_not_found(alice, alice_client, portfolio, rows):
    from portfolios.services import portfolio_create

    other = portfolio_create(user=alice, title="Other", currency_codes=["usd"], source="test")
    assert alice_client.get(url("transaction-edit", other, rows["buy"].pk)).status_code == 404


# --- transactions -----------------------------------------------------------------------------


def test_transactions_newest_first_with_kinds_values_and_transfers(alice_client, portfolio, rows):
    response = alice_client.get(url("transaction-list", portfolio))
    assert response.status_code == 200
    entries = list(response.context["page"])
    assert entries[0] == rows["receive"] and entries[-1] == rows["buy"]
    html = response.content.decode()
    assert "6 rows" in html
    assert "Unclassified receive" in html and "Income" in html and "staking" in html
    assert "$40,000.00" in html and 'flow-in">+1</span>' in html and "−0.25" in html
    assert "Transfer proposed" in html
    assert url("transaction-edit", portfolio, rows["eth"].pk) in html
    assert 'class="pill pill-warn">Missing</a>' in html  # the ETH buy has no value


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("asset=eth", ["eth"]),
        ("kind=buy", ["buy", "eth"]),
        ("kind=buy&asset=btc", ["buy"]),
        ("from=2024-03-02&to=2024-03-03", ["income", "sell"]),
        ("to=2024-03-01", ["buy"]),
    ],
)
def test_filters(alice_client, portfolio, rows, query, expected):
    response = alice_client.get(url("transaction-list", portfolio) + "?" + query)
    shown = {entry.pk for entry in response.context["page"]}
    assert shown == {rows[name].pk for name in expected}
    assert "Clear" in response.content.decode()


def test_wallet_filter_and_the_form_keeps_the_choice(alice_client, portfolio, rows):
    target = url("transaction-list", portfolio) + f"?wallet={rows['nano'].pk}"
    response = alice_client.get(target)
    assert [e.pk for e in response.context["page"]] == [rows["receive"].pk]
    assert f'<option value="{rows["nano"].pk}" selected>Nano</option>' in response.content.decode()


def test_wrong_filters_say_why_and_keep_the_input(alice_client, portfolio, rows):
    response = alice_client.get(
        url("transaction-list", portfolio) + "?asset=xyz&from=2024-13-01&kind=buy"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Unknown currency &#x27;xyz&#x27;." in html
    assert "From &#x27;2024-13-01&#x27; is not an ISO 8601 date" in html
    assert 'value="2024-13-01"' in html
    assert list(response.context["page"]) == []


def test_transactions_are_paged(alice_client, portfolio):
    wallet = make_wallet(portfolio)
    for n in range(55):
        make_entry(wallet, "buy", "0.01", at(1) + timedelta(hours=n), value="1")
    target = url("transaction-list", portfolio)
    first = alice_client.get(target + "?kind=buy")
    assert len(first.context["page"]) == 50
    html = first.content.decode()
    assert "Page 1 of 2" in html and 'href="?kind=buy&amp;page=2"' in html
    second = alice_client.get(target + "?kind=buy&page=2")
    assert len(second.context["page"]) == 5


# --- one row ------------------------------------------------------------------------------------


def test_edit_form_offers_kinds_of_the_same_direction(alice_client, portfolio, rows):
    html = alice_client.get(url("transaction-edit", portfolio, rows["send"].pk)).content.decode()
    assert '<option value="sell"' in html and '<option value="gift_out"' in html
    assert '<option value="buy"' not in html and '<option value="fiat_withdrawal"' not in html
    assert "sent something away" in html


def test_reclassify_and_set_a_value_by_hand(alice_client, portfolio, rows):
    entry = rows["eth"]
    back = url("transaction-list", portfolio) + "?asset=eth"
    response = alice_client.post(
        url("transaction-edit", portfolio, entry.pk),
        {
            "kind": "gift_in",
            "value": "6,000.5".replace(",", ""),
            "value_currency": "usd",
            "notes": "From my sister",
            "next": back,
        },
    )
    assert response.status_code == 302 and response["Location"] == back
    entry.refresh_from_db()
    assert entry.kind == "gift_in" and entry.value == Decimal("6000.5")
    assert entry.value_source == LedgerEntry.VALUE_MANUAL and entry.user_modified
    assert entry.notes == "From my sister"
    assert "saved" in alice_client.get(back).content.decode()


def test_income_type_and_clearing_a_value(alice_client, portfolio, rows):
    entry = rows["income"]
    response = alice_client.post(
        url("transaction-edit", portfolio, entry.pk),
        {"kind": "income", "income_type": "airdrop", "value": "", "value_currency": "usd"},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.income_type == "airdrop" and entry.value is None


def test_nothing_changed_changes_nothing(alice_client, portfolio, rows):
    entry = rows["buy"]
    response = alice_client.post(
        url("transaction-edit", portfolio, entry.pk),
        {"kind": "buy", "value": "40000.00", "value_currency": "usd", "notes": ""},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert not entry.user_modified


def test_errors_rerender_with_the_input_kept(alice_client, portfolio, rows):
    entry = rows["eth"]
    response = alice_client.post(
        url("transaction-edit", portfolio, entry.pk),
        {"kind": "sell", "value": "12x", "value_currency": "usd", "notes": "keep me"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "value" in form.errors and "kind" in form.errors
    assert "Value &#x27;12x&#x27; is not a number." in response.content.decode()
    assert form["value"].value() == "12x" and form["notes"].value() == "keep me"
    entry.refresh_from_db()
    assert entry.kind == "buy" and entry.value is None and not entry.user_modified


def test_an_accepted_transfer_leg_cannot_be_reclassified(alice_client, portfolio, rows):
    from ledger.transfers import transfer_accept

    transfer_accept(transfer=Transfer.objects.get())
    response = alice_client.post(
        url("transaction-edit", portfolio, rows["send"].pk), {"kind": "sell"}
    )
    assert response.status_code == 200
    assert "reject the transfer before re-classifying the row" in response.content.decode()


def test_an_outside_next_is_not_followed(alice_client, portfolio, rows):
    response = alice_client.post(
        url("transaction-edit", portfolio, rows["buy"].pk),
        {"notes": "x", "next": "https://evil.example/"},
    )
    assert response["Location"] == url("transaction-list", portfolio)


# --- missing values ----------------------------------------------------------------------------


def test_missing_values_list_and_its_short_form(alice_client, portfolio, rows):
    target = url("missing-values", portfolio)
    response = alice_client.get(target)
    assert [e.pk for e in response.context["page"]] == [
        rows["receive"].pk,
        rows["send"].pk,
        rows["eth"].pk,
    ]
    html = response.content.decode()
    assert "3 rows without a value" in html
    assert f'action="{url("transaction-edit", portfolio, rows["eth"].pk)}"' in html
    # The short form sends a value and its currency only: the kind and notes stay
    response = alice_client.post(
        url("transaction-edit", portfolio, rows["eth"].pk),
        {"value": "5000", "value_currency": "eur", "next": target},
    )
    assert response.status_code == 302 and response["Location"] == target
    entry = LedgerEntry.objects.get(pk=rows["eth"].pk)
    assert entry.value == Decimal("5000") and entry.value_currency.code == "eur"
    assert entry.kind == "buy"
    assert rows["eth"].pk not in [e.pk for e in alice_client.get(target).context["page"]]


def test_no_missing_values(alice_client, portfolio):
    assert "Nothing missing" in alice_client.get(url("missing-values", portfolio)).content.decode()


# --- transfers -----------------------------------------------------------------------------------


def test_transfers_to_review_accept_and_reject(alice_client, portfolio, rows):
    transfer = Transfer.objects.get()
    html = alice_client.get(url("transfer-list", portfolio)).content.decode()
    assert "From Coinbase" in html and "To Nano" in html and "−0.5 BTC" in html
    assert "Fee 0.0001 BTC" in html
    accept = url("transfer-accept", portfolio, transfer.pk)
    assert f'action="{accept}"' in html
    response = alice_client.post(accept)
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == Transfer.ACCEPTED
    page = alice_client.get(response["Location"]).content.decode()
    assert "Transfer of 0.5 BTC from Coinbase to Nano accepted." in page
    assert "Nothing to review" in page
    accepted = alice_client.get(url("transfer-list", portfolio) + "?status=accepted")
    assert list(accepted.context["page"]) == [transfer]
    alice_client.post(url("transfer-reject", portfolio, transfer.pk))
    transfer.refresh_from_db()
    assert transfer.status == Transfer.REJECTED
    rows["send"].refresh_from_db()
    assert rows["send"].kind == "unclassified_out"  # the kind the accept replaced


def test_transfer_actions_need_post(alice_client, portfolio, rows):
    transfer = Transfer.objects.get()
    assert alice_client.get(url("transfer-accept", portfolio, transfer.pk)).status_code == 405


# --- inventory -------------------------------------------------------------------------------------


def test_inventory(alice_client, portfolio, rows):
    response = alice_client.get(url("inventory", portfolio))
    by_code = {row.code: row for row in response.context["rows"]}
    # purchases and sales only: the buy and the unclassified receive, the sale and the
    # unclassified send; the staking income is not a purchase
    assert by_code["btc"].acquired == Decimal("1.4999")
    assert by_code["btc"].balance == Decimal("1.4999") - Decimal("0.25") - Decimal("0.5")
    html = response.content.decode()
    assert "0.7499" in html
    assert "Bitcoin" in html and "Ethereum" in html
    assert "1 without value" in html


def test_empty_inventory(alice_client, portfolio):
    assert "Nothing yet" in alice_client.get(url("inventory", portfolio)).content.decode()
