"""Builds of one portfolio take turns (PostgreSQL advisory lock) and each sees one snapshot of
the ledger (REPEATABLE READ): concurrent rebuilds leave one consistent set of results."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from costbasis.build import costbasis_rebuild_now
from costbasis.models import CostBasisBuild, Disposal, DisposalLot, Lot
from portfolios.models import Portfolio
from tests.costbasis.conftest import day, make_entry, make_portfolio, make_wallet

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks and snapshots of PostgreSQL"
    ),
]


def test_concurrent_rebuilds_take_turns(alice):
    # Given a ledger of a few hundred rows
    portfolio = make_portfolio(alice)
    wallet = make_wallet(portfolio)
    for n in range(150):
        make_entry(wallet, "buy", "1", day("2023-01-01", n % 24).replace(minute=n % 60), value="10")
        make_entry(
            wallet, "sell", "0.5", day("2023-06-01", n % 24).replace(minute=n % 60), value="9"
        )
    outcomes, errors = [], []

    def rebuild() -> None:
        try:
            outcomes.append(
                costbasis_rebuild_now(portfolio=Portfolio.objects.get(pk=portfolio.pk), force=True)
            )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    # When four forced rebuilds run at once
    threads = [threading.Thread(target=rebuild) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then all succeeded, one after the other, and the results are there once
    assert errors == [] and len(outcomes) == 4
    assert Disposal.objects.filter(portfolio=portfolio).count() == 150
    assert DisposalLot.objects.filter(portfolio=portfolio).count() == 150
    assert Lot.objects.filter(portfolio=portfolio).count() == 75  # 75 lots sold whole
    assert CostBasisBuild.objects.get(portfolio=portfolio).status == "ok"
