"""Fixtures of the exchange-account tests: ccxt's real clients, their HTTP answered by the fakes
of ``fakes.py`` through ``responses``, a Fernet key of the test's own."""

from __future__ import annotations

from typing import Any

import pytest
import responses
from cryptography.fernet import Fernet

from tests.accounts.fakes import FakeKraken

FAKE_URLS = {code: f"http://{code}.test" for code in ("kraken", "binanceus", "coinbase")}


@pytest.fixture(autouse=True)
def exchange_settings(settings):
    settings.EXCHANGE_URLS = FAKE_URLS
    settings.EXCHANGE_CCXT_RATE_LIMIT_MS = {code: 1 for code in FAKE_URLS}
    settings.FERNET_KEYS = Fernet.generate_key().decode()
    return settings


@pytest.fixture
def http():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def kraken(http) -> FakeKraken:
    return FakeKraken(http)


@pytest.fixture
def portfolio_id(api) -> int:
    answer = api.post(
        "/api/portfolios", {"title": "Main", "currencies": ["usd", "btc"]}, format="json"
    )
    assert answer.status_code == 201, answer.content
    return answer.json()["result"]["id"]


@pytest.fixture
def connect(api, portfolio_id, django_capture_on_commit_callbacks):
    """POST an account (its first fetch runs at commit, as a worker would run it) and answer
    the account as the API does."""

    def do(wallet: str, credentials: dict[str, str], title: str = "") -> dict[str, Any]:
        with django_capture_on_commit_callbacks(execute=True):
            answer = api.post(
                f"/api/portfolios/{portfolio_id}/accounts",
                {"title": title, "wallet": wallet, "credentials": credentials},
                format="json",
            )
        assert answer.status_code == 201, answer.content
        return answer.json()["result"]

    return do


@pytest.fixture
def sync():
    """Run one fetch of an account the way the worker does (the task)."""
    from accounts.tasks import account_fetch

    def do(account_id: int) -> None:
        account_fetch.apply(args=(account_id,), throw=True)

    return do
