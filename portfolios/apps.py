from datetime import datetime

from django.apps import AppConfig


def _stamp_converted_balances(sender, at: datetime, **kwargs) -> None:
    """New spot prices: every portfolio's converted balances changed."""
    from portfolios.models import Portfolio

    Portfolio.objects.update(converted_balances_last_updated=at)


def _stamp_converted_histories(sender, at: datetime, **kwargs) -> None:
    """New daily prices: every portfolio's converted history changed."""
    from portfolios.models import Portfolio

    Portfolio.objects.update(converted_histories_last_updated=at)


def _install_totals_triggers(sender, using: str = "default", **kwargs) -> None:
    from portfolios.triggers import install

    install(using=using)


class PortfoliosConfig(AppConfig):
    name = "portfolios"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from portfolios.selectors import portfolio_currency_codes_in_use
        from prices.services import register_currencies_in_use
        from prices.signals import daily_prices_stored, spot_prices_stored

        register_currencies_in_use("portfolios", portfolio_currency_codes_in_use)
        spot_prices_stored.connect(
            _stamp_converted_balances, dispatch_uid="portfolios.stamp_converted_balances"
        )
        daily_prices_stored.connect(
            _stamp_converted_histories, dispatch_uid="portfolios.stamp_converted_histories"
        )
        # After every migrate (sent once all migrations ran, also for the other apps' tables).
        post_migrate.connect(
            _install_totals_triggers, sender=self, dispatch_uid="portfolios.totals_triggers"
        )
