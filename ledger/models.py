"""The ledger: one row per movement of value into or out of one of the user's wallets.

Cost basis, performance and tax reports stand on it. Rows come from sources (a statement
import, an address's on-chain history) and a user may re-classify them; a row the user changed
is never edited by its source again (``user_modified``).
"""

from django.conf import settings
from django.db import models

from core.fields import AmountField
from core.models import TimeStampedModel
from ledger.kinds import IncomeType, Kind


class Wallet(TimeStampedModel):
    """Where movements happen: one of the portfolio's addresses, an exchange account, or an
    import source such as "Coinbase". Each wallet's holdings count once in the totals."""

    ADDRESS = "address"
    IMPORT = "import"
    ACCOUNT = "account"
    KINDS = [(ADDRESS, "address"), (IMPORT, "import source"), (ACCOUNT, "exchange account")]

    portfolio = models.ForeignKey(
        "portfolios.Portfolio", on_delete=models.CASCADE, related_name="wallets"
    )
    kind = models.CharField(max_length=10, choices=KINDS)
    name = models.CharField(max_length=100)
    address = models.OneToOneField(
        "addresses.Address", on_delete=models.CASCADE, null=True, blank=True, related_name="wallet"
    )

    class Meta:
        ordering = ["portfolio", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["portfolio", "kind", "name"], name="wallet_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        """Stable key for the cost-basis engine, e.g. ``import:4``, ``address:12``."""
        return f"{self.kind}:{self.pk}"


class Import(TimeStampedModel):
    """One statement file imported into a wallet: who, when, which file, what it added. Undoing
    it removes exactly its rows."""

    portfolio = models.ForeignKey(
        "portfolios.Portfolio", on_delete=models.CASCADE, related_name="imports"
    )
    wallet = models.ForeignKey(Wallet, on_delete=models.CASCADE, related_name="imports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=30, default="coinbase-csv")
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    variant = models.CharField(max_length=10, blank=True, default="")
    rows_read = models.PositiveIntegerField(default=0)
    rows_added = models.PositiveIntegerField(default=0)
    rows_duplicate = models.PositiveIntegerField(default=0)
    rows_skipped = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.rows_added} rows)"


class LedgerEntry(TimeStampedModel):
    """One movement. ``quantity`` is exact and positive; the direction is the kind. ``value``
    is its fiat value at that moment in ``value_currency``, with where it came from; None with
    ``value_source = missing`` when nothing knows it (never 0)."""

    VALUE_FILE = "file"
    VALUE_PRICE_STORE = "price-store"
    VALUE_MANUAL = "manual"
    VALUE_MISSING = "missing"
    VALUE_SOURCES = [(v, v) for v in (VALUE_FILE, VALUE_PRICE_STORE, VALUE_MANUAL, VALUE_MISSING)]

    # No single-column indexes on portfolio, wallet and created_at: the composite indexes below
    # (and the unique (wallet, external_id)) start with portfolio and wallet, and nothing reads
    # entries by creation time. Nor on the currencies (asset, value_currency, fee_asset): rows
    # are read by asset within a portfolio (ledger_portfolio_asset), never across portfolios;
    # only deleting a currency (the admin) looks them up, and may scan. Each index is paid on
    # every row a statement import inserts.
    #
    # Foreign keys without a database constraint (``db_constraint=False``): PostgreSQL checks a
    # constraint with a query per row and per key, which was most of an import's time (issue
    # 14). The wallet's constraint stays: every way of deleting entries' parents (a portfolio,
    # its user, an address or account) goes through the wallet, so no row outlives its wallet
    # even when a delete races an import. The others are guaranteed by their writers:
    # ``portfolio`` is always the wallet's portfolio (the writers set it from the wallet);
    # currencies are checked once per batch by the statement import (``ingest.bulk.
    # check_currencies``, which also holds them until commit) and come from the currency
    # table's own rows elsewhere; ``source_import`` and ``pair`` are rows of the same
    # transaction and wallet; ``source_address_txn`` comes from the address sync that created
    # it. Deletes still cascade, protect and set null: Django does that itself (the
    # ``on_delete`` below), through the services, the API and the admin alike.
    created_at = models.DateTimeField(auto_now_add=True)
    portfolio = models.ForeignKey(
        "portfolios.Portfolio",
        on_delete=models.CASCADE,
        related_name="ledger_entries",
        db_index=False,
        db_constraint=False,
    )
    wallet = models.ForeignKey(
        Wallet, on_delete=models.CASCADE, related_name="entries", db_index=False
    )
    occurred_at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=[(k.value, k.value) for k in Kind])
    income_type = models.CharField(
        max_length=20, choices=[(k.value, k.value) for k in IncomeType], blank=True, default=""
    )
    asset = models.ForeignKey(
        "currencies.Currency",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    quantity = AmountField()
    value = AmountField(null=True, blank=True)
    value_currency = models.ForeignKey(
        "currencies.Currency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    value_source = models.CharField(max_length=20, choices=VALUE_SOURCES, default=VALUE_MISSING)
    fee_asset = models.ForeignKey(
        "currencies.Currency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    fee_amount = AmountField(null=True, blank=True)
    fee_value = AmountField(null=True, blank=True)
    external_id = models.CharField(max_length=200)
    reference = models.CharField(
        max_length=200, blank=True, default="", help_text="chain transaction id, when known"
    )
    pair = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    pair_key = models.CharField(max_length=200, blank=True, default="")
    source_import = models.ForeignKey(
        Import,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="entries",
        db_constraint=False,
    )
    source_address_txn = models.ForeignKey(
        "addresses.AddressTransaction",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    tx_type = models.CharField(
        max_length=60, blank=True, default="", help_text="the source's own name of the type"
    )
    notes = models.TextField(blank=True, default="")
    counterparty = models.CharField(max_length=200, blank=True, default="")
    line = models.PositiveIntegerField(null=True, blank=True)
    migration = models.BooleanField(default=False)
    user_modified = models.BooleanField(default=False)
    pinned_lots = models.JSONField(
        default=list, blank=True, help_text="[[acquiring entry id, quantity], ...]"
    )

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.UniqueConstraint(
                fields=["wallet", "external_id"], name="ledger_entry_unique_in_wallet"
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="ledger_entry_quantity_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["portfolio", "occurred_at", "id"], name="ledger_portfolio_time"),
            models.Index(fields=["portfolio", "asset"], name="ledger_portfolio_asset"),
            # The legs of a pair are looked up by their wallet and key (the statement import,
            # the account sync); only rows with a key are indexed, one in twenty of a statement.
            models.Index(
                fields=["wallet", "pair_key"],
                name="ledger_wallet_pair_key",
                condition=~models.Q(pair_key=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} {self.asset_id} at {self.occurred_at:%Y-%m-%d}"


class Transfer(TimeStampedModel):
    """A send from one of the user's wallets and a receive into another, proposed as the same
    money moving. Matches by chain transaction id are accepted at once; others wait for the
    user. Accepted transfers are neither disposals nor acquisitions."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    STATUSES = [(s, s) for s in (PROPOSED, ACCEPTED, REJECTED)]
    BY_TXID = "txid"
    BY_WINDOW = "window"

    portfolio = models.ForeignKey(
        "portfolios.Portfolio", on_delete=models.CASCADE, related_name="transfers"
    )
    out_entry = models.ForeignKey(
        LedgerEntry, on_delete=models.CASCADE, related_name="transfers_out"
    )
    in_entry = models.ForeignKey(LedgerEntry, on_delete=models.CASCADE, related_name="transfers_in")
    status = models.CharField(max_length=10, choices=STATUSES, default=PROPOSED)
    matched_by = models.CharField(max_length=10, default=BY_WINDOW)
    fee_quantity = AmountField(default=0, help_text="sent minus received: the transfer's fee")
    decided_at = models.DateTimeField(null=True, blank=True)
    # What accepting changed, so that rejecting it later restores exactly that: the legs' kinds
    # before the accept made them TRANSFER_OUT / TRANSFER_IN ("" when the accept left it alone).
    out_kind_before = models.CharField(max_length=20, blank=True, default="")
    in_kind_before = models.CharField(max_length=20, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["out_entry", "in_entry"], name="transfer_pair_unique"),
        ]

    def __str__(self) -> str:
        return f"transfer {self.out_entry_id} -> {self.in_entry_id} ({self.status})"


class WalletHolding(models.Model):
    """What a wallet holds of one asset according to its ledger rows (inflows minus outflows),
    kept up to date by the services that change the rows, so portfolio totals read one small
    table instead of summing the whole ledger on every request."""

    wallet = models.ForeignKey(Wallet, on_delete=models.CASCADE, related_name="holdings")
    asset = models.ForeignKey("currencies.Currency", on_delete=models.PROTECT, related_name="+")
    quantity = AmountField()
    as_of = models.DateTimeField(null=True, blank=True, help_text="time of the newest row counted")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["wallet", "asset"]
        constraints = [
            models.UniqueConstraint(fields=["wallet", "asset"], name="wallet_holding_unique")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} {self.asset_id} in {self.wallet_id}"
