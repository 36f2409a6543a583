"""Helpers for the API tests: envelope checks and alice's objects, made through the API itself."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import pytest

MESSAGES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Payload too large",
    422: "Invalid",
    429: "Too many requests",
    500: "Server error",
    503: "Unavailable",
}

BTC_ADDRESS = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
BTC_BECH32 = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
LTC_ADDRESS = "LM2WMpR1Rp6j3Sa59cMXMs1SPzj9eXpGc1"
ETH_ADDRESS = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"


def _envelope(response) -> dict[str, Any]:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert isinstance(body["time"], int) and not isinstance(body["time"], bool)
    assert abs(body["time"] - time.time()) < 60
    return body


def ok(response, status: int = 200) -> Any:
    """The ``result`` of a successful envelope with the given status."""
    assert response.status_code == status, response.content
    body = _envelope(response)
    assert body["success"] is True
    assert "message" not in body
    return body["result"]


def fail(response, status: int, *invalid: str) -> dict[str, Any]:
    """A failure envelope: the fixed message for ``status``, no ``result``, and when sentences
    are given, exactly those in ``invalid``."""
    assert response.status_code == status, response.content
    body = _envelope(response)
    assert body["success"] is False
    assert "result" not in body
    assert body["message"] == MESSAGES[status]
    if invalid:
        assert body["invalid"] == list(invalid)
    return body


def invalid(response) -> list[str]:
    """The sentences of a 422 envelope."""
    return fail(response, 422)["invalid"]


@pytest.fixture
def alice_ids(alice) -> dict[str, int]:
    """Alice's portfolio, address and offset made through the services (cheaper than HTTP for
    the matrices): their ids as ``p``, ``a`` and ``o``."""
    from addresses.services import address_create
    from offsets.services import offset_create
    from portfolios.services import portfolio_create

    portfolio = portfolio_create(
        user=alice, title="Main", currency_codes=["btc", "usd"], source="private-api"
    )
    address = address_create(
        portfolio=portfolio,
        title="Cold wallet",
        address=BTC_ADDRESS,
        currency_code="btc",
        source="private-api",
    )
    offset = offset_create(
        portfolio=portfolio,
        title="Paper wallet",
        balances=[{"currency": "btc", "balance": "10"}],
        source="private-api",
    )
    return {"p": portfolio.pk, "a": address.pk, "o": offset.pk}


@pytest.fixture
def portfolio(api) -> dict[str, Any]:
    """Alice's portfolio reported in btc and usd."""
    return ok(
        api.post("/api/portfolios", {"title": "Main", "currencies": ["btc", "usd"]}, format="json"),
        201,
    )


@pytest.fixture
def address(api, portfolio) -> dict[str, Any]:
    body = {"title": "Cold wallet", "address": BTC_ADDRESS, "currency": "btc"}
    return ok(api.post(f"/api/portfolios/{portfolio['id']}/addresses", body, format="json"), 201)


@pytest.fixture
def offset(api, portfolio) -> dict[str, Any]:
    body = {
        "title": "Paper wallet",
        "balances": [{"currency": "ltc", "balance": "1"}, {"currency": "btc", "balance": "10"}],
    }
    return ok(api.post(f"/api/portfolios/{portfolio['id']}/offsets", body, format="json"), 201)


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """``REDIS_URL`` when set, else a ``redis-server`` of this module's own on a free port
    (for what works on Redis only: the token cache, the throttles' sliding log); skipped when there is neither."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    if shutil.which("redis-server") is None:
        pytest.skip("needs Redis: set REDIS_URL or install redis-server")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    workdir = tempfile.mkdtemp(prefix="tokencache-redis-")
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        + ["--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
