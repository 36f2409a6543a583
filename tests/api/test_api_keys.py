"""Personal API keys: read and/or info only, GET only, stored hashed, shown once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from core.exceptions import ValidationFailed
from tests.api.conftest import fail, ok
from users.models import ApiKey
from users.services import api_key_create, api_key_revoke


def key_for(user, scopes=("read",)) -> str:
    return api_key_create(user=user, name="test", scopes=list(scopes)).key


def header_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key)
    return client


def test_key_in_header_reads(alice, portfolio):
    client = header_client(key_for(alice))

    assert [p["id"] for p in ok(client.get("/api/portfolios"))] == [portfolio["id"]]
    assert ok(client.get(f"/api/portfolios/{portfolio['id']}"))["title"] == "Main"
    assert ok(client.get("/api/user"))["email"] == "alice@example.com"


def test_key_in_query_reads(alice, portfolio):
    key = key_for(alice)
    assert ok(APIClient().get("/api/portfolios", {"api_key": key}))[0]["id"] == portfolio["id"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/portfolios", {"title": "New", "currencies": ["btc"]}),
        ("patch", "/api/portfolios/{p}", {"title": "Renamed"}),
        ("delete", "/api/portfolios/{p}", None),
        ("post", "/api/portfolios/{p}/offsets", {"title": "New"}),
    ],
)
@pytest.mark.parametrize("where", ["header", "query"])
def test_key_cannot_write(alice, api, portfolio, method, path, body, where):
    # Given a key with every scope a key may have
    key = key_for(alice, ("read", "info"))
    client = header_client(key) if where == "header" else APIClient()
    url = path.format(p=portfolio["id"])
    if where == "query":
        url += f"?api_key={key}"

    # When it tries to change something, then it is forbidden and nothing changes
    fail(getattr(client, method)(url, body, format="json"), 403)
    [only] = ok(api.get("/api/portfolios"))
    assert (only["title"], only["offsets"]) == ("Main", 0)


@pytest.mark.parametrize(
    "key",
    ["nonsense", "ctk_000000000000_wrong", "ctk_", ""],
)
def test_bad_key_is_401(db, key):
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key or " ")
    response = client.get("/api/portfolios")
    fail(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer ")


def test_right_prefix_wrong_secret_is_401(alice):
    key = key_for(alice)
    prefix = key.rsplit("_", 1)[0]
    fail(header_client(prefix + "_" + "x" * 43).get("/api/user"), 401)


def test_revoked_key_is_401(alice):
    new = api_key_create(user=alice, name="laptop", scopes=["read"])
    client = header_client(new.key)
    ok(client.get("/api/portfolios"))

    api_key_revoke(user=alice, api_key_id=new.api_key.pk)

    fail(client.get("/api/portfolios"), 401)
    fail(APIClient().get("/api/portfolios", {"api_key": new.key}), 401)


def test_key_of_a_deactivated_user_is_401(alice):
    client = header_client(key_for(alice))
    alice.is_active = False
    alice.save()
    fail(client.get("/api/user"), 401)


def test_key_is_stored_hashed(alice):
    new = api_key_create(user=alice, name="laptop", scopes=["read"])

    row = ApiKey.objects.filter(pk=new.api_key.pk).values().get()

    assert all(new.key not in str(value) for value in row.values())
    secret = new.key.split("_", 2)[2]  # the secret itself may contain "_"
    assert all(secret not in str(value) for value in row.values())


def test_keys_are_unique(alice):
    assert key_for(alice) != key_for(alice)


def test_info_only_key_reads_the_user_but_not_portfolios(alice, portfolio):
    client = header_client(key_for(alice, ("info",)))

    assert ok(client.get("/api/user"))["email"] == "alice@example.com"
    fail(client.get("/api/portfolios"), 403)
    fail(client.get(f"/api/portfolios/{portfolio['id']}"), 403)


def test_key_sees_only_its_owners_objects(alice, bob, portfolio):
    client = header_client(key_for(bob))
    assert ok(client.get("/api/portfolios")) == []
    fail(client.get(f"/api/portfolios/{portfolio['id']}"), 404)


@pytest.mark.parametrize(
    ("scopes", "sentences"),
    [
        (["write"], ["scope 'write' is not allowed for API keys (only read, info)"]),
        (["admin", "read"], ["scope 'admin' is not allowed for API keys (only read, info)"]),
        ([], ["choose at least one scope: read, info"]),
    ],
)
def test_only_read_and_info_keys_can_be_made(alice, scopes, sentences):
    with pytest.raises(ValidationFailed) as raised:
        api_key_create(user=alice, name="x", scopes=scopes)
    assert raised.value.problems == sentences
    assert not ApiKey.objects.exists()


# --- manage.py create_api_key ------------------------------------------------------------


def test_command_prints_a_working_key_on_its_last_line(alice, portfolio):
    out, err = StringIO(), StringIO()

    call_command(
        "create_api_key", "Alice@Example.com", "--scopes", "read,info", stdout=out, stderr=err
    )

    key = out.getvalue().strip().splitlines()[-1]
    assert key == key.strip() and " " not in key
    client = header_client(key)
    assert ok(client.get("/api/user"))["email"] == "alice@example.com"
    assert ok(client.get("/api/portfolios"))[0]["id"] == portfolio["id"]
    fail(client.post("/api/portfolios", {"title": "N", "currencies": ["btc"]}, format="json"), 403)
    assert ApiKey.objects.get(user=alice).scope_list == ["info", "read"]


def test_command_with_info_scope_only(alice):
    out = StringIO()
    call_command(
        "create_api_key", "alice@example.com", "--scopes", "info", stdout=out, stderr=StringIO()
    )
    client = header_client(out.getvalue().splitlines()[-1])
    ok(client.get("/api/user"))
    fail(client.get("/api/portfolios"), 403)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["nobody@example.com"], "no user with email nobody@example.com"),
        (["alice@example.com", "--scopes", "read,write"], "scope 'write' is not allowed"),
    ],
)
def test_command_refuses(alice, args, fragment):
    with pytest.raises(CommandError, match=fragment):
        call_command("create_api_key", *args, stdout=StringIO(), stderr=StringIO())
    assert not ApiKey.objects.exists()
