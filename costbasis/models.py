"""Cost-basis results stored per portfolio: the settings they are computed with, the last build
(engine state and the fingerprint of the ledger it saw), open lots, disposals with the lots they
used, income and flags.

Everything below CostBasisBuild is derived data, rebuilt from the ledger by
``costbasis.services`` and never edited by hand. Its amounts are computed by the engine,
whose divisions (average cost, unit cost, proportional splits) carry 50 significant digits; they
are stored rounded half-even to 18 decimal places, the storage precision of every amount
(numeric(38, 18)). These tables use a plain DecimalField, not ``core.fields.AmountField``: on the
embedded SQLite database they keep about 15 significant digits instead of refusing longer values,
which is acceptable for figures that a rebuild recomputes at any time. The summary figures on
CostBasisBuild are the engine's exact sums, kept as strings.

Foreign keys of the derived tables carry no database constraint: a rebuild writes tens of
thousands of rows and per-row constraint checks would double its time. Deleting a portfolio
still deletes its rows (Django cascades), and every read is scoped to a portfolio.
"""

from decimal import Decimal

from django.db import models

from core.models import TimeStampedModel
from costbasis.engine import FlagCode, Method, Pooling
from ledger.kinds import Kind

__all__ = [
    "CostBasisBuild",
    "CostBasisFlag",
    "CostBasisSettings",
    "Disposal",
    "DisposalLot",
    "IncomeRecord",
    "Lot",
]


def _amount(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=38, decimal_places=18, **kwargs)


def _link(model: str, *, on_delete=models.DO_NOTHING, **kwargs) -> models.ForeignKey:
    """A foreign key without a database constraint (see the module docstring)."""
    kwargs.setdefault("related_name", "+")
    return models.ForeignKey(model, on_delete=on_delete, db_constraint=False, **kwargs)


class CostBasisSettings(TimeStampedModel):
    """How a portfolio's cost basis is computed. ``method_changes`` is a list of
    ``{"year": 2024, "method": "hifo"}`` sorted by year: from that UTC year on, that method
    applies (``method`` before the first change)."""

    portfolio = models.OneToOneField(
        "portfolios.Portfolio", on_delete=models.CASCADE, related_name="cost_basis_settings"
    )
    method = models.CharField(
        max_length=10, choices=[(m.value, m.value) for m in Method], default=Method.FIFO.value
    )
    pooling = models.CharField(
        max_length=12,
        choices=[(p.value, p.value) for p in Pooling],
        default=Pooling.UNIVERSAL.value,
    )
    method_changes = models.JSONField(default=list, blank=True)
    unclassified_out_to_elsewhere = models.BooleanField(
        default=True,
        help_text="an unexplained send went to one of the user's untracked wallets (no "
        "taxable event); off: it is a disposal at market value",
    )

    class Meta:
        db_table = "ledger_costbasissettings"  # the table kept its name when the model left ledger
        ordering = ["portfolio"]
        verbose_name = "cost-basis settings"
        verbose_name_plural = "cost-basis settings"

    def __str__(self) -> str:
        return f"{self.method}/{self.pooling} for portfolio {self.portfolio_id}"


