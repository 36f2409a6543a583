from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet

from core.exceptions import ValidationFailed
from portfolios.models import Portfolio, PortfolioCurrency, PortfolioTarget
from portfolios.targets import target_fractions


class ReportingCurrencyInline(admin.TabularInline):
    model = PortfolioCurrency
    extra = 0
    autocomplete_fields = ["currency"]


class TargetFormSet(BaseInlineFormSet):
    """The targets kept must sum to exactly 1 (or be none), as through the API."""

    def clean(self):
        super().clean()
        kept = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or data.get("currency") is None:
                continue
            code = data["currency"].code
            kept[code if code not in kept else f"{code} "] = data.get("fraction")
        try:
            target_fractions(kept)
        except ValidationFailed as exc:
            raise ValidationError(exc.problems)


class TargetInline(admin.TabularInline):
    model = PortfolioTarget
    formset = TargetFormSet
    extra = 0
    autocomplete_fields = ["currency"]
    verbose_name = "target allocation"


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
        "status",
        "is_default",
        "is_active",
        "n_addresses",
        "n_offsets",
        "balances_last_updated",
        "created_at",
    ]
    list_filter = ["source", "status", "risk_tolerance", "is_active", "is_default"]
    readonly_fields = ["uuid"]
    search_fields = ["title", "user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]

    def get_inlines(self, request, obj):
        return [ReportingCurrencyInline, TargetInline, *portfolio_inlines]

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
