from django.apps import AppConfig


def _rebuild_after_ledger_change(sender, portfolio, **kwargs) -> None:
    """A committed change of the portfolio's ledger: enqueue a rebuild of its cost basis."""
    from costbasis.services import costbasis_rebuild  # models are not loaded before ready()

    costbasis_rebuild(portfolio)


class CostbasisConfig(AppConfig):
    """Cost basis: lots, disposals, income and the tax report, computed from the ledger by the
    pure engine (costbasis.engine) and stored per portfolio."""

    name = "costbasis"
    verbose_name = "cost basis"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ledger.signals import ledger_changed
        from portfolios.models import Portfolio

        ledger_changed.connect(
            _rebuild_after_ledger_change,
            sender=Portfolio,
            dispatch_uid="costbasis.rebuild_after_ledger_change",
        )
