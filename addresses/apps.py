from django.apps import AppConfig


class AddressesConfig(AppConfig):
    name = "addresses"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from addresses.portfolio_sources import FETCHER, SOURCE
        from addresses.selectors import address_currency_codes_in_use
        from portfolios.sources import register_balance_fetcher, register_holdings_source
        from prices.services import register_currencies_in_use

        register_currencies_in_use("addresses", address_currency_codes_in_use)
        register_holdings_source(SOURCE)
        register_balance_fetcher(FETCHER)
