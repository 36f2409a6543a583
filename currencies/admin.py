from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from currencies.models import Currency
from currencies.services import currency_list_publicly


@admin.register(Currency)
class CurrencyAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "title",
        "listed",
        "is_fiat",
        "is_cryptocurrency",
        "is_ethereum_token",
        "decimals",
        "coingecko_id",
        "source",
    ]
    list_filter = ["listed", "is_fiat", "is_cryptocurrency", "is_ethereum_token", "source"]
    search_fields = ["code", "title", "ethereum_contract_address", "coingecko_id"]
    raw_id_fields = ["known_to"]
    actions = ["list_publicly"]

    @admin.action(description="List publicly (in /api/currencies, usable by every user)")
    def list_publicly(self, request: HttpRequest, queryset: QuerySet[Currency]) -> None:
        listed = currency_list_publicly(currencies=queryset)
        self.message_user(
            request,
            f"{listed} currenc{'y' if listed == 1 else 'ies'} listed publicly.",
            messages.SUCCESS,
        )
