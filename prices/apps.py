from django.apps import AppConfig


class PricesConfig(AppConfig):
    name = "prices"
    default_auto_field = "django.db.models.BigAutoField"
