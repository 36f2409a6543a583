"""Migrations portfolios 0004 and users 0003: portfolios and users that existed before them each
get their own uuid."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.migrations import every_other_app_before

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = [
    ("portfolios", "0003_portfolio_titles_need_not_be_unique"),
    ("users", "0002_user_tax_time_zone"),
]
AFTER = [("portfolios", "0004_targets_and_analytics"), ("users", "0003_user_uuid")]


def migrate(targets_of_ours):
    executor = MigrationExecutor(connection)
    targets = every_other_app_before(executor.loader.graph, targets_of_ours)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def back_to_latest():
    """Later migrations of portfolios exist (0005): leave the database at the latest."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_existing_rows_get_distinct_uuids_and_the_defaults():
    # Given two users with two portfolios each, made before the migrations
    apps = migrate(BEFORE)
    User = apps.get_model("users", "User")
    Portfolio = apps.get_model("portfolios", "Portfolio")
    for name in ("alice", "bob"):
        user = User.objects.create(email=f"{name}@example.com", password="!")
        Portfolio.objects.create(user=user, title="One")
        Portfolio.objects.create(user=user, title="Two")

    # When they run
    apps = migrate(AFTER)

    # Then every row has its own uuid, and the portfolios have the settings' defaults
    User = apps.get_model("users", "User")
    Portfolio = apps.get_model("portfolios", "Portfolio")
    assert len(set(User.objects.values_list("uuid", flat=True))) == 2
    assert len(set(Portfolio.objects.values_list("uuid", flat=True))) == 4
    assert set(
        Portfolio.objects.values_list("risk_tolerance", "status", "is_default", "is_active")
    ) == {("moderate", "created", False, True)}
