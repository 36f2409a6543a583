"""The cost-basis models moved from ledger to costbasis without moving a row: a database holding
results under ledger 0003 is migrated forward, and the new models read the same rows (the
tables kept their names), and the models' content types follow them (so do their permissions).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from costbasis.models import CostBasisBuild, CostBasisSettings, Disposal, DisposalLot, Lot
from tests.migrations import every_other_app_before

AT = datetime(2024, 3, 1, 12, tzinfo=UTC)


def _targets(*, moved: bool) -> list[tuple[str, str]]:
    """Every app at its latest migration, ledger and costbasis before or after the move."""
    graph = MigrationExecutor(connection).loader.graph
    if moved:  # every app at its latest, later ledger migrations (after the move) included
        return graph.leaf_nodes()
    return every_other_app_before(graph, [("ledger", "0003_costbasis")])


def _migrate(targets: list[tuple[str, str]]):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()  # what is applied now
    return executor.loader.project_state(targets).apps


def _populate(apps) -> dict[str, int]:
    """A portfolio with a build, settings, a lot, a disposal and the lot it used, written through
    the historical models of ledger 0003."""
    user = apps.get_model("users", "User").objects.create(email="m@example.com")
    portfolio = apps.get_model("portfolios", "Portfolio").objects.create(user=user, title="Moved")
    Currency = apps.get_model("currencies", "Currency")
    # A transactional test starts from a flushed database: no currencies from their data migration.
    btc, _ = Currency.objects.get_or_create(code="BTC", defaults={"title": "Bitcoin"})
    usd, _ = Currency.objects.get_or_create(code="USD", defaults={"title": "US dollar"})
    wallet = apps.get_model("ledger", "Wallet").objects.create(
        portfolio=portfolio, kind="manual", name="Cold"
    )
    Entry = apps.get_model("ledger", "LedgerEntry")
    common = {"portfolio": portfolio, "wallet": wallet, "asset": btc}
    buy = Entry.objects.create(
        occurred_at=AT, kind="buy", quantity=Decimal("2"), external_id="b", **common
    )
    sell = Entry.objects.create(
        occurred_at=AT, kind="sell", quantity=Decimal("0.5"), external_id="s", **common
    )
    apps.get_model("ledger", "CostBasisSettings").objects.create(portfolio=portfolio, method="hifo")
    apps.get_model("ledger", "CostBasisBuild").objects.create(
        portfolio=portfolio, currency=usd, built_at=AT, summary={"realized": "250"}
    )
    amounts = {"cost": Decimal("60000"), "unit_cost": Decimal("30000")}
    lot = apps.get_model("ledger", "Lot").objects.create(
        portfolio=portfolio,
        asset=btc,
        wallet=wallet,
        source_entry=buy,
        acquired_at=AT,
        original_quantity=Decimal("2"),
        remaining_quantity=Decimal("1.5"),
        remaining_cost=Decimal("45000"),
        **amounts,
    )
    disposal = apps.get_model("ledger", "Disposal").objects.create(
        portfolio=portfolio,
        entry=sell,
        at=AT,
        kind="sell",
        asset=btc,
        method="hifo",
        quantity=Decimal("0.5"),
        proceeds=Decimal("15250"),
        cost=Decimal("15000"),
        missing_quantity=Decimal("0"),
    )
    apps.get_model("ledger", "DisposalLot").objects.create(
        portfolio=portfolio,
        disposal=disposal,
        source_entry=buy,
        acquired_at=AT,
        quantity=Decimal("0.5"),
        cost=Decimal("15000"),
        proceeds=Decimal("15250"),
        long_term=False,
    )
    return {"portfolio": portfolio.pk, "lot": lot.pk, "disposal": disposal.pk, "buy": buy.pk}


@pytest.mark.django_db(transaction=True)
def test_the_move_keeps_every_row_and_the_permissions():
    apps = _migrate(_targets(moved=False))
    try:
        ids = _populate(apps)
        # Going back moved the content types back to ledger, as a database before the move has them.
        assert not ContentType.objects.filter(app_label="costbasis").exists()
        ledger_lot = ContentType.objects.get(app_label="ledger", model="lot")
        view_lot, _ = Permission.objects.get_or_create(
            content_type=ledger_lot, codename="view_lot", defaults={"name": "Can view lot"}
        )
    finally:
        _migrate(_targets(moved=True))

    settings = CostBasisSettings.objects.get(portfolio_id=ids["portfolio"])
    assert settings.method == "hifo"
    build = CostBasisBuild.objects.get(portfolio_id=ids["portfolio"])
    assert (build.currency.code, build.summary) == ("USD", {"realized": "250"})
    lot = Lot.objects.get(pk=ids["lot"])
    assert (lot.source_entry_id, lot.remaining_quantity, lot.remaining_cost) == (
        ids["buy"],
        Decimal("1.5"),
        Decimal("45000"),
    )
    disposal = Disposal.objects.get(pk=ids["disposal"])
    assert disposal.gain == Decimal("250")  # 15,250 proceeds - 15,000 cost
    used = DisposalLot.objects.get(disposal=disposal)
    assert (used.source_entry_id, used.quantity, used.gain) == (
        ids["buy"],
        Decimal("0.5"),
        Decimal("250"),
    )
    ledger_lot.refresh_from_db()
    ContentType.objects.clear_cache()
    assert (ledger_lot.app_label, ledger_lot.model) == ("costbasis", "lot")
    assert ContentType.objects.get_for_model(Lot) == ledger_lot
    view_lot.refresh_from_db()
    assert view_lot.content_type == ledger_lot
