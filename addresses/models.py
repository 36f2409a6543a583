from django.db import models

from core.models import TimeStampedModel


class Address(TimeStampedModel):
    """A public blockchain address in a portfolio, checked for its currency before it is stored.
    ``valid`` turns false when the chain's explorer rejects it later."""

    portfolio = models.ForeignKey("portfolios.Portfolio", on_delete=models.CASCADE, related_name="addresses")
    title = models.CharField(max_length=100, blank=True, default="")
    address = models.CharField(max_length=128)
    currency = models.ForeignKey("currencies.Currency", on_delete=models.PROTECT, related_name="+")
    valid = models.BooleanField(default=True)
    source = models.CharField(max_length=20, default="private-api")
    txns_last_updated = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["portfolio", "address", "currency"], name="address_unique_in_portfolio"),
        ]

    def __str__(self) -> str:
        return self.title or self.address
