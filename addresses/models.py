from django.db import models

from core.fields import AmountField
from core.models import TimeStampedModel


class Address(TimeStampedModel):
    """A public blockchain address in a portfolio, checked for its currency before it is stored.
    ``valid`` turns false when the chain's explorer rejects it later."""

    portfolio = models.ForeignKey(
        "portfolios.Portfolio", on_delete=models.CASCADE, related_name="addresses"
    )
    title = models.CharField(max_length=100, blank=True, default="")
    address = models.CharField(max_length=128)
    currency = models.ForeignKey("currencies.Currency", on_delete=models.PROTECT, related_name="+")
    valid = models.BooleanField(default=True)
    source = models.CharField(max_length=20, default="private-api")
    txns_last_updated = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "addresses"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "address", "currency"], name="address_unique_in_portfolio"
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.address


class AddressFetchState(models.Model):
    """Background-fetch bookkeeping of one address (one row, created on first fetch): when its
    data was last fetched, where incremental history sync goes on from, and the last failure
    with the time of the next retry. A failed fetch never touches the stored data."""

    address = models.OneToOneField(
        Address, on_delete=models.CASCADE, related_name="fetch_state", primary_key=True
    )
    balances_fetched_at = models.DateTimeField(null=True, blank=True)
    sync_cursor = models.CharField(max_length=200, blank=True, default="")
    history_complete = models.BooleanField(default=False)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_duration_seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    error_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    # Reconciliation after each sync whose history is complete: what the stored history adds
    # up to, and what the chain's balance has beyond it when the two disagree.
    history_balance = AmountField(
        null=True,
        blank=True,
        help_text="what the stored confirmed transactions add up to (null: history incomplete)",
    )
    unexplained = AmountField(
        null=True,
        blank=True,
        help_text="the chain's balance minus the history's (null: they agree, or not known)",
    )

    class Meta:
        ordering = ["address"]

    def __str__(self) -> str:
        return f"fetch state of address {self.address_id}"

    def discrepancy_sentence(self) -> str:
        """The sentence the admin and the address page show when the history and the balance
        disagree ("History accounts for X BTC, the chain reports Y BTC; Z BTC unexplained."),
        else an empty string."""
        from addresses.reconcile import discrepancy_sentence

        if self.unexplained is None or self.history_balance is None:
            return ""
        return discrepancy_sentence(
            history=self.history_balance,
            unexplained=self.unexplained,
            code=self.address.currency.code,
        )


class AddressBalance(TimeStampedModel):
    """The balance of one currency at an address, as its explorer reported it."""

    address = models.ForeignKey(Address, on_delete=models.CASCADE, related_name="balances")
    currency = models.ForeignKey("currencies.Currency", on_delete=models.PROTECT, related_name="+")
    balance = AmountField()
    transactions = models.PositiveIntegerField(null=True, blank=True)
    sent = AmountField(null=True, blank=True)
    received = AmountField(null=True, blank=True)
    source = models.CharField(max_length=30)

    class Meta:
        ordering = ["address", "currency__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["address", "currency"], name="address_balance_one_per_currency"
            )
        ]

    def __str__(self) -> str:
        return f"{self.balance} {self.currency_id} at {self.address_id}"


class AddressTransaction(TimeStampedModel):
    """One transaction's effect on an address: ``delta`` is what the address gained (negative
    when it spent, fee included), ``fee`` the network fee it paid (0 on incoming ones).
    Unique per address and chain key (txid, plus the log row for token transfers)."""

    address = models.ForeignKey(Address, on_delete=models.CASCADE, related_name="transactions")
    currency = models.ForeignKey("currencies.Currency", on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=200)
    reference = models.CharField(max_length=100)
    delta = AmountField()
    fee = AmountField(default=0)
    txn_at = models.DateTimeField(db_index=True)
    confirmed = models.BooleanField(default=True)
    block_height = models.PositiveBigIntegerField(null=True, blank=True)
    source = models.CharField(max_length=30)

    class Meta:
        ordering = ["-txn_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["address", "key"], name="address_transaction_unique_key"
            )
        ]
        indexes = [
            models.Index(fields=["address", "-txn_at", "-id"], name="address_txn_newest_first")
        ]

    def __str__(self) -> str:
        return f"{self.delta} {self.currency_id} {self.reference}"
