# The v1 surface names users by UUID (``user_id``). Added in three steps so that existing users
# each get their own: nullable, filled row by row, then unique and required.

import uuid

from django.db import migrations, models


def fill_uuids(apps, schema_editor):
    User = apps.get_model("users", "User")
    for user in User.objects.filter(uuid__isnull=True).only("pk").iterator():
        User.objects.filter(pk=user.pk).update(uuid=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0002_user_tax_time_zone"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="uuid",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(fill_uuids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="uuid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
