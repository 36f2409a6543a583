from django.core.management.base import BaseCommand

from currencies.services import currencies_sync_from_data_file


class Command(BaseCommand):
    help = "Insert or update the currencies of currencies/data/currencies.json (idempotent)."

    def handle(self, *args, **options):
        created, updated = currencies_sync_from_data_file()
        self.stdout.write(self.style.SUCCESS(f"currencies: {created} added, {updated} updated"))
