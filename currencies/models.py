from django.conf import settings
from django.db import models

from core.models import TimeStampedModel


class Currency(TimeStampedModel):
    """A fiat currency, a cryptocurrency or an Ethereum token. ``decimals`` is its precision
    (ISO 4217 minor units for fiat, the chain's for crypto and tokens).

    ``listed`` currencies are everyone's: the public ``/api/currencies`` list, and any user's
    portfolios. A code a statement brings that the table did not know is not listed: it is
    known only to the users whose statements used it (``known_to``) until an operator lists it
    in the admin, or the curated data file has it. One user's file never changes what other
    users see."""

    DATA_FILE = "data-file"

    code = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=100)
    is_cryptocurrency = models.BooleanField(default=False)
    is_fiat = models.BooleanField(default=False)
    is_ethereum_token = models.BooleanField(default=False)
    ethereum_contract_address = models.CharField(max_length=42, blank=True, default="")
    decimals = models.PositiveSmallIntegerField(default=8)
    coingecko_id = models.CharField(max_length=100, blank=True, default="")
    source = models.CharField(max_length=100, default=DATA_FILE)
    listed = models.BooleanField(
        default=True,
        help_text="Listed publicly: in /api/currencies and usable by every user. A code only a "
        "statement brought is not listed until an operator lists it.",
    )
    known_to = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        help_text="Users whose statements brought this code: they may use it while it is not "
        "listed.",
    )

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "currencies"
        constraints = [
            models.CheckConstraint(
                condition=~(models.Q(is_fiat=True) & models.Q(is_cryptocurrency=True)),
                name="currency_fiat_xor_crypto",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.title})"
