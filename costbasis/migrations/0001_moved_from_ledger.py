"""The cost-basis models, moved here from ledger (ledger 0004_costbasis_moved_out) with their
tables: this only adds them to Django's state, under the tables' existing names
(``Meta.db_table``), so no row moves. On a fresh database ledger 0003 has created the tables.

Their content types (and so their permissions and admin log entries) follow them to this app."""

import django.db.models.deletion
from django.db import migrations, models


MODELS = [
    "costbasisbuild",
    "costbasisflag",
    "costbasissettings",
    "disposal",
    "disposallot",
    "incomerecord",
    "lot",
]


def _move_content_types(apps, source: str, target: str) -> None:
    """Rename the content types, so permissions granted on the models (and admin log entries)
    stay attached. One that already exists at the target (a database where post_migrate ran in
    between) is left alone: the source's is then stale, as remove_stale_contenttypes reports."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    present = set(
        ContentType.objects.filter(app_label=target, model__in=MODELS).values_list(
            "model", flat=True
        )
    )
    ContentType.objects.filter(app_label=source, model__in=set(MODELS) - present).update(
        app_label=target
    )


def content_types_here(apps, schema_editor) -> None:
    _move_content_types(apps, "ledger", "costbasis")


def content_types_back(apps, schema_editor) -> None:
    _move_content_types(apps, "costbasis", "ledger")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('currencies', '0002_load_currencies'),
        ('ledger', '0004_costbasis_moved_out'),
        ('portfolios', '0003_portfolio_titles_need_not_be_unique'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='CostBasisBuild',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('ok', 'ok'), ('failed', 'failed')], default='ok', max_length=10)),
                        ('error', models.TextField(blank=True, default='')),
                        ('mode', models.CharField(choices=[('full', 'full'), ('incremental', 'incremental'), ('unchanged', 'unchanged')], default='full', max_length=12)),
                        ('reason', models.CharField(blank=True, default='', max_length=200)),
                        ('settings', models.JSONField(blank=True, default=dict)),
                        ('state', models.JSONField(blank=True, null=True)),
                        ('last_at', models.DateTimeField(blank=True, null=True)),
                        ('last_entry_id', models.BigIntegerField(blank=True, null=True)),
                        ('entries_count', models.PositiveIntegerField(default=0)),
                        ('max_updated_at', models.DateTimeField(blank=True, null=True)),
                        ('updated_sum', models.CharField(blank=True, default='0', max_length=40)),
                        ('transfers_count', models.PositiveIntegerField(default=0)),
                        ('transfers_max_updated_at', models.DateTimeField(blank=True, null=True)),
                        ('transfers_updated_sum', models.CharField(blank=True, default='0', max_length=40)),
                        ('ledger', models.JSONField(blank=True, default=dict, help_text='whole-ledger fingerprint')),
                        ('summary', models.JSONField(blank=True, default=dict)),
                        ('entries_processed', models.PositiveIntegerField(default=0)),
                        ('timings', models.JSONField(blank=True, default=dict)),
                        ('built_at', models.DateTimeField(blank=True, null=True)),
                        ('duration', models.FloatField(blank=True, help_text='seconds', null=True)),
                        ('attempted_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('currency', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='currencies.currency')),
                        ('portfolio', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='cost_basis_build', to='portfolios.portfolio')),
                    ],
                    options={
                        'db_table': 'ledger_costbasisbuild',
                        'ordering': ['portfolio'],
                    },
                ),
                migrations.CreateModel(
                    name='CostBasisSettings',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('method', models.CharField(choices=[('fifo', 'fifo'), ('lifo', 'lifo'), ('hifo', 'hifo'), ('average', 'average')], default='fifo', max_length=10)),
                        ('pooling', models.CharField(choices=[('universal', 'universal'), ('per_wallet', 'per_wallet')], default='universal', max_length=12)),
                        ('method_changes', models.JSONField(blank=True, default=list)),
                        ('unclassified_out_to_elsewhere', models.BooleanField(default=True, help_text="an unexplained send went to one of the user's untracked wallets (no taxable event); off: it is a disposal at market value")),
                        ('portfolio', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='cost_basis_settings', to='portfolios.portfolio')),
                    ],
                    options={
                        'verbose_name': 'cost-basis settings',
                        'verbose_name_plural': 'cost-basis settings',
                        'db_table': 'ledger_costbasissettings',
                        'ordering': ['portfolio'],
                    },
                ),
                migrations.CreateModel(
                    name='Disposal',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('at', models.DateTimeField()),
                        ('kind', models.CharField(choices=[('buy', 'buy'), ('sell', 'sell'), ('trade_in', 'trade_in'), ('trade_out', 'trade_out'), ('income', 'income'), ('spend', 'spend'), ('gift_in', 'gift_in'), ('gift_out', 'gift_out'), ('fee', 'fee'), ('transfer_in', 'transfer_in'), ('transfer_out', 'transfer_out'), ('unclassified_in', 'unclassified_in'), ('unclassified_out', 'unclassified_out'), ('fiat_deposit', 'fiat_deposit'), ('fiat_withdrawal', 'fiat_withdrawal')], max_length=20)),
                        ('pool', models.CharField(blank=True, default='', max_length=60)),
                        ('method', models.CharField(choices=[('fifo', 'fifo'), ('lifo', 'lifo'), ('hifo', 'hifo'), ('average', 'average')], max_length=10)),
                        ('quantity', models.DecimalField(decimal_places=18, max_digits=38)),
                        ('proceeds', models.DecimalField(decimal_places=18, max_digits=38)),
                        ('cost', models.DecimalField(decimal_places=18, max_digits=38)),
                        ('missing_quantity', models.DecimalField(decimal_places=18, max_digits=38)),
                        ('asset', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='currencies.currency')),
                        ('entry', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='ledger.ledgerentry')),
                        ('portfolio', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='portfolios.portfolio')),
                        ('wallet', models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='ledger.wallet')),
                    ],
                    options={
                        'db_table': 'ledger_disposal',
                        'ordering': ['portfolio', 'at', 'entry'],
                    },
                ),
                migrations.CreateModel(
                    name='DisposalLot',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('position', models.PositiveIntegerField(default=0)),
                        ('acquired_at', models.DateTimeField()),
                        ('quantity', models.DecimalField(decimal_places=18, max_digits=38)),
                        ('cost', models.DecimalField(decimal_places=18, max_digits=38)),
                        ('proceeds', models.DecimalField(decimal_places=18, max_digits=38)),
                        ('long_term', models.BooleanField()),
                        ('disposal', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='lots', to='costbasis.disposal')),
                        ('portfolio', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='portfolios.portfolio')),
                        ('source_entry', models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='ledger.ledgerentry')),
                    ],
                    options={
                        'db_table': 'ledger_disposallot',
                        'ordering': ['disposal', 'position'],
                    },
                ),
                migrations.CreateModel(
                    name='IncomeRecord',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('at', models.DateTimeField()),
                        ('year', models.PositiveSmallIntegerField()),
                        ('quantity', models.DecimalField(decimal_places=18, max_digits=38)),
                        ('value', models.DecimalField(decimal_places=18, max_digits=38)),
                        ('asset', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='currencies.currency')),
                        ('entry', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='ledger.ledgerentry')),
                        ('portfolio', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='portfolios.portfolio')),
                    ],
                    options={
                        'db_table': 'ledger_incomerecord',
                        'ordering': ['portfolio', 'at', 'entry'],
                    },
                ),
                migrations.CreateModel(
                    name='Lot',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('pool', models.CharField(blank=True, default='', max_length=60)),
                        ('acquired_at', models.DateTimeField()),
                        ('original_quantity', models.DecimalField(decimal_places=18, max_digits=38)),
                        ('remaining_quantity', models.DecimalField(decimal_places=18, max_digits=38)),
                        ('cost', models.DecimalField(decimal_places=18, max_digits=38)),
                        ('unit_cost', models.DecimalField(decimal_places=18, max_digits=38)),
                        ('remaining_cost', models.DecimalField(decimal_places=18, max_digits=38)),
                        ('estimated', models.BooleanField(default=False)),
                        ('asset', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='currencies.currency')),
                        ('portfolio', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='portfolios.portfolio')),
                        ('source_entry', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='ledger.ledgerentry')),
                        ('wallet', models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='ledger.wallet')),
                    ],
                    options={
                        'db_table': 'ledger_lot',
                        'ordering': ['portfolio', 'asset', 'acquired_at', 'source_entry', 'pool'],
                    },
                ),
                migrations.CreateModel(
                    name='CostBasisFlag',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(choices=[('missing_value', 'missing_value'), ('to_elsewhere', 'to_elsewhere'), ('estimated_acquisition', 'estimated_acquisition'), ('missing_acquisition', 'missing_acquisition'), ('transfer_shortfall', 'transfer_shortfall'), ('transfer_excess', 'transfer_excess'), ('pin_unavailable', 'pin_unavailable'), ('pin_excess', 'pin_excess'), ('elsewhere_reduced', 'elsewhere_reduced')], max_length=30)),
                        ('quantity', models.DecimalField(blank=True, decimal_places=18, max_digits=38, null=True)),
                        ('entry', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='ledger.ledgerentry')),
                        ('portfolio', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='portfolios.portfolio')),
                    ],
                    options={
                        'db_table': 'ledger_costbasisflag',
                        'ordering': ['portfolio', 'entry', 'code'],
                        'indexes': [models.Index(fields=['portfolio', 'code'], name='cb_flag_code')],
                    },
                ),
                migrations.AddIndex(
                    model_name='disposal',
                    index=models.Index(fields=['portfolio', 'at', 'entry'], name='cb_disposal_time'),
                ),
                migrations.AddIndex(
                    model_name='disposallot',
                    index=models.Index(fields=['portfolio', 'disposal'], name='cb_disposal_lot'),
                ),
                migrations.AddIndex(
                    model_name='incomerecord',
                    index=models.Index(fields=['portfolio', 'year'], name='cb_income_year'),
                ),
                migrations.AddIndex(
                    model_name='lot',
                    index=models.Index(fields=['portfolio', 'asset', 'acquired_at'], name='cb_lot_asset'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_here, content_types_back),
    ]
