"""Prices, written once per row a statement shows, lose what that costs without serving reads
(issue 14): the index ``price_pair_time`` (base, quote, at) and the one on ``base``, both
prefixes of the unique (base, quote, at, source) that every read by pair and time uses; and
the database constraints on both currencies, which PostgreSQL checked for every price inserted
(the statement import checks its currencies once per batch; Django cascades a currency's
deletion to its prices). The index on ``quote`` stays: deleting a currency finds its prices
by it.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('currencies', '0003_listed_or_known_to_its_importers'),
        ('prices', '0001_initial'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='price',
            name='price_pair_time',
        ),
        migrations.AlterField(
            model_name='price',
            name='base',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='currencies.currency'),
        ),
        migrations.AlterField(
            model_name='price',
            name='quote',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='currencies.currency'),
        ),
    ]
