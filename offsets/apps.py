from django.apps import AppConfig


class OffsetsConfig(AppConfig):
    name = "offsets"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from offsets.portfolio_sources import SOURCE
        from offsets.selectors import offset_currency_codes_in_use
        from portfolios.sources import register_holdings_source
        from prices.services import register_currencies_in_use

        register_currencies_in_use("offsets", offset_currency_codes_in_use)
        register_holdings_source(SOURCE)
