"""Who may use the import routes: the owner only (another user gets 404, never 403), with the
CryptFolio scopes (POST needs read+write, DELETE read+delete, GET read; API keys read only)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from ledger.models import Import, LedgerEntry
from portfolios.services import portfolio_create
from tests.conftest import client_for
from tests.ingest.conftest import counts, fail, ok, statement, upload
from users.services import api_key_create


@pytest.fixture
def imported(api, portfolio) -> dict:
    return ok(upload(api, portfolio, statement("l1_buys_sells.csv")), 201)


def routes(portfolio, imp) -> dict[str, str]:
    base = f"/api/portfolios/{portfolio.pk}"
    return {"list": f"{base}/imports", "detail": f"{base}/imports/{imp['id']}"}


def test_bob_gets_404_on_every_route_of_alices_portfolio(bob, portfolio, imported):
    bob_api = client_for(bob, "read write delete")
    urls = routes(portfolio, imported)
    before = counts()

    fail(upload(bob_api, portfolio, statement("v5.csv")), 404)
    fail(upload(bob_api, portfolio, statement("v5.csv"), dry_run=1), 404)
    fail(bob_api.get(urls["list"]), 404)
    fail(bob_api.get(urls["detail"]), 404)
    fail(bob_api.delete(urls["detail"]), 404)

    assert counts() == before


def test_bob_cannot_reach_alices_import_through_his_own_portfolio(bob, portfolio, imported):
    bob_api = client_for(bob, "read write delete")
    his = portfolio_create(user=bob, title="Bob's", currency_codes=["usd"], source="private-api")
    url = f"/api/portfolios/{his.pk}/imports/{imported['id']}"

    fail(bob_api.get(url), 404)
    fail(bob_api.delete(url), 404)
    assert ok(bob_api.get(f"/api/portfolios/{his.pk}/imports")) == []
    assert Import.objects.filter(pk=imported["id"]).exists()


@pytest.mark.parametrize(
    ("scope", "status"),
    [("read", 403), ("write", 403), ("delete", 403), ("read delete", 403), ("read write", 201)],
)
def test_upload_needs_read_and_write(alice, portfolio, scope, status):
    response = upload(client_for(alice, scope), portfolio, statement("l1_buys_sells.csv"))
    assert response.status_code == status, response.content
    assert LedgerEntry.objects.exists() == (status == 201)


def test_admin_scope_alone_may_upload(alice, portfolio):
    ok(upload(client_for(alice, "admin"), portfolio, statement("l1_buys_sells.csv")), 201)


@pytest.mark.parametrize(
    ("scope", "status"),
    [("read", 403), ("read write", 403), ("delete", 403), ("read delete", 200), ("admin", 200)],
)
def test_undo_needs_read_and_delete(alice, portfolio, imported, scope, status):
    response = client_for(alice, scope).delete(routes(portfolio, imported)["detail"])
    assert response.status_code == status, response.content
    assert Import.objects.exists() == (status != 200)


@pytest.mark.parametrize(("scope", "status"), [("read", 200), ("write", 403), ("info", 403)])
def test_reading_imports_needs_read(alice, portfolio, imported, scope, status):
    client = client_for(alice, scope)
    for url in routes(portfolio, imported).values():
        assert client.get(url).status_code == status


def test_api_key_reads_but_cannot_upload_or_undo(alice, portfolio, imported):
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=api_key_create(user=alice, name="k", scopes=["read"]).key)
    urls = routes(portfolio, imported)

    assert ok(client.get(urls["list"]))[0]["id"] == imported["id"]
    assert ok(client.get(urls["detail"]))["id"] == imported["id"]
    fail(upload(client, portfolio, statement("v5.csv")), 403)
    fail(client.delete(urls["detail"]), 403)
    assert Import.objects.count() == 1


def test_anonymous_gets_401(anon, portfolio, imported):
    urls = routes(portfolio, imported)
    fail(upload(anon, portfolio, statement("v5.csv")), 401)
    fail(anon.get(urls["list"]), 401)
    fail(anon.delete(urls["detail"]), 401)
