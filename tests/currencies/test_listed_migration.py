"""Migration 0003: codes statements brought before it are unlisted and known to the users
whose portfolios use them; the curated rows stay listed."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.migrations import every_other_app_before

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

MIGRATION = ("currencies", "0003_listed_or_known_to_its_importers")


def migrate(*, before: bool):
    """Every app at its latest migration, currencies just before 0003 or at it."""
    executor = MigrationExecutor(connection)
    ours = ("currencies", "0002_load_currencies") if before else MIGRATION
    targets = every_other_app_before(executor.loader.graph, [ours])
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def test_statement_codes_become_known_to_their_users_only():
    # Given, before the migration, a code a statement brought, used by alice's portfolio
    apps = migrate(before=True)
    Currency = apps.get_model("currencies", "Currency")
    User = apps.get_model("users", "User")
    Portfolio = apps.get_model("portfolios", "Portfolio")
    PortfolioCurrency = apps.get_model("portfolios", "PortfolioCurrency")
    alice = User.objects.create(email="alice@example.com", password="!")
    User.objects.create(email="bob@example.com", password="!")
    oldcoin = Currency.objects.create(
        code="oldcoin", title="OLDCOIN", is_cryptocurrency=True, source="coinbase-statement"
    )
    portfolio = Portfolio.objects.create(user=alice, title="Main")
    PortfolioCurrency.objects.create(portfolio=portfolio, currency=oldcoin, position=0)

    # When the migration runs
    apps = migrate(before=False)

    # Then the statement's code is unlisted and known to alice alone; the data file's rows
    # are listed
    Currency = apps.get_model("currencies", "Currency")
    oldcoin = Currency.objects.get(code="oldcoin")
    assert oldcoin.listed is False
    assert [u.email for u in oldcoin.known_to.all()] == ["alice@example.com"]
    assert Currency.objects.get(code="btc").listed is True
    assert not Currency.objects.filter(source="data-file", listed=False).exists()