class CostBasisBuild(models.Model):
    """The last build of a portfolio's cost basis. ``status`` failed keeps the results of the
    last good build (``built_at``) and says why the latest attempt failed.

    To continue rather than start over, it keeps the engine's ``state`` after the last
    processed entry (``last_at``, ``last_entry_id``) and a fingerprint of what the ledger held
    at or before that moment: ``entries_count``, ``max_updated_at`` and ``updated_sum`` (the sum
    of the rows' updated_at in microseconds, which also changes when a row edited in a
    transaction that started earlier commits later), and the same three figures of the accepted
    transfers with a leg there. ``ledger`` is that fingerprint over the whole ledger, to tell
    whether the results are stale. ``settings`` are those the results were computed with,
    including the fiat currency (``currency``) of every cost, proceeds, gain and income."""

    OK = "ok"
    FAILED = "failed"
    STATUSES = [(OK, OK), (FAILED, FAILED)]
    FULL = "full"
    INCREMENTAL = "incremental"
    UNCHANGED = "unchanged"
    MODES = [(m, m) for m in (FULL, INCREMENTAL, UNCHANGED)]

    portfolio = models.OneToOneField(
        "portfolios.Portfolio", on_delete=models.CASCADE, related_name="cost_basis_build"
    )
    status = models.CharField(max_length=10, choices=STATUSES, default=OK)
    error = models.TextField(blank=True, default="")
    mode = models.CharField(max_length=12, choices=MODES, default=FULL)
    reason = models.CharField(max_length=200, blank=True, default="")
    currency = models.ForeignKey(
        "currencies.Currency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    settings = models.JSONField(default=dict, blank=True)
    state = models.JSONField(null=True, blank=True)
    last_at = models.DateTimeField(null=True, blank=True)
    last_entry_id = models.BigIntegerField(null=True, blank=True)
    entries_count = models.PositiveIntegerField(default=0)
    max_updated_at = models.DateTimeField(null=True, blank=True)
    updated_sum = models.CharField(max_length=40, blank=True, default="0")
    transfers_count = models.PositiveIntegerField(default=0)
    transfers_max_updated_at = models.DateTimeField(null=True, blank=True)
    transfers_updated_sum = models.CharField(max_length=40, blank=True, default="0")
    ledger = models.JSONField(default=dict, blank=True, help_text="whole-ledger fingerprint")
    summary = models.JSONField(default=dict, blank=True)
    entries_processed = models.PositiveIntegerField(default=0)
    timings = models.JSONField(default=dict, blank=True)
    built_at = models.DateTimeField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True, help_text="seconds")
    attempted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "ledger_costbasisbuild"  # the table kept its name when the model left ledger
        ordering = ["portfolio"]

    def __str__(self) -> str:
        return f"cost basis of portfolio {self.portfolio_id} ({self.status})"


class Lot(models.Model):
    """An open lot: what is left of one acquisition (``source_entry``) in one pool. ``pool`` is
    the engine's wallet key ("" in universal pooling, "import:4", "elsewhere",
    "in-transit:<entry id>"); ``wallet`` is the wallet holding it (per-wallet pooling) or the one
    it was acquired in (universal pooling). ``cost`` and ``unit_cost`` describe the whole
    acquisition (fee included), ``remaining_cost`` the part left in this pool."""

    portfolio = _link("portfolios.Portfolio", on_delete=models.CASCADE)
    asset = _link("currencies.Currency")
    pool = models.CharField(max_length=60, blank=True, default="")
    wallet = _link("ledger.Wallet", null=True, blank=True, db_index=False)
    source_entry = _link("ledger.LedgerEntry", db_index=False)
    acquired_at = models.DateTimeField()
    original_quantity = _amount()
    remaining_quantity = _amount()
    cost = _amount()
    unit_cost = _amount()
    remaining_cost = _amount()
    estimated = models.BooleanField(default=False)

    class Meta:
        db_table = "ledger_lot"  # the table kept its name when the model left ledger
        ordering = ["portfolio", "asset", "acquired_at", "source_entry", "pool"]
        indexes = [
            models.Index(fields=["portfolio", "asset", "acquired_at"], name="cb_lot_asset"),
        ]

    def __str__(self) -> str:
        return f"lot of {self.remaining_quantity} {self.asset_id} from entry {self.source_entry_id}"


