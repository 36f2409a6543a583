"""Writes for currencies: the data file is the truth for the codes it lists."""

from __future__ import annotations

from django.db import transaction

from currencies.data_file import load_currency_records
from currencies.models import Currency


@transaction.atomic
def currencies_sync_from_data_file(currency_model=Currency) -> tuple[int, int]:
    """Insert or update every currency of ``currencies/data/currencies.json``. Idempotent: run it
    again (``manage.py load_currencies``, or any ``migrate``) after the file changes. Rows added
    by statements are left alone. Returns (created, updated)."""
    records = load_currency_records()
    existing = {c.code: c for c in currency_model.objects.all()}
    created = updated = 0
    for record in records:
        values = {
            "title": record.title,
            "is_cryptocurrency": record.is_cryptocurrency,
            "is_fiat": record.is_fiat,
            "is_ethereum_token": record.is_ethereum_token,
            "ethereum_contract_address": record.ethereum_contract_address or "",
            "decimals": record.decimals,
            "coingecko_id": record.coingecko_id or "",
            "source": Currency.DATA_FILE,
        }
        current = existing.get(record.code)
        if current is None:
            currency_model.objects.create(code=record.code, **values)
            created += 1
        elif any(getattr(current, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(current, key, value)
            current.save()
            updated += 1
    return created, updated


def currency_get_or_create_crypto(*, code: str, source: str) -> Currency:
    """A code a statement uses that the table does not know yet becomes a cryptocurrency
    (``source`` names the statement) -- never a reason to refuse the file."""
    code = code.strip().lower()
    currency, _ = Currency.objects.get_or_create(
        code=code,
        defaults={
            "title": code.upper(),
            "is_cryptocurrency": True,
            "decimals": 18,
            "source": source,
        },
    )
    return currency
