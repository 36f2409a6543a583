# Targets and the seed's portfolio fields (issue 13). ``uuid`` is added in three steps so that
# existing portfolios each get their own: nullable, filled row by row, then unique and required.

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


def fill_uuids(apps, schema_editor):
    Portfolio = apps.get_model("portfolios", "Portfolio")
    for portfolio in Portfolio.objects.filter(uuid__isnull=True).only("pk").iterator():
        Portfolio.objects.filter(pk=portfolio.pk).update(uuid=uuid.uuid4())


class Migration(migrations.Migration):

    dependencies = [
        ('currencies', '0003_listed_or_known_to_its_importers'),
        ('portfolios', '0003_portfolio_titles_need_not_be_unique'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PortfolioTarget',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('fraction', models.DecimalField(decimal_places=18, max_digits=19)),
            ],
            options={
                'ordering': ['portfolio', 'currency__code'],
            },
        ),
        migrations.AddField(
            model_name='portfolio',
            name='description',
            field=models.TextField(blank=True, default='', max_length=2000),
        ),
        migrations.AddField(
            model_name='portfolio',
            name='is_active',
            field=models.BooleanField(default=True),
        ),
        migrations.AddField(
            model_name='portfolio',
            name='is_default',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='portfolio',
            name='last_rebalanced_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='portfolio',
            name='risk_tolerance',
            field=models.CharField(choices=[('conservative', 'Conservative'), ('moderate', 'Moderate'), ('aggressive', 'Aggressive')], default='moderate', max_length=20),
        ),
        migrations.AddField(
            model_name='portfolio',
            name='status',
            field=models.CharField(choices=[('created', 'Created'), ('active', 'Active'), ('rebalancing', 'Rebalancing'), ('archived', 'Archived')], default='created', max_length=20),
        ),
        migrations.AddField(
            model_name='portfolio',
            name='tags',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='portfolio',
            name='uuid',
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(fill_uuids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='portfolio',
            name='uuid',
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AddConstraint(
            model_name='portfolio',
            constraint=models.UniqueConstraint(condition=models.Q(('is_default', True)), fields=('user',), name='portfolio_one_default_per_user'),
        ),
        migrations.AddField(
            model_name='portfoliotarget',
            name='currency',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='currencies.currency'),
        ),
        migrations.AddField(
            model_name='portfoliotarget',
            name='portfolio',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='targets', to='portfolios.portfolio'),
        ),
        migrations.AddConstraint(
            model_name='portfoliotarget',
            constraint=models.UniqueConstraint(fields=('portfolio', 'currency'), name='portfolio_target_unique'),
        ),
        migrations.AddConstraint(
            model_name='portfoliotarget',
            constraint=models.CheckConstraint(condition=models.Q(('fraction__gte', 0), ('fraction__lte', 1)), name='portfolio_target_fraction_0_to_1'),
        ),
    ]
