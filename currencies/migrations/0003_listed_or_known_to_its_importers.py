# Issue 11 (8): a code a statement brought is no longer everyone's. Rows the curated data file
# did not bring are unlisted, and known to the users whose ledgers, reporting currencies or
# offsets use them; an operator lists them in the admin.

from django.conf import settings
from django.db import migrations, models

DATA_FILE = "data-file"


def unlist_statement_codes(apps, schema_editor):
    Currency = apps.get_model("currencies", "Currency")
    LedgerEntry = apps.get_model("ledger", "LedgerEntry")
    PortfolioCurrency = apps.get_model("portfolios", "PortfolioCurrency")
    OffsetBalance = apps.get_model("offsets", "OffsetBalance")
    Known = Currency.known_to.through
    brought = Currency.objects.exclude(source=DATA_FILE)
    ids = list(brought.values_list("pk", flat=True))
    if not ids:
        return
    pairs = set()
    for currency_field in ("asset_id", "value_currency_id", "fee_asset_id"):
        pairs |= set(
            LedgerEntry.objects.filter(**{f"{currency_field}__in": ids})
            .values_list(currency_field, "portfolio__user_id")
            .distinct()
        )
    pairs |= set(
        PortfolioCurrency.objects.filter(currency_id__in=ids)
        .values_list("currency_id", "portfolio__user_id")
        .distinct()
    )
    pairs |= set(
        OffsetBalance.objects.filter(currency_id__in=ids)
        .values_list("currency_id", "offset__portfolio__user_id")
        .distinct()
    )
    Known.objects.bulk_create(
        [Known(currency_id=c, user_id=u) for c, u in pairs], ignore_conflicts=True
    )
    brought.update(listed=False)


class Migration(migrations.Migration):
    dependencies = [
        ("currencies", "0002_load_currencies"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("ledger", "0001_initial"),
        ("portfolios", "0002_initial"),
        ("offsets", "0002_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="currency",
            name="known_to",
            field=models.ManyToManyField(
                blank=True,
                help_text="Users whose statements brought this code: they may use it while it "
                "is not listed.",
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="currency",
            name="listed",
            field=models.BooleanField(
                default=True,
                help_text="Listed publicly: in /api/currencies and usable by every user. A code "
                "only a statement brought is not listed until an operator lists it.",
            ),
        ),
        migrations.RunPython(unlist_statement_codes, migrations.RunPython.noop),
    ]
