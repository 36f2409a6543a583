import logging

from django.apps import AppConfig

logger = logging.getLogger(__name__)


def _follow_address_history(sender, address_id: int, **kwargs) -> None:
    """After an address sync stored new transactions: mirror them into the ledger in the same
    worker task. A failure here must not undo the sync (its data is stored and good); the next
    sync mirrors whatever this one missed."""
    from ledger.address_sync import ledger_sync_address

    try:
        ledger_sync_address(address_id=address_id)
    except Exception:
        logger.exception("ledger sync of address %s failed", address_id)


class LedgerConfig(AppConfig):
    name = "ledger"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from addresses.models import Address
        from addresses.sync import address_transactions_synced
        from ledger.portfolio_sources import SOURCE
        from ledger.selectors import assets_in_use
        from portfolios.sources import register_holdings_source
        from prices.services import register_currencies_in_use

        register_currencies_in_use("ledger", assets_in_use)
        register_holdings_source(SOURCE)

        address_transactions_synced.connect(
            _follow_address_history, sender=Address, dispatch_uid="ledger.follow_address_history"
        )
