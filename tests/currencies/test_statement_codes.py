"""One user cannot change what everyone sees (issue 11, point 8): a code a statement brings is
known to its importer's portfolios, and joins the public currency list only when an operator
lists it in the admin (or the curated data file has it)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from currencies.models import Currency
from currencies.services import currencies_sync_from_data_file
from tests.ingest.conftest import fail, ok, statement, upload
from users.models import User

pytestmark = pytest.mark.django_db

NEWCOIN_ROW = (
    "2021-06-01T10:00:00Z,Coinbase Earn,NEWCOIN,3.5,90.00,1.00,1.00,0.00,"
    "Received 3.5 NEWCOIN from Coinbase Earn\n"
)
NEWCOIN = {"code": "newcoin", "title": "NEWCOIN"}


def with_newcoin() -> str:
    return statement("v1_eur.csv").decode() + NEWCOIN_ROW


def make_portfolio(client, currencies=("usd",)) -> int:
    body = {"title": "Main", "currencies": list(currencies)}
    return ok(client.post("/api/portfolios", body, format="json"), 201)["id"]


class PortfolioRef:
    """What ``tests.ingest.conftest.upload`` needs of a portfolio: its id."""

    def __init__(self, pk: int):
        self.pk = pk


def public_codes(client) -> list[str]:
    return [c["code"] for c in ok(client.get("/api/currencies"))["currencies"]]


def test_a_new_code_is_known_to_its_importer_and_to_no_one_else(api, bob_api, anon):
    # Given alice's portfolio and the public list as it is
    before = public_codes(anon)
    assert "newcoin" not in before
    mine = make_portfolio(api)

    # When alice imports a statement that brings a code nobody knew
    result = ok(upload(api, PortfolioRef(mine), with_newcoin()), 201)

    # Then it was accepted, and her import's rows name it with a title
    assert result["new_currencies"] == ["newcoin"]
    assert {"currency": NEWCOIN, "change": "3.5"} in result["holdings_change"]
    # ... but the public list is the same for everyone, alice included
    for client in (anon, bob_api, api):
        assert public_codes(client) == before
        assert "newcoin" not in public_codes_of_kind(client, "cryptocurrencies")
        assert fail(client.get("/api/currencies/newcoin"), 404)["message"] == "Not found"


def public_codes_of_kind(client, kind: str) -> list[str]:
    return [c["code"] for c in ok(client.get(f"/api/currencies/{kind}"))["currencies"]]


def test_the_importers_portfolios_may_use_the_code_and_others_may_not(api, bob_api):
    # Given alice imported a statement bringing NEWCOIN
    mine = make_portfolio(api)
    ok(upload(api, PortfolioRef(mine), with_newcoin()), 201)
    theirs = make_portfolio(bob_api)

    # When each reports in it and notes an offset balance of it
    patched = api.patch(
        f"/api/portfolios/{mine}", {"currencies": ["usd", "newcoin"]}, format="json"
    )
    offset = api.post(
        f"/api/portfolios/{mine}/offsets",
        {"title": "Paper", "balances": [{"currency": "newcoin", "balance": "2"}]},
        format="json",
    )
    refused = bob_api.patch(
        f"/api/portfolios/{theirs}", {"currencies": ["usd", "newcoin"]}, format="json"
    )
    refused_offset = bob_api.post(
        f"/api/portfolios/{theirs}/offsets",
        {"title": "Paper", "balances": [{"currency": "newcoin", "balance": "2"}]},
        format="json",
    )

    # Then alice's portfolio shows it with its title; bob is told it is unknown, as for a code
    # nobody has (nothing says another user imported it), and nothing of his changed
    assert ok(patched)["currencies"] == [{"code": "usd", "title": "United States dollar"}, NEWCOIN]
    assert ok(offset, 201)["balances"][0]["currency"] == NEWCOIN
    assert fail(refused, 422)["invalid"] == ["unknown currency 'newcoin'"]
    assert fail(refused_offset, 422)["invalid"] == ["unknown currency 'newcoin'"]
    assert fail(
        bob_api.patch(f"/api/portfolios/{theirs}", {"currencies": ["nosuchcoin"]}, format="json"),
        422,
    )["invalid"] == ["unknown currency 'nosuchcoin'"]
    assert [c["code"] for c in ok(bob_api.get(f"/api/portfolios/{theirs}"))["currencies"]] == [
        "usd"
    ]


def test_another_user_importing_the_same_code_learns_it_as_new(api, bob_api):
    # Given alice imported NEWCOIN first
    ok(upload(api, PortfolioRef(make_portfolio(api)), with_newcoin()), 201)
    theirs = make_portfolio(bob_api)

    # When bob imports a statement with it too
    result = ok(upload(bob_api, PortfolioRef(theirs), with_newcoin()), 201)

    # Then to him it is new (nothing tells him alice had it), and his portfolios may use it now
    assert result["new_currencies"] == ["newcoin"]
    patched = bob_api.patch(f"/api/portfolios/{theirs}", {"currencies": ["newcoin"]}, format="json")
    assert ok(patched)["currencies"] == [NEWCOIN]
    # a second import of his brings nothing new
    again = ok(upload(bob_api, PortfolioRef(theirs), with_newcoin(), wallet="Other"), 201)
    assert again["new_currencies"] == []
    assert Currency.objects.filter(code="newcoin").count() == 1


def test_deleting_the_portfolio_does_not_publish_the_code(api, anon):
    before = public_codes(anon)
    mine = make_portfolio(api)
    ok(upload(api, PortfolioRef(mine), with_newcoin()), 201)

    ok(api.delete(f"/api/portfolios/{mine}"))

    assert public_codes(anon) == before
    fail(anon.get("/api/currencies/newcoin"), 404)


@pytest.fixture
def operator() -> Client:
    user = User.objects.create_superuser(email="ops@example.com", password="ops-password-1")
    client = Client()
    client.force_login(user)
    return client


def test_the_operator_lists_it_for_everyone(api, bob_api, anon, operator):
    # Given alice imported NEWCOIN
    before = public_codes(anon)
    ok(upload(api, PortfolioRef(make_portfolio(api)), with_newcoin()), 201)
    newcoin = Currency.objects.get(code="newcoin")

    # When the operator lists it from the admin's currency list
    page = operator.get("/admin/currencies/currency/?listed__exact=0")
    assert page.status_code == 200 and b"newcoin" in page.content
    response = operator.post(
        "/admin/currencies/currency/",
        {"action": "list_publicly", "_selected_action": [newcoin.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert b"1 currency listed publicly." in response.content

    # Then everyone sees it, named as the statement brought it, and may use it
    assert public_codes(anon) == sorted([*before, "newcoin"])
    shown = ok(anon.get("/api/currencies/newcoin"))
    assert (shown["code"], shown["title"], shown["source"]) == (
        "newcoin",
        "NEWCOIN",
        "coinbase-statement",
    )
    assert shown["is_cryptocurrency"] is True
    theirs = make_portfolio(bob_api)
    patched = bob_api.patch(f"/api/portfolios/{theirs}", {"currencies": ["newcoin"]}, format="json")
    assert ok(patched)["currencies"] == [NEWCOIN]


def test_a_code_the_curated_data_has_is_listed_by_the_data_file(api, anon):
    # Given a statement brought a code the data file also lists (as if it were added to the
    # file later): unlisted while only the statement brought it
    Currency.objects.filter(code="ada").delete()
    text = statement("v1_eur.csv").decode() + NEWCOIN_ROW.replace("NEWCOIN", "ADA")
    ok(upload(api, PortfolioRef(make_portfolio(api)), text), 201)
    fail(anon.get("/api/currencies/ada"), 404)

    # When the data file is loaded again (``manage.py load_currencies``, any ``migrate``)
    currencies_sync_from_data_file()

    # Then the curated row is everyone's
    shown = ok(anon.get("/api/currencies/ada"))
    assert shown["source"] == "data-file"


def test_a_dry_run_makes_no_code_known(api, bob_api):
    mine = make_portfolio(api)

    result = ok(upload(api, PortfolioRef(mine), with_newcoin(), dry_run=1))

    assert result["new_currencies"] == ["newcoin"]
    assert not Currency.objects.filter(code="newcoin").exists()
    assert fail(
        api.patch(f"/api/portfolios/{mine}", {"currencies": ["newcoin"]}, format="json"), 422
    )["invalid"] == ["unknown currency 'newcoin'"]


def test_the_dashboards_currency_choices_are_the_users_own(api, bob_api, alice, bob):
    # Given alice imported NEWCOIN, and each has a portfolio
    mine = make_portfolio(api)
    ok(upload(api, PortfolioRef(mine), with_newcoin()), 201)
    theirs = make_portfolio(bob_api)

    # When each opens the form for a new offset
    pages = {}
    for user, portfolio_id in ((alice, mine), (bob, theirs)):
        client = Client()
        client.force_login(user)
        page = client.get(reverse("dashboard:offset-new", args=[portfolio_id]))
        assert page.status_code == 200
        pages[user.email] = page.content.decode()

    # Then alice is offered her code, bob is not
    assert '<option value="newcoin">NEWCOIN</option>' in pages[alice.email]
    assert 'value="newcoin"' not in pages[bob.email]
    assert 'value="btc"' in pages[bob.email]


def test_filtering_by_the_code_is_the_importers_alone(api, bob_api):
    # Given alice imported NEWCOIN
    mine = make_portfolio(api)
    ok(upload(api, PortfolioRef(mine), with_newcoin()), 201)
    theirs = make_portfolio(bob_api)

    # When each lists their ledger rows of it
    rows = ok(api.get(f"/api/portfolios/{mine}/transactions?asset=newcoin"))
    refused = bob_api.get(f"/api/portfolios/{theirs}/transactions?asset=newcoin")
    nobody = bob_api.get(f"/api/portfolios/{theirs}/transactions?asset=nosuchcoin")

    # Then alice gets her row; bob is told it is unknown, as a code nobody has
    assert [r["asset"] for r in rows] == [NEWCOIN]
    assert fail(refused, 422)["invalid"] == ["unknown currency 'newcoin'"]
    assert fail(nobody, 422)["invalid"] == ["unknown currency 'nosuchcoin'"]
