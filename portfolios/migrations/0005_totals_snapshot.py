# The stored totals of issue 14. The triggers that raise ``totals_generation`` and the epoch, and
# the epoch's row, are installed after every migrate (``portfolios.triggers``, idempotent), so
# that a table rebuilt by a later migration gets its triggers back; here too, for a database
# migrated to this point by hand, and dropped when migrating back.

import django.db.models.deletion
from django.db import migrations, models


def install_triggers(apps, schema_editor):
    from portfolios.triggers import install

    install(using=schema_editor.connection.alias)


def uninstall_triggers(apps, schema_editor):
    from portfolios.triggers import uninstall

    uninstall(using=schema_editor.connection.alias)


class Migration(migrations.Migration):

    dependencies = [
        ('portfolios', '0004_targets_and_analytics'),
    ]

    operations = [
        migrations.CreateModel(
            name='PortfolioTotals',
            fields=[
                ('portfolio', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='totals_state', serialize=False, to='portfolios.portfolio')),
                ('snapshot_generation', models.BigIntegerField()),
                ('snapshot_epoch', models.BigIntegerField()),
                ('balances', models.TextField()),
                ('balances_until', models.DateTimeField(blank=True, null=True)),
                ('converted', models.TextField(blank=True, default='')),
                ('unpriced', models.TextField(blank=True, default='')),
                ('converted_until', models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.CreateModel(
            name='TotalsEpoch',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('value', models.BigIntegerField(db_default=0, default=0)),
            ],
        ),
        migrations.AddField(
            model_name='portfolio',
            name='totals_generation',
            field=models.BigIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.RunPython(install_triggers, uninstall_triggers),
    ]
