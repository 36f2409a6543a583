"""Model fields for money."""

from decimal import Decimal

from django.db import models

from core.exceptions import ValidationFailed
from core.money import SQLITE_SIGNIFICANT_DIGITS, significant_digits


class AmountField(models.DecimalField):
    """An exact amount: numeric(38, 18). PostgreSQL stores it exactly. The embedded SQLite
    database keeps only 15 significant digits, so there an amount that would not round-trip is
    refused rather than silently rounded."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 38)
        kwargs.setdefault("decimal_places", 18)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs

    def get_db_prep_save(self, value, connection):
        # Expressions (F(), Case() from bulk_update) are resolved by the database, not here.
        if (
            value is not None
            and connection.vendor == "sqlite"
            and not hasattr(value, "resolve_expression")
        ):
            value = self.to_python(value)
            if isinstance(value, Decimal) and significant_digits(value) > SQLITE_SIGNIFICANT_DIGITS:
                raise ValidationFailed(
                    f"amount '{value}' has more significant digits than the embedded SQLite "
                    f"database stores exactly ({SQLITE_SIGNIFICANT_DIGITS}); run the service on "
                    "PostgreSQL (see README, 'Running on PostgreSQL') to store it"
                )
        return super().get_db_prep_save(value, connection)
