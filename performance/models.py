"""The materialised daily value series of a portfolio: one row per portfolio, reporting
currency and day, kept up to date by ``performance.series`` when ledger rows, offsets, address
transactions or prices arrive, so that history and performance are read, not recomputed."""

from django.db import models

from core.fields import AmountField


class SeriesState(models.Model):
    """When a portfolio's series was last brought up to date: every change stored after
    ``built_at`` is what the next update reads (see ``series_update``). No row: never built
    (the API answers 503 Not ready and enqueues the first build)."""

    portfolio = models.OneToOneField(
        "portfolios.Portfolio", on_delete=models.CASCADE, related_name="value_series_state"
    )
    # Changes stamped from here on are read by the next update (the start of the last update,
    # less a margin for transactions that committed late).
    built_at = models.DateTimeField()
    counted_at = models.DateTimeField(null=True, blank=True)  # when the counts below were taken
    # Counts at ``counted_at``: fewer rows now than then plus the new ones means rows were
    # deleted, which a timestamp cannot show: the series is rebuilt from its first day.
    ledger_rows = models.PositiveIntegerField(default=0)
    offset_rows = models.PositiveIntegerField(default=0)
    transfer_rows = models.PositiveIntegerField(default=0)
    first_day = models.DateField(null=True, blank=True)
    last_full_seconds = models.FloatField(default=0)

    def __str__(self) -> str:
        return f"series of portfolio {self.portfolio_id} built at {self.built_at:%Y-%m-%d %H:%M}"


class ValuePoint(models.Model):
    """The portfolio's holdings at the end of ``day`` valued at that day's close in
    ``currency`` (today: the spot price), and the day's net external flow valued the same way.
    ``value`` and ``flow`` are the priced part; ``unpriced`` names the held (or moved) assets
    without a price that day, ``priced`` those valued. A day with ``unpriced`` assets is a gap
    for history and performance, never a guess."""

    portfolio = models.ForeignKey(
        "portfolios.Portfolio", on_delete=models.CASCADE, related_name="value_points"
    )
    currency = models.ForeignKey("currencies.Currency", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    value = AmountField()
    flow = AmountField(default=0)
    unpriced = models.JSONField(default=list, blank=True)
    priced = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["portfolio", "currency", "day"]
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "currency", "day"], name="value_point_one_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.value} {self.currency_id}"
