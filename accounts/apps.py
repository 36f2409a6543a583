from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.portfolio_sources import FETCHER, SOURCE
        from accounts.selectors import account_currency_codes_in_use
        from portfolios.sources import register_balance_fetcher, register_holdings_source
        from prices.services import register_currencies_in_use

        register_currencies_in_use("accounts", account_currency_codes_in_use)
        register_holdings_source(SOURCE)
        register_balance_fetcher(FETCHER)

        from ledger.signals import ledger_changed
        from portfolios.models import Portfolio

        ledger_changed.connect(
            _share_after_ledger_change, sender=Portfolio, dispatch_uid="accounts.share"
        )


def _share_after_ledger_change(sender, portfolio, **kwargs) -> None:
    """A statement imported after its Coinbase account was connected: match what they share."""
    from accounts.shared import portfolio_share

    portfolio_share(portfolio.pk)
