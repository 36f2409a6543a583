"""Drop three single-column indexes of ledger entries that no query needs: ``portfolio_id`` and
``wallet_id`` lead the composite indexes (``ledger_portfolio_*``, the unique (wallet_id,
external_id)), and nothing reads entries by ``created_at``. Every index costs each inserted row
(issue 14: statement imports).

Only the indexes go: Django's AlterField would also drop and re-add (and re-validate) the
foreign-key constraints, which stay as they are. The names are the ones Django gave them on
every database."""

import django.db.models.deletion
from django.db import migrations, models

TABLE = "ledger_ledgerentry"
INDEXES = {  # name: column
    "ledger_ledgerentry_created_at_9e99637a": "created_at",
    "ledger_ledgerentry_portfolio_id_0aa0358d": "portfolio_id",
    "ledger_ledgerentry_wallet_id_afe204b6": "wallet_id",
}


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0004_costbasis_moved_out"),
        ("portfolios", "0003_portfolio_titles_need_not_be_unique"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX "{name}" ON "{TABLE}" ("{column}")',
                )
                for name, column in INDEXES.items()
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="ledgerentry",
                    name="created_at",
                    field=models.DateTimeField(auto_now_add=True),
                ),
                migrations.AlterField(
                    model_name="ledgerentry",
                    name="portfolio",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="ledger_entries",
                        to="portfolios.portfolio",
                    ),
                ),
                migrations.AlterField(
                    model_name="ledgerentry",
                    name="wallet",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="entries",
                        to="ledger.wallet",
                    ),
                ),
            ],
        )
    ]
