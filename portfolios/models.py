import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.fields import AmountField
from core.models import TimeStampedModel


class Portfolio(TimeStampedModel):
    """A user's collection of addresses, accounts and offsets, reported in one or more
    currencies (``PortfolioCurrency``, in the order the user chose them)."""

    class RiskTolerance(models.TextChoices):
        CONSERVATIVE = "conservative"
        MODERATE = "moderate"
        AGGRESSIVE = "aggressive"

    class Status(models.TextChoices):
        """Where the portfolio is in its life, as the user (or a rebalancing client) says:
        ``created`` until it is set up, ``active`` in use, ``rebalancing`` while trades
        towards the targets are under way, ``archived`` kept for the record."""

        CREATED = "created"
        ACTIVE = "active"
        REBALANCING = "rebalancing"
        ARCHIVED = "archived"

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

    # The v1 surface's ``portfolio_id``: stable, distinct from the integer id of /api/.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    description = models.TextField(blank=True, default="", max_length=2000)
    risk_tolerance = models.CharField(
        max_length=20, choices=RiskTolerance.choices, default=RiskTolerance.MODERATE
    )
    tags = models.JSONField(default=list, blank=True)  # a list of strings, in the user's order
    # At most one per user (a partial unique index); ``portfolio_set_default`` clears the others.
    is_default = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)  # actively managed (the seed's meaning)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CREATED)
    last_rebalanced_at = models.DateTimeField(null=True, blank=True)

    # Raised by the database (triggers, ``portfolios.triggers``) in the same transaction as any
    # change to what the totals are read from; never lowered (a save of a stale instance keeps
    # the stored value). A stored answer (``PortfolioTotals``) holds while it is unchanged.
    totals_generation = models.BigIntegerField(default=0, db_default=0, editable=False)

    balances_last_updated = models.DateTimeField(null=True, blank=True)
    histories_last_updated = models.DateTimeField(null=True, blank=True)
    converted_balances_last_updated = models.DateTimeField(null=True, blank=True)
    converted_histories_last_updated = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        # No unique title: API clients create and rename portfolios freely, and two of them may
        # choose the same title at the same moment (API.md). A per-user unique ``name`` belongs
        # to the /api/v1/portfolio surface and will be its own column when that is built.
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(is_default=True),
                name="portfolio_one_default_per_user",
            ),
        ]

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


class PortfolioTarget(models.Model):
    """The fraction of the portfolio's value the user wants in one asset. A portfolio's targets
    sum to exactly 1 (checked by ``portfolios.targets`` before they are stored); no targets at
    all means none were set."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="targets")
    currency = models.ForeignKey("currencies.Currency", on_delete=models.PROTECT, related_name="+")
    # Exact, up to 18 places; on SQLite one past 15 significant digits is refused, not rounded.
    fraction = AmountField(max_digits=19, decimal_places=18)

    class Meta:
        ordering = ["portfolio", "currency__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "currency"], name="portfolio_target_unique"
            ),
            models.CheckConstraint(
                condition=Q(fraction__gte=0) & Q(fraction__lte=1),
                name="portfolio_target_fraction_0_to_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.portfolio_id}:{self.currency_id}={self.fraction}"


class PortfolioTotals(models.Model):
    """A portfolio's totals as the API last answered them in the steady state (everything
    fetched and fresh, prices tried), stored to be answered again with one query.

    Served only while the counters they were computed from (``snapshot_generation``: the
    portfolio's ``totals_generation``; ``snapshot_epoch``: the ``TotalsEpoch``) are unchanged
    and their ``*_until`` moment has not passed (docs/architecture.md "Stored totals"). A
    portfolio without a row has nothing stored yet."""

    portfolio = models.OneToOneField(
        Portfolio, on_delete=models.CASCADE, primary_key=True, related_name="totals_state"
    )
    snapshot_generation = models.BigIntegerField()
    snapshot_epoch = models.BigIntegerField()
    # JSON text of the rows as the API renders them (key order kept), ``balance_at`` null where
    # the figure is "now" (a reporting currency nothing holds): filled in per request.
    balances = models.TextField()
    balances_until = models.DateTimeField(null=True, blank=True)  # null: no end by time
    converted = models.TextField(blank=True, default="")  # empty: not stored
    unpriced = models.TextField(blank=True, default="")  # a JSON list
    converted_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"totals of {self.portfolio_id} @{self.snapshot_generation}"


class TotalsEpoch(models.Model):
    """One row (id 1): raised by triggers whenever a spot price is stored or a currency's
    title changes, which change every portfolio's totals at once."""

    ID = 1

    value = models.BigIntegerField(default=0, db_default=0)

    def __str__(self) -> str:
        return f"totals epoch {self.value}"
