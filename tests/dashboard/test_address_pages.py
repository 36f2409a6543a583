"""Address pages: add, show, edit, remove."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from addresses.models import Address
from portfolios.models import Portfolio
from tests.dashboard.conftest import (
    BTC_ADDRESS,
    BTC_BECH32,
    ETH_ADDRESS,
    LTC_ADDRESS,
    assert_login_redirect,
)

pytestmark = pytest.mark.django_db


def url(name: str, portfolio, address=None) -> str:
    args = [portfolio.pk] + ([address.pk] if address is not None else [])
    return reverse(f"dashboard:{name}", args=args)


@pytest.mark.parametrize(
    "name", ["address-new", "address-detail", "address-edit", "address-delete"]
)
def test_signed_out_goes_to_sign_in(anon_client, portfolio, address, name):
    target = url(name, portfolio, None if name == "address-new" else address)
    assert_login_redirect(anon_client.get(target), target)
    assert_login_redirect(
        anon_client.post(target, {"address": BTC_BECH32, "currency": "btc"}), target
    )
    assert Address.objects.count() == 1


@pytest.mark.parametrize(
    "name", ["address-new", "address-detail", "address-edit", "address-delete"]
)
def test_another_users_address_is_not_found(bob_client, portfolio, address, name):
    target = url(name, portfolio, None if name == "address-new" else address)
    assert bob_client.get(target).status_code == 404
    assert (
        bob_client.post(
            target, {"address": BTC_BECH32, "currency": "btc", "title": "x"}
        ).status_code
        == 404
    )
    address.refresh_from_db()
    assert address.title == "Cold wallet" and Address.objects.count() == 1


def test_address_of_another_portfolio_is_not_found(alice, alice_client, portfolio, address):
    """An address id reached through another (even one's own) portfolio is not there."""
    from portfolios.services import portfolio_create

    other = portfolio_create(user=alice, title="Other", currency_codes=["usd"], source="test")
    assert alice_client.get(url("address-detail", other, address)).status_code == 404


def test_add_form_offers_chains_and_tokens(alice_client, portfolio):
    response = alice_client.get(url("address-new", portfolio))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<optgroup label="Coins">' in html and '<optgroup label="Ethereum tokens">' in html
    assert '<option value="btc" selected>BTC — Bitcoin</option>' in html
    assert '<option value="usd"' not in html


@pytest.mark.parametrize(
    ("address", "currency", "stored"),
    [
        (BTC_BECH32.upper(), "btc", BTC_BECH32),
        (LTC_ADDRESS, "ltc", LTC_ADDRESS),
        (ETH_ADDRESS, "usdt", ETH_ADDRESS.lower()),
    ],
)
def test_add_address(alice_client, portfolio, address, currency, stored):
    response = alice_client.post(
        url("address-new", portfolio),
        {"title": "", "address": f" {address}\n", "currency": currency},
    )
    assert response.status_code == 302
    assert response["Location"] == url("portfolio-detail", portfolio)
    created = Address.objects.get(portfolio=portfolio)
    assert created.address == stored and created.currency.code == currency
    assert created.title == "" and created.source == Portfolio.SOURCE_WEB


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"address": "", "currency": "btc"}, "address", "Address must not be empty."),
        (
            {"address": BTC_BECH32[:-1] + "x", "currency": "btc"},
            "address",
            "Address is not a valid Bitcoin address",
        ),
        (
            {"address": LTC_ADDRESS, "currency": "btc"},
            "address",
            "Address is not a valid Bitcoin address",
        ),
        (
            {"address": BTC_ADDRESS, "currency": "doge"},
            "currency",
            "Addresses for currency &#x27;doge&#x27; are not supported yet",
        ),
        (
            {"address": BTC_ADDRESS, "currency": "nope"},
            "currency",
            "Unknown currency &#x27;nope&#x27;.",
        ),
        (
            {"address": BTC_ADDRESS, "currency": "btc", "title": "t" * 101},
            "title",
            "Title must be at most 100 characters.",
        ),
    ],
)
def test_add_errors_rerender_with_the_input_kept(alice_client, portfolio, data, field, message):
    data = {"title": "My wallet", **data}
    response = alice_client.post(url("address-new", portfolio), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    form = response.context["form"]
    assert list(form.errors) == [field]
    for name, value in data.items():
        assert form[name].value() == value
    assert not Address.objects.exists()


def test_add_duplicate_is_refused_next_to_the_address(alice_client, portfolio, address):
    response = alice_client.post(
        url("address-new", portfolio), {"title": "", "address": BTC_ADDRESS, "currency": "btc"}
    )
    assert response.context["form"].errors == {
        "address": [f"Address {BTC_ADDRESS} (btc) is already in this portfolio."]
    }


def test_address_page(alice_client, portfolio, address):
    response = alice_client.get(url("address-detail", portfolio, address))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Cold wallet</h1>" in html
    assert BTC_ADDRESS in html
    assert f'href="https://mempool.space/address/{BTC_ADDRESS}"' in html
    assert '<span class="pill pill-good">Valid</span>' in html
    assert "Not fetched yet — fetching now." in html
    assert "Transactions fetched</dt><dd>not fetched yet" in html
    # and the first fetch was enqueued (address_data_ready), the page did not fail
    assert cache.get(f"enqueued:address:{address.pk}") is not None


@pytest.mark.parametrize(
    ("address", "currency", "explorer"),
    [
        (LTC_ADDRESS, "ltc", f"https://litecoinspace.org/address/{LTC_ADDRESS}"),
        (ETH_ADDRESS, "eth", f"https://etherscan.io/address/{ETH_ADDRESS.lower()}"),
        (ETH_ADDRESS, "usdc", f"https://etherscan.io/address/{ETH_ADDRESS.lower()}"),
    ],
)
def test_address_page_links_the_chain_explorer(
    alice_client, portfolio, address, currency, explorer
):
    from addresses.services import address_create

    created = address_create(
        portfolio=portfolio, title="", address=address, currency_code=currency, source="test"
    )
    html = alice_client.get(url("address-detail", portfolio, created)).content.decode()
    assert f'href="{explorer}"' in html
    assert "<h1>Untitled address</h1>" in html


def test_rejected_address_says_so(alice_client, portfolio, address):
    Address.objects.filter(pk=address.pk).update(valid=False)
    html = alice_client.get(url("address-detail", portfolio, address)).content.decode()
    assert "The explorer says this is not a valid address." in html
    assert cache.get(f"enqueued:address:{address.pk}") is None  # not fetched again


def test_edit_address(alice_client, portfolio, address):
    target = url("address-edit", portfolio, address)
    html = alice_client.get(target).content.decode()
    assert f'value="{BTC_ADDRESS}"' in html and 'value="Cold wallet"' in html
    response = alice_client.post(
        target, {"title": "Hardware", "address": BTC_BECH32, "currency": "btc"}
    )
    assert response.status_code == 302 and response["Location"] == url(
        "address-detail", portfolio, address
    )
    address.refresh_from_db()
    assert address.title == "Hardware" and address.address == BTC_BECH32


def test_edit_errors_keep_input(alice_client, portfolio, address):
    target = url("address-edit", portfolio, address)
    response = alice_client.post(
        target, {"title": "Hardware", "address": "not-an-address", "currency": "btc"}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["address"]
    assert form["address"].value() == "not-an-address" and form["title"].value() == "Hardware"
    address.refresh_from_db()
    assert address.title == "Cold wallet" and address.address == BTC_ADDRESS


def test_remove_asks_first(alice_client, portfolio, address):
    target = url("address-delete", portfolio, address)
    html = alice_client.get(target).content.decode()
    assert "Remove the address “Cold wallet”?" in html
    assert Address.objects.exists()
    response = alice_client.post(target)
    assert response.status_code == 302 and response["Location"] == url(
        "portfolio-detail", portfolio
    )
    assert not Address.objects.exists()


# --- Balance and transactions --------------------------------------------------------------


def _txn(address, n: int, delta: str, *, fee: str = "0", confirmed: bool = True):
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    from addresses.models import AddressTransaction

    return AddressTransaction.objects.create(
        address=address,
        currency=address.currency,
        key=f"k{n}",
        reference=f"{n:064x}",
        delta=Decimal(delta),
        fee=Decimal(fee),
        txn_at=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=n),
        confirmed=confirmed,
        source="esplora",
    )


def test_balance_and_transactions_newest_first_with_explorer_links(
    alice_client, portfolio, address
):
    from tests.dashboard.conftest import fetched

    fetched(address, "0.75")
    for n in range(3):
        _txn(address, n, "0.5" if n != 1 else "-0.25", fee="0" if n != 1 else "0.0001")
    html = alice_client.get(url("address-detail", portfolio, address)).content.decode()
    assert "0.75 BTC" in html
    assert "Balance from" in html and "now" in html
    newest, oldest = f"{2:064x}", f"{0:064x}"
    assert html.index(f"tx/{newest}") < html.index(f"tx/{oldest}")
    assert f'href="https://mempool.space/tx/{newest}"' in html
    assert "+0.5 BTC" in html and "-0.25 BTC" in html and "0.0001 BTC" in html
    assert "3 in all" in html


@pytest.mark.parametrize(
    ("currency", "address_text", "explorer"),
    [
        ("ltc", LTC_ADDRESS, "https://litecoinspace.org/tx/"),
        ("eth", ETH_ADDRESS, "https://etherscan.io/tx/"),
        ("usdt", ETH_ADDRESS, "https://etherscan.io/tx/"),
    ],
)
def test_transactions_link_their_chain_explorer(
    alice_client, portfolio, currency, address_text, explorer
):
    from addresses.services import address_create

    created = address_create(
        portfolio=portfolio, title="", address=address_text, currency_code=currency, source="t"
    )
    _txn(created, 7, "1")
    html = alice_client.get(url("address-detail", portfolio, created)).content.decode()
    assert f'href="{explorer}{7:064x}"' in html


def test_transactions_are_paged(alice_client, portfolio, address):
    from tests.dashboard.conftest import fetched

    fetched(address, "1")
    for n in range(55):
        _txn(address, n, "0.01")
    target = url("address-detail", portfolio, address)
    first = alice_client.get(target).content.decode()
    assert "Page 1 of 2" in first and 'rel="next" href="?page=2#transactions"' in first
    assert f"tx/{54:064x}" in first and f"tx/{0:064x}" not in first
    second = alice_client.get(target + "?page=2").content.decode()
    assert "Page 2 of 2" in second and f"tx/{0:064x}" in second
    assert alice_client.get(target + "?page=999").status_code == 200  # the last page
    assert alice_client.get(target + "?page=x").status_code == 200  # the first page


def test_failing_fetch_in_plain_words_with_the_details_kept(alice_client, portfolio, address):
    from datetime import timedelta

    from django.utils import timezone

    from tests.dashboard.conftest import fetched

    now = timezone.now()
    fetched(
        address,
        "0.5",
        at=now - timedelta(hours=2),
        error="esplora-btc: GET https://x: HTTP 503 Service Unavailable",
        error_at=now - timedelta(minutes=1),
        failures=2,
        next_retry_at=now + timedelta(minutes=3),
    )
    html = alice_client.get(url("address-detail", portfolio, address)).content.decode()
    assert "Fetching failed twice: the explorer had a problem of its own (HTTP 503)." in html
    assert "The balance below is the last one fetched." in html
    assert "HTTP 503 Service Unavailable" in html  # in the technical details
    assert "0.5 BTC" in html
