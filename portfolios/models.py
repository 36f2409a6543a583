from django.conf import settings
from django.db import models

from core.models import TimeStampedModel


class Portfolio(TimeStampedModel):
    """A user's collection of addresses, accounts and offsets, reported in one or more
    currencies (``PortfolioCurrency``, in the order the user chose them)."""

    SOURCE_API = "private-api"
    SOURCE_WEB = "web"
    SOURCE_DEMO = "demo"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portfolios"
    )
    title = models.CharField(max_length=100)
    source = models.CharField(max_length=20, default=SOURCE_API)
    currencies = models.ManyToManyField(
        "currencies.Currency", through="PortfolioCurrency", related_name="+"
    )

    balances_last_updated = models.DateTimeField(null=True, blank=True)
    histories_last_updated = models.DateTimeField(null=True, blank=True)
    converted_balances_last_updated = models.DateTimeField(null=True, blank=True)
    converted_histories_last_updated = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        # No unique title: API clients create and rename portfolios freely, and two of them may
        # choose the same title at the same moment (API.md). A per-user unique ``name`` belongs
        # to the /api/v1/portfolio surface and will be its own column when that is built.

    def __str__(self) -> str:
        return self.title


class PortfolioCurrency(models.Model):
    """A reporting currency of a portfolio; ``position`` keeps the user's order."""

    portfolio = models.ForeignKey(
        Portfolio, on_delete=models.CASCADE, related_name="reporting_currencies"
    )
    currency = models.ForeignKey("currencies.Currency", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["portfolio", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "currency"], name="portfolio_currency_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.portfolio_id}:{self.currency_id}"
