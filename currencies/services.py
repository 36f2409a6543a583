"""Writes for currencies: the data file is the truth for the codes it lists; codes statements
bring are known to their importers until an operator lists them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from currencies.data_file import load_currency_records
from currencies.models import Currency
from currencies.selectors import visible_to
from users.models import User


@transaction.atomic
def currencies_sync_from_data_file(currency_model=Currency) -> tuple[int, int]:
    """Insert or update every currency of ``currencies/data/currencies.json``. Idempotent: run it
    again (``manage.py load_currencies``, or any ``migrate``) after the file changes. Rows added
    by statements are left alone. Returns (created, updated)."""
    records = load_currency_records()
    # The curated data is everyone's. (Migration 0002 runs this with the table as it was
    # then, before the column existed.)
    listed = {"listed": True} if _has_field(currency_model, "listed") else {}
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
            **listed,
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


def _has_field(model, name: str) -> bool:
    return any(f.name == name for f in model._meta.get_fields())


@dataclass(frozen=True)
class StatementCodes:
    """The currencies of codes a statement uses: ``ids`` code -> id of each, and ``new`` the
    codes the importing user did not see before (not listed, not yet known to them), in the
    order given."""

    ids: dict[str, int]
    new: list[str]


def currencies_for_statement(*, codes: Iterable[str], user: User, source: str) -> StatementCodes:
    """The rows of the codes a statement of ``user``'s uses. A code the table does not know
    becomes an unlisted cryptocurrency (``source`` names the statement), never a reason to
    refuse the file; every unlisted one becomes known to ``user``, and to no one else: the
    public list and other users' portfolios do not change. Codes are created in sorted order
    (two imports creating the same codes wait for each other rather than deadlock). Three
    queries, plus one insert per new code."""
    wanted = list(dict.fromkeys(code.strip().lower() for code in codes))
    rows: dict[str, Currency] = {c.code: c for c in Currency.objects.filter(code__in=wanted)}
    seen = set(_visible(user).filter(code__in=list(rows)).values_list("code", flat=True))
    for code in sorted(set(wanted) - set(rows)):
        rows[code], _ = Currency.objects.get_or_create(
            code=code,
            defaults={
                "title": code.upper(),
                "is_cryptocurrency": True,
                "decimals": 18,
                "source": source,
                "listed": False,
            },
        )
    unlisted = [rows[code] for code in wanted if not rows[code].listed and code not in seen]
    if unlisted:
        Currency.known_to.through.objects.bulk_create(
            [Currency.known_to.through(currency_id=c.pk, user_id=user.pk) for c in unlisted],
            ignore_conflicts=True,  # the same user's two imports at once
        )
    return StatementCodes(
        ids={code: rows[code].pk for code in wanted},
        new=[code for code in wanted if code not in seen],
    )


def _visible(user: User) -> QuerySet[Currency]:
    return Currency.objects.filter(visible_to(user))


@transaction.atomic
def currency_list_publicly(*, currencies: Iterable[Currency]) -> int:
    """The operator's "list publicly": the codes join ``/api/currencies`` and every user may
    use them. Returns how many were not listed before."""
    return Currency.objects.filter(pk__in=[c.pk for c in currencies], listed=False).update(
        listed=True, updated_at=timezone.now()
    )
