# The materialised totals of issue 14. The triggers that raise ``generation`` and the epoch, the
# epoch's row and one totals row per existing portfolio are installed after every migrate
# (``portfolios.triggers``, idempotent), so that a table rebuilt by a later migration gets its
# triggers back.

import django.db.models.deletion
from django.db import migrations, models


def install_triggers(apps, schema_editor):
    """Here too (not only after migrate) for a database migrated by hand to this point."""
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
                ('generation', models.BigIntegerField(db_default=0, default=0)),
                ('snapshot_generation', models.BigIntegerField(blank=True, null=True)),
                ('snapshot_epoch', models.BigIntegerField(blank=True, null=True)),
                ('balances', models.TextField(blank=True, db_default='', default='')),
                ('balances_until', models.DateTimeField(blank=True, null=True)),
                ('converted', models.TextField(blank=True, db_default='', default='')),
                ('unpriced', models.TextField(blank=True, db_default='', default='')),
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
        migrations.RunPython(install_triggers, uninstall_triggers),
    ]
