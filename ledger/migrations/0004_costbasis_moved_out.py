"""The cost-basis models moved to the costbasis app (costbasis 0001_moved_from_ledger). Only
Django's state forgets them here; their tables stay as they are, under their ledger_* names,
and costbasis takes them over with their rows."""

from django.db import migrations

MOVED = [
    # DisposalLot first: it points at Disposal.
    "DisposalLot",
    "Disposal",
    "Lot",
    "IncomeRecord",
    "CostBasisFlag",
    "CostBasisBuild",
    "CostBasisSettings",
]


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0003_costbasis"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name=name) for name in MOVED],
            database_operations=[],
        ),
    ]
