from django.contrib import admin

from prices.models import Price, SpotPrice


@admin.register(SpotPrice)
class SpotPriceAdmin(admin.ModelAdmin):
    list_display = ["base", "quote", "price", "at", "source", "fetched_at"]
    list_filter = ["source", "quote"]
    search_fields = ["base__code", "quote__code"]
    list_select_related = ["base", "quote"]


@admin.register(Price)
class PriceAdmin(admin.ModelAdmin):
    list_display = ["base", "quote", "at", "price", "kind", "source"]
    list_filter = ["kind", "quote"]
    search_fields = ["base__code", "quote__code", "source"]
    list_select_related = ["base", "quote"]
    date_hierarchy = "at"
    show_full_result_count = False
