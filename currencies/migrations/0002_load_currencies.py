from django.db import migrations


def load(apps, schema_editor):
    from currencies.services import currencies_sync_from_data_file

    currencies_sync_from_data_file(currency_model=apps.get_model("currencies", "Currency"))


class Migration(migrations.Migration):
    dependencies = [("currencies", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
