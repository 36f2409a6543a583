from django.contrib import admin
from django.db.models import Count

from portfolios.models import Portfolio, PortfolioCurrency


class ReportingCurrencyInline(admin.TabularInline):
    model = PortfolioCurrency
    extra = 0
    autocomplete_fields = ["currency"]


# The inlines of the apps that point at Portfolio (addresses, offsets): each registers its own
# from its admin module, as portfolios does not import them (no import cycle between the apps).
portfolio_inlines: list[type[admin.options.InlineModelAdmin]] = []


def register_portfolio_inline(inline: type[admin.options.InlineModelAdmin]) -> None:
    portfolio_inlines.append(inline)


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

    def get_inlines(self, request, obj):
        return [ReportingCurrencyInline, *portfolio_inlines]

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
