from django.core.management import call_command
from django.db import migrations, models


def create_cache_tables(apps, schema_editor):
    # The Redis cache falls back to the database cache table while Redis is down
    # (core.cache.FallbackCache): a deployment on Redis needs that table too. Idempotent.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_cache_table")]

    operations = [
        migrations.RunPython(create_cache_tables, migrations.RunPython.noop),
        migrations.CreateModel(
            name="OutboxMessage",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("task", models.CharField(max_length=200)),
                ("args", models.JSONField(blank=True, default=list)),
                ("kwargs", models.JSONField(blank=True, default=dict)),
                ("headers", models.JSONField(blank=True, default=dict)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("next_attempt_at", models.DateTimeField(db_index=True)),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("last_error", models.TextField(blank=True, default="")),
                ("last_attempt_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={"verbose_name": "outbox message", "ordering": ["id"]},
        ),
    ]
