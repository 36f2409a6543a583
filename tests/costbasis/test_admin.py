"""The cost-basis admin: lists in a constant number of queries, read-only derived rows, and
the "rebuild now" action."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from costbasis.models import CostBasisBuild, CostBasisSettings, Disposal
from tests.costbasis.conftest import build, day, make_entry, make_portfolio, make_wallet
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def root() -> Client:
    admin = User.objects.create_superuser(email="root@example.com", password="root-password-1")
    client = Client()
    client.force_login(admin)
    return client


def seed(n: int, prefix: str) -> None:
    """``n`` users with a built portfolio each: two lots, a disposal, income, a flag."""
    for i in range(n):
        user = User.objects.create_user(email=f"{prefix}{i}@example.com", password="x-pass-1")
        portfolio = make_portfolio(user, f"{prefix} {i}")
        wallet = make_wallet(portfolio)
        make_entry(wallet, "buy", "1", day("2023-01-01"), value="100")
        make_entry(wallet, "income", "1", day("2023-01-02"), value="90")
        make_entry(wallet, "sell", "0.5", day("2023-02-01"), value="80")
        make_entry(wallet, "sell", "1", day("2023-02-01"), "eth", value="80")
        CostBasisSettings.objects.create(portfolio=portfolio, method="hifo")
        build(portfolio)


def queries_for(client: Client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(queries), len(response.context["cl"].result_list)


LISTS = [
    "costbasissettings",
    "costbasisbuild",
    "lot",
    "disposal",
    "incomerecord",
    "costbasisflag",
]


@pytest.mark.parametrize("model", LISTS)
def test_lists_take_a_constant_number_of_queries(root, model):
    url = f"/admin/costbasis/{model}/"
    seed(2, "a")
    few, shown_few = queries_for(root, url)
    seed(8, "b")
    many, shown_many = queries_for(root, url)
    assert shown_many > shown_few > 0
    assert many == few


def test_a_disposal_page_shows_its_lots(root):
    seed(1, "a")
    disposal = Disposal.objects.filter(asset__code="btc").get()

    response = root.get(f"/admin/costbasis/disposal/{disposal.pk}/change/")

    assert response.status_code == 200
    assert b"Long term" in response.content and b"Source entry id" in response.content


@pytest.mark.parametrize("model", ["costbasissettings", "costbasisbuild"])
def test_rebuild_now_enqueues_a_full_rebuild(root, model, django_capture_on_commit_callbacks):
    seed(2, "a")
    rows = (CostBasisSettings if model == "costbasissettings" else CostBasisBuild).objects.all()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = root.post(
            f"/admin/costbasis/{model}/",
            {"action": "rebuild_now", "_selected_action": [r.pk for r in rows]},
            follow=True,
        )

    assert response.status_code == 200
    assert b"2 rebuild(s) from scratch asked for (2 enqueued, 0 joined" in response.content
    assert len(callbacks) == 2
    assert {b.reason for b in CostBasisBuild.objects.all()} == {"rebuild asked for"}
