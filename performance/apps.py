from django.apps import AppConfig


def _ledger_changed(sender, portfolio, **kwargs) -> None:
    from performance.series import series_update_enqueue

    series_update_enqueue(portfolio.pk)


def _prices_stored(sender, **kwargs) -> None:
    from performance.series import series_update_all_enqueue

    series_update_all_enqueue()


def _address_synced(sender, address_id, **kwargs) -> None:
    from addresses.models import Address
    from performance.series import series_update_enqueue

    portfolio_id = Address.objects.filter(pk=address_id).values_list("portfolio_id", flat=True)
    for pk in portfolio_id:
        series_update_enqueue(pk)


def _offset_changed(sender, instance, **kwargs) -> None:
    """An offset made, changed (its balances are replaced and the offset saved) or deleted."""
    from performance.series import series_update_enqueue

    series_update_enqueue(instance.portfolio_id)


class PerformanceConfig(AppConfig):
    """The daily value series of each portfolio (materialised) and what is read from it:
    history, performance over a range, export."""

    name = "performance"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from addresses.models import Address
        from addresses.sync import address_transactions_synced
        from ledger.signals import ledger_changed
        from offsets.models import Offset
        from portfolios.models import Portfolio
        from prices.models import Price, SpotPrice
        from prices.signals import daily_prices_stored, spot_prices_stored

        ledger_changed.connect(
            _ledger_changed, sender=Portfolio, dispatch_uid="performance.ledger_changed"
        )
        daily_prices_stored.connect(
            _prices_stored, sender=Price, dispatch_uid="performance.daily_prices"
        )
        spot_prices_stored.connect(
            _prices_stored, sender=SpotPrice, dispatch_uid="performance.spot_prices"
        )
        address_transactions_synced.connect(
            _address_synced, sender=Address, dispatch_uid="performance.address_synced"
        )
        for signal in (post_save, post_delete):
            signal.connect(
                _offset_changed,
                sender=Offset,
                dispatch_uid=f"performance.offset_{signal is post_save}",
            )
