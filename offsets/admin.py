from django.contrib import admin

from offsets.models import Offset, OffsetBalance


class OffsetBalanceInline(admin.TabularInline):
    model = OffsetBalance
    extra = 0
    fields = ["currency", "balance", "source"]
    autocomplete_fields = ["currency"]


@admin.register(Offset)
class OffsetAdmin(admin.ModelAdmin):
    list_display = ["title", "portfolio", "owner", "source", "updated_at"]
    search_fields = ["title", "portfolio__title", "portfolio__user__email"]
    list_select_related = ["portfolio__user"]
    raw_id_fields = ["portfolio"]
    inlines = [OffsetBalanceInline]

    @admin.display(ordering="portfolio__user__email")
    def owner(self, obj):
        return obj.portfolio.user
