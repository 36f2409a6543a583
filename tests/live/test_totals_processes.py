"""The stored totals across processes: a change made by one process (a request it serves, or a
service it runs) is in the very next answer of another process that had the old totals stored,
because the counter that says whether they hold is raised by the database in the change's own
transaction (portfolios/triggers.py), not remembered by either process.

Two servers, as in test_token_cache_processes.py: this test process's live server and gunicorn
started as a subprocess on the same PostgreSQL test database. Needs PostgreSQL
(``DATABASE_URL``) and the ``redis-server`` program."""

from __future__ import annotations

import pytest
import requests

from offsets.models import Offset
from offsets.services import offset_update
from portfolios.models import PortfolioTotals
from tests.conftest import make_token
from tests.live.test_redis_outage import own_redis  # noqa: F401 (a fixture)
from tests.live.test_token_cache_processes import other_server, shared_cache
from users.models import User

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


class Client:
    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.headers = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        answer = requests.request(
            method, f"{self.base}/api{path}", json=body, headers=self.headers, timeout=10
        )
        assert answer.status_code in (200, 201), answer.text
        return answer.json()["result"]

    def btc(self, portfolio_id: int) -> str:
        rows = self.call("GET", f"/portfolios/{portfolio_id}/balances")
        return next(r["balance"] for r in rows if r["currency"]["code"] == "btc")


def _stored(portfolio_id: int) -> bool:
    state = PortfolioTotals.objects.select_related("portfolio").get(pk=portfolio_id)
    return state.snapshot_generation == state.portfolio.totals_generation


def test_a_change_by_one_process_is_in_the_next_answer_of_the_other(
    own_redis,  # noqa: F811
    live_server,
    settings,
):
    with shared_cache(settings, own_redis.url), other_server(own_redis.url) as url:
        alice = User.objects.create_user(email="alice@example.com", password="alice-password-1")
        token = make_token(alice, "read write delete").token
        here, other = Client(live_server.url, token), Client(url, token)
        pid = here.call("POST", "/portfolios", {"title": "Main", "currencies": ["usd"]})["id"]
        offset = here.call(
            "POST",
            f"/portfolios/{pid}/offsets",
            {"title": "Paper", "balances": [{"currency": "btc", "balance": "1"}]},
        )["id"]

        # Given the other server answered and stored the totals (and serves them stored)
        assert other.btc(pid) == "1.0"
        assert _stored(pid)
        assert other.btc(pid) == "1.0"

        # When this process changes the offset through its API
        here.call(
            "PATCH",
            f"/portfolios/{pid}/offsets/{offset}",
            {"balances": [{"currency": "btc", "balance": "2"}]},
        )
        # Then the other server's very next answer has it
        assert other.btc(pid) == "2.0"

        # And the other way round: stored here, changed there, answered here
        assert here.btc(pid) == "2.0"
        assert _stored(pid)
        other.call(
            "PATCH",
            f"/portfolios/{pid}/offsets/{offset}",
            {"balances": [{"currency": "btc", "balance": "3"}]},
        )
        assert here.btc(pid) == "3.0"

        # And a change made by a service outside any request (a worker, a command)
        assert other.btc(pid) == "3.0" and _stored(pid)
        offset_update(
            offset=Offset.objects.get(pk=offset),
            balances=[{"currency": "btc", "balance": "4"}],
            source="test",
        )
        assert other.btc(pid) == "4.0"
