"""Re-encrypt every exchange account's credentials under the newest key of FERNET_KEYS."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.crypto import CredentialsUnreadable, rotate_token
from accounts.models import Account


class Command(BaseCommand):
    help = (
        "Re-encrypt every exchange account's credentials under the newest key of FERNET_KEYS "
        "(the first). Afterwards the older keys can be removed from FERNET_KEYS."
    )

    def handle(self, *args, **options) -> None:
        rotated = 0
        unreadable: list[int] = []
        with transaction.atomic():
            for account in Account.objects.select_for_update().only("pk", "credentials"):
                try:
                    token = rotate_token(account.credentials)
                except CredentialsUnreadable:
                    unreadable.append(account.pk)
                    continue
                Account.objects.filter(pk=account.pk).update(credentials=token)
                rotated += 1
            if unreadable:
                raise CommandError(
                    f"{len(unreadable)} account(s) cannot be decrypted with any key of FERNET_KEYS "
                    f"(ids {', '.join(map(str, unreadable))}); nothing was changed. Put the key "
                    "they were encrypted with back into FERNET_KEYS and run this again."
                )
        self.stdout.write(f"re-encrypted the credentials of {rotated} account(s)")
