from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync(sender, **kwargs):
    from currencies.services import currencies_sync_from_data_file

    currencies_sync_from_data_file()


class CurrenciesConfig(AppConfig):
    name = "currencies"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Every ``migrate`` brings the table up to date with the data file.
        post_migrate.connect(_sync, sender=self, dispatch_uid="currencies-sync")
