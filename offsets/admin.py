from django.contrib import admin

from offsets.models import Offset, OffsetBalance
from portfolios.admin import register_portfolio_inline


class OffsetInline(admin.TabularInline):
    """The portfolio's offsets on its admin page."""

    model = Offset
    extra = 0
    fields = ["title", "source"]
    show_change_link = True


register_portfolio_inline(OffsetInline)


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
