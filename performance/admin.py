"""Admin for the value series: derived from the ledger and the prices, so read-only. A state
can be deleted with the "rebuild" action: the next update then builds the series from scratch."""

from django.contrib import admin

from performance.models import SeriesState, ValuePoint


@admin.action(description="Rebuild from scratch (in the background)")
def rebuild(modeladmin, request, queryset):
    from performance.series import series_update_enqueue

    portfolio_ids = list(queryset.values_list("portfolio_id", flat=True))
    queryset.delete()
    for pk in portfolio_ids:
        series_update_enqueue(pk)
    modeladmin.message_user(request, f"{len(portfolio_ids)} series will be rebuilt.")


@admin.register(SeriesState)
class SeriesStateAdmin(admin.ModelAdmin):
    list_display = ("portfolio", "built_at", "first_day", "ledger_rows", "last_full_seconds")
    list_select_related = ("portfolio",)
    actions = [rebuild]
    readonly_fields = [f.name for f in SeriesState._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ValuePoint)
class ValuePointAdmin(admin.ModelAdmin):
    list_display = ("portfolio", "currency", "day", "value", "flow", "unpriced")
    list_filter = ("currency",)
    list_select_related = ("portfolio", "currency")
    show_full_result_count = False
    readonly_fields = [f.name for f in ValuePoint._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
