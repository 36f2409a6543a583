from django.apps import AppConfig


class PricesConfig(AppConfig):
    name = "prices"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import health
        from prices.health import tickers_ok

        health.register("tickers", tickers_ok)
