from django.db import models

from core.fields import AmountField


class SpotPrice(models.Model):
    """The latest known price of ``base`` in ``quote`` (one row per pair, replaced on refresh):
    1 base = ``price`` quote at ``at``."""

    base = models.ForeignKey("currencies.Currency", on_delete=models.CASCADE, related_name="+")
    quote = models.ForeignKey("currencies.Currency", on_delete=models.CASCADE, related_name="+")
    price = AmountField()
    at = models.DateTimeField()
    source = models.CharField(max_length=50)
    fetched_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["base", "quote"]
        constraints = [
            models.UniqueConstraint(fields=["base", "quote"], name="spot_price_one_per_pair")
        ]

    def __str__(self) -> str:
        return f"1 {self.base_id} = {self.price} {self.quote_id}"


class Price(models.Model):
    """A historical price: daily closes from the price API, or prices observed in statements.
    Fetched once and kept, so history is cheap."""

    DAILY = "daily"
    OBSERVED = "observed"

    # No index of its own on base, nor on (base, quote, at): the unique (base, quote, at,
    # source) starts with them and serves every read by pair and time. No database constraint
    # on either currency: PostgreSQL checked both for every price inserted, 1.3 s of a first
    # import of 100,000 statement rows (issue 14). The statement import checks its currencies
    # once per batch (``ingest.bulk.missing_currencies``), the history fetchers store prices
    # of currency rows they read, and Django cascades a currency's deletion to its prices.
    base = models.ForeignKey(
        "currencies.Currency",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    quote = models.ForeignKey(
        "currencies.Currency", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    at = models.DateTimeField()
    price = AmountField()
    kind = models.CharField(max_length=10, default=DAILY)
    source = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["base", "quote", "at"]
        constraints = [
            models.UniqueConstraint(
                fields=["base", "quote", "at", "source"], name="price_unique_point"
            ),
        ]

    def __str__(self) -> str:
        return f"1 {self.base_id} = {self.price} {self.quote_id} at {self.at:%Y-%m-%d}"
