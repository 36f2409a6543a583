"""The index on ledger entries' pair keys follows its readers: the statement import and the
account sync look a pair's legs up by wallet and key, never by portfolio, so (portfolio_id,
pair_key) served neither (its portfolio prefix is covered by ledger_portfolio_time). The new
index holds only rows with a key (``pair_key <> ''``): one in twenty rows of a statement,
instead of every row an import inserts (issue 14). PostgreSQL and SQLite both have partial
indexes; the readers say ``pair_key <> ''`` so that the planner can use it.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0006_foreign_keys_checked_by_writers'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='ledgerentry',
            name='ledger_portfolio_pair_key',
        ),
        migrations.AddIndex(
            model_name='ledgerentry',
            index=models.Index(condition=models.Q(('pair_key', ''), _negated=True), fields=['wallet', 'pair_key'], name='ledger_wallet_pair_key'),
        ),
    ]
