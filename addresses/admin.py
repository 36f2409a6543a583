from django.contrib import admin

from addresses.models import Address


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    list_display = ["address", "title", "currency", "portfolio", "owner", "valid", "txns_last_updated"]
    list_filter = ["valid", "currency"]
    search_fields = ["address", "title", "portfolio__title", "portfolio__user__email"]
    list_select_related = ["currency", "portfolio__user"]
    raw_id_fields = ["portfolio"]
    autocomplete_fields = ["currency"]

    @admin.display(ordering="portfolio__user__email")
    def owner(self, obj):
        return obj.portfolio.user
