from django.db import models

from core.fields import AmountField
from core.models import TimeStampedModel


class Offset(TimeStampedModel):
    """Balances noted down by hand (coins held somewhere not tracked, or a correction to a
    total). Its balances may be negative."""

    portfolio = models.ForeignKey(
        "portfolios.Portfolio", on_delete=models.CASCADE, related_name="offsets"
    )
    title = models.CharField(max_length=100)
    source = models.CharField(max_length=20, default="private-api")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title


class OffsetBalance(TimeStampedModel):
    offset = models.ForeignKey(Offset, on_delete=models.CASCADE, related_name="balances")
    currency = models.ForeignKey("currencies.Currency", on_delete=models.PROTECT, related_name="+")
    balance = AmountField()
    source = models.CharField(max_length=20, default="private-api")

    class Meta:
        ordering = ["offset", "currency__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["offset", "currency"], name="offset_balance_one_per_currency"
            )
        ]

    def __str__(self) -> str:
        return f"{self.balance} {self.currency_id}"