class Disposal(models.Model):
    """A taxable disposal (``entry``; a transfer's fee is a disposal of its TRANSFER_OUT).
    proceeds = value - fee; cost = the lots' costs; ``missing_quantity`` had no lot (zero
    cost, short-term). ``pool`` as on Lot, ``wallet`` the entry's. gain = proceeds - cost."""

    portfolio = _link("portfolios.Portfolio", on_delete=models.CASCADE, db_index=False)
    entry = _link("ledger.LedgerEntry", db_index=False)
    at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=[(k.value, k.value) for k in Kind])
    asset = _link("currencies.Currency", db_index=False)
    pool = models.CharField(max_length=60, blank=True, default="")
    wallet = _link("ledger.Wallet", null=True, blank=True, db_index=False)
    method = models.CharField(max_length=10, choices=[(m.value, m.value) for m in Method])
    quantity = _amount()
    proceeds = _amount()
    cost = _amount()
    missing_quantity = _amount()

    class Meta:
        db_table = "ledger_disposal"  # the table kept its name when the model left ledger
        ordering = ["portfolio", "at", "entry"]
        indexes = [models.Index(fields=["portfolio", "at", "entry"], name="cb_disposal_time")]

    def __str__(self) -> str:
        return f"disposal of {self.quantity} {self.asset_id} (entry {self.entry_id})"

    @property
    def gain(self) -> Decimal:
        return self.proceeds - self.cost


class DisposalLot(models.Model):
    """The part of a disposal taken from one lot (the engine's LotUse). ``source_entry`` None is
    the missing part of an oversell: zero cost, acquired at the disposal itself."""

    portfolio = _link("portfolios.Portfolio", on_delete=models.CASCADE, db_index=False)
    disposal = _link("costbasis.Disposal", related_name="lots", db_index=False)
    position = models.PositiveIntegerField(default=0)
    source_entry = _link("ledger.LedgerEntry", null=True, blank=True, db_index=False)
    acquired_at = models.DateTimeField()
    quantity = _amount()
    cost = _amount()
    proceeds = _amount()
    long_term = models.BooleanField()

    class Meta:
        db_table = "ledger_disposallot"  # the table kept its name when the model left ledger
        ordering = ["disposal", "position"]
        # One index serves the DELETE of a rebuild, the lots of a page of disposals (filtered by
        # portfolio too) and the report's join.
        indexes = [models.Index(fields=["portfolio", "disposal"], name="cb_disposal_lot")]

    def __str__(self) -> str:
        return f"{self.quantity} from entry {self.source_entry_id} for disposal {self.disposal_id}"

    @property
    def gain(self) -> Decimal:
        return self.proceeds - self.cost


class IncomeRecord(models.Model):
    """An INCOME entry: ``value`` (fiat, market value on receipt) is income of ``year`` (UTC)."""

    portfolio = _link("portfolios.Portfolio", on_delete=models.CASCADE, db_index=False)
    entry = _link("ledger.LedgerEntry", db_index=False)
    at = models.DateTimeField()
    year = models.PositiveSmallIntegerField()
    asset = _link("currencies.Currency", db_index=False)
    quantity = _amount()
    value = _amount()

    class Meta:
        db_table = "ledger_incomerecord"  # the table kept its name when the model left ledger
        ordering = ["portfolio", "at", "entry"]
        indexes = [models.Index(fields=["portfolio", "year"], name="cb_income_year")]

    def __str__(self) -> str:
        return f"income of {self.value} (entry {self.entry_id})"


class CostBasisFlag(models.Model):
    """Why an entry needs a human look (``code``, see costbasis.engine.FlagCode); ``quantity``
    says how much of it is concerned."""

    portfolio = _link("portfolios.Portfolio", on_delete=models.CASCADE, db_index=False)
    entry = _link("ledger.LedgerEntry", db_index=False)
    code = models.CharField(max_length=30, choices=[(c.value, c.value) for c in FlagCode])
    quantity = _amount(null=True, blank=True)

    class Meta:
        db_table = "ledger_costbasisflag"  # the table kept its name when the model left ledger
        ordering = ["portfolio", "entry", "code"]
        indexes = [models.Index(fields=["portfolio", "code"], name="cb_flag_code")]

    def __str__(self) -> str:
        return f"{self.code} on entry {self.entry_id}"
