"""Ledger entries keep a database constraint on their wallet only (issue 14: statement imports).

PostgreSQL checks each foreign-key constraint with a query per inserted row: six per statement
row (eight with the null ones), which was more than half of an import's database time. The
importer checks its currencies once per batch (``ingest.bulk.missing_currencies``); the other
keys are rows of the import's own transaction and locked wallet; Django keeps ``on_delete``
(CASCADE, PROTECT, SET_NULL) itself. The wallet's constraint stays, so no row outlives its
wallet (and through it its portfolio and user) even when a delete races an import.

The single-column indexes on the three currencies go too: rows are read by asset within a
portfolio (``ledger_portfolio_asset``), and by currency only when a currency is deleted.
Django drops the constraints and indexes by their introspected names, on PostgreSQL and SQLite
alike (SQLite rebuilds the table).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("addresses", "0005_fetchstate_history_reconciliation"),
        ("currencies", "0003_listed_or_known_to_its_importers"),
        ("ledger", "0005_drop_indexes_covered_by_composites"),
        ("portfolios", "0004_targets_and_analytics"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ledgerentry",
            name="asset",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="currencies.currency",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="fee_asset",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="currencies.currency",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="pair",
            field=models.OneToOneField(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="ledger.ledgerentry",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="portfolio",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="ledger_entries",
                to="portfolios.portfolio",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="source_address_txn",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="addresses.addresstransaction",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="source_import",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="entries",
                to="ledger.import",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="value_currency",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="currencies.currency",
            ),
        ),
    ]
