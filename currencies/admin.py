from django.contrib import admin

from currencies.models import Currency


@admin.register(Currency)
class CurrencyAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "title",
        "is_fiat",
        "is_cryptocurrency",
        "is_ethereum_token",
        "decimals",
        "coingecko_id",
        "source",
    ]
    list_filter = ["is_fiat", "is_cryptocurrency", "is_ethereum_token", "source"]
    search_fields = ["code", "title", "ethereum_contract_address", "coingecko_id"]
