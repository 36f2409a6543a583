from django.apps import AppConfig


class PortfoliosConfig(AppConfig):
    name = "portfolios"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from portfolios.selectors import portfolio_currency_codes_in_use
        from prices.services import register_currencies_in_use

        register_currencies_in_use("portfolios", portfolio_currency_codes_in_use)
