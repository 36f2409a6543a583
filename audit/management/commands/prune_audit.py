"""Delete audit rows older than AUDIT_RETENTION_DAYS (or ``--days``), in batches."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from audit.models import AuditEvent

BATCH = 5000


class Command(BaseCommand):
    help = "Delete audit log rows older than AUDIT_RETENTION_DAYS days (or --days)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args, **options):
        days = options["days"] if options["days"] is not None else settings.AUDIT_RETENTION_DAYS
        if days < 1:
            raise CommandError("--days must be at least 1")
        cutoff = timezone.now() - timedelta(days=days)
        removed = 0
        while True:
            ids = list(
                AuditEvent.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[
                    :BATCH
                ]
            )
            if not ids:
                break
            removed += AuditEvent.objects.filter(pk__in=ids).delete()[0]
        self.stdout.write(f"{removed} audit rows older than {days} days deleted.")
