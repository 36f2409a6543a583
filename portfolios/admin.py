from django.contrib import admin
from django.db.models import Count

from addresses.models import Address
from offsets.models import Offset
from portfolios.models import Portfolio, PortfolioCurrency


class ReportingCurrencyInline(admin.TabularInline):
    model = PortfolioCurrency
    extra = 0
    autocomplete_fields = ["currency"]


class AddressInline(admin.TabularInline):
    model = Address
    extra = 0
    fields = ["title", "address", "currency", "valid", "txns_last_updated"]
    readonly_fields = ["txns_last_updated"]
    autocomplete_fields = ["currency"]
    show_change_link = True


class OffsetInline(admin.TabularInline):
    model = Offset
    extra = 0
    fields = ["title", "source"]
    show_change_link = True


@admin.action(description="Refresh now (every address and the prices)")
def refresh_now(modeladmin, request, queryset):
    from portfolios.services_refresh import portfolio_refresh

    queued = 0
    for portfolio in queryset:
        queued += len(portfolio_refresh(portfolio=portfolio).addresses)
    modeladmin.message_user(request, f"{queued} address fetch(es) and a price refresh enqueued.")


@admin.register(Portfolio)
class PortfolioAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "user",
        "source",
        "n_addresses",
        "n_offsets",
        "balances_last_updated",
        "created_at",
    ]
    list_filter = ["source"]
    search_fields = ["title", "user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    inlines = [ReportingCurrencyInline, AddressInline, OffsetInline]
    actions = [refresh_now]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _addresses=Count("addresses", distinct=True),
                _offsets=Count("offsets", distinct=True),
            )
        )

    @admin.display(ordering="_addresses", description="addresses")
    def n_addresses(self, obj):
        return obj._addresses

    @admin.display(ordering="_offsets", description="offsets")
    def n_offsets(self, obj):
        return obj._offsets
