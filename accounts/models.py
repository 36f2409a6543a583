"""Exchange accounts: a read-only API key of an exchange ccxt supports, its balances as the
exchange reports them, and the bookkeeping of fetching them in the background. The history
(trades, deposits, withdrawals, fees, rewards) lands in the ledger, in the account's wallet."""

from django.db import models

from core.fields import AmountField
from core.models import TimeStampedModel


class Account(TimeStampedModel):
    """One exchange account of a portfolio. ``exchange`` is the ccxt id (``kraken``,
    ``binanceus``, ``coinbase``...). ``credentials`` is a Fernet token of the JSON credentials
    (``accounts.crypto``): never shown, logged or answered. ``valid`` turns false when the
    exchange refuses the key (``invalid_reason`` says why) and stays false until new credentials
    come."""

    portfolio = models.ForeignKey(
        "portfolios.Portfolio", on_delete=models.CASCADE, related_name="accounts"
    )
    title = models.CharField(max_length=100, blank=True, default="")
    exchange = models.CharField(max_length=50)
    credentials = models.TextField(editable=False)
    valid = models.BooleanField(default=True)
    invalid_reason = models.TextField(blank=True, default="")
    warning = models.TextField(blank=True, default="")
    source = models.CharField(max_length=20, default="private-api")
    last_updated = models.DateTimeField(null=True, blank=True)
    txns_last_updated = models.DateTimeField(null=True, blank=True)
    history_last_updated = models.DateTimeField(null=True, blank=True)
    ledger_wallet = models.OneToOneField(
        "ledger.Wallet",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="account",
        help_text="the ledger wallet its history lands in",
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title or self.exchange

    @property
    def exchange_title(self) -> str:
        """The exchange's name as ccxt spells it ("Kraken", "Binance US")."""
        from accounts.exchanges import wallet_info

        info = wallet_info(self.exchange)
        return info.title if info else self.exchange


class AccountFetchState(models.Model):
    """Background-fetch bookkeeping of one account (created on first fetch): when its balances
    were last fetched, where each kind of history goes on from (``cursors``: kind -> the
    exchange time in ms of the newest row stored), and the last failure with the time of the
    next retry. A failed fetch never touches the stored data."""

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="fetch_state", primary_key=True
    )
    balances_fetched_at = models.DateTimeField(null=True, blank=True)
    cursors = models.JSONField(default=dict, blank=True)
    history_complete = models.BooleanField(default=False)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_duration_seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    error_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    requests = models.PositiveIntegerField(default=0, help_text="HTTP requests of the last sync")
    backfill = models.JSONField(
        default=dict, blank=True, help_text="the last backfill: from, pages, added, done"
    )

    class Meta:
        ordering = ["account"]

    def __str__(self) -> str:
        return f"fetch state of account {self.account_id}"


class AccountBalance(TimeStampedModel):
    """The balance of one currency on the exchange: ``balance`` is the total (free plus held in
    open orders), as the exchange reports it."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="balances")
    currency = models.ForeignKey("currencies.Currency", on_delete=models.PROTECT, related_name="+")
    balance = AmountField()
    free = AmountField(null=True, blank=True)
    used = AmountField(null=True, blank=True)
    source = models.CharField(max_length=50)

    class Meta:
        ordering = ["account", "currency__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "currency"], name="account_balance_one_per_currency"
            )
        ]

    def __str__(self) -> str:
        return f"{self.balance} {self.currency_id} at {self.account_id}"


class SharedMovement(models.Model):
    """A movement an exchange account and a statement of the same account both report (a
    Coinbase account connected by key and its Coinbase statement). The statement's row stays
    the ledger's one copy (``statement_entry``); the account's copy (``external_id``) is not
    stored, and the account's holdings subtract the shared row so that the exchange's balance
    and the statement's wallet together count it once (``accounts.shared``)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="shared")
    statement_entry = models.OneToOneField(
        "ledger.LedgerEntry", on_delete=models.CASCADE, related_name="+"
    )
    external_id = models.CharField(max_length=200)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "external_id"], name="shared_movement_once_per_account"
            )
        ]

    def __str__(self) -> str:
        return f"{self.external_id} of account {self.account_id} = entry {self.statement_entry_id}"
