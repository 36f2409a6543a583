"""Drop two indexes of prices that the unique (base, quote, at, source) covers: the composite
``price_pair_time`` (base, quote, at) is its prefix, and the single-column index on ``base``
its first column. Every read by pair and time uses the unique index as well; each index is
paid on every price a statement import observes (issue 14).

For ``base`` only the index goes: Django's AlterField would also drop, re-add and re-validate
the foreign-key constraint, which stays as it is. The name is the one Django gave it on every
database."""

import django.db.models.deletion
from django.db import migrations, models

BASE_INDEX = "prices_price_base_id_7696c00e"


class Migration(migrations.Migration):
    dependencies = [
        ("currencies", "0003_listed_or_known_to_its_importers"),
        ("prices", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="price", name="price_pair_time"),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{BASE_INDEX}"',
                    reverse_sql=f'CREATE INDEX "{BASE_INDEX}" ON "prices_price" ("base_id")',
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="price",
                    name="base",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="currencies.currency",
                    ),
                )
            ],
        ),
    ]
