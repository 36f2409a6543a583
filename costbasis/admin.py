"""Admin for the stored cost basis. Lots, disposals, income and flags are derived from the
ledger, so they are shown read-only; their lists never count all rows and load their foreign
keys in the same query. Settings and builds have a "rebuild now" action, which enqueues a
rebuild from scratch (costbasis.services)."""

from django.contrib import admin

from costbasis.models import (
    CostBasisBuild,
    CostBasisFlag,
    CostBasisSettings,
    Disposal,
    DisposalLot,
    IncomeRecord,
    Lot,
)


@admin.action(description="Rebuild now (from scratch, in the background)")
def rebuild_now(modeladmin, request, queryset):
    from costbasis.services import costbasis_rebuild

    requests = [
        costbasis_rebuild(row.portfolio, force=True) for row in queryset.select_related("portfolio")
    ]
    merged = sum(r.merged for r in requests)
    modeladmin.message_user(
        request,
        f"{len(requests)} rebuild(s) from scratch asked for ({len(requests) - merged} enqueued, "
        f"{merged} joined one already queued).",
    )


class DerivedAdmin(admin.ModelAdmin):
    """Rows a rebuild recomputes: viewable, never edited by hand."""

    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CostBasisSettings)
class CostBasisSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "portfolio",
        "method",
        "pooling",
        "method_changes",
        "unclassified_out_to_elsewhere",
        "updated_at",
    ]
    list_filter = ["method", "pooling"]
    search_fields = ["portfolio__title", "portfolio__user__email"]
    list_select_related = ["portfolio"]
    raw_id_fields = ["portfolio"]
    readonly_fields = ["created_at", "updated_at"]
    actions = [rebuild_now]


@admin.register(CostBasisBuild)
class CostBasisBuildAdmin(DerivedAdmin):
    list_display = [
        "portfolio",
        "status",
        "mode",
        "reason",
        "currency",
        "entries_processed",
        "duration",
        "built_at",
        "attempted_at",
    ]
    list_filter = ["status", "mode"]
    search_fields = ["portfolio__title", "portfolio__user__email"]
    list_select_related = ["portfolio", "currency"]
    exclude = ["state"]  # the engine's snapshot: large and only the engine's business
    actions = [rebuild_now]


@admin.register(Lot)
class LotAdmin(DerivedAdmin):
    list_display = [
        "id",
        "portfolio",
        "asset",
        "pool",
        "wallet",
        "source_entry_id",
        "acquired_at",
        "original_quantity",
        "remaining_quantity",
        "cost",
        "remaining_cost",
        "estimated",
    ]
    list_filter = ["estimated"]
    list_select_related = ["portfolio", "asset", "wallet"]
    search_fields = ["=portfolio__id", "=source_entry__id"]
    ordering = ["portfolio", "asset", "acquired_at"]


class DisposalLotInline(admin.TabularInline):
    model = DisposalLot
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "position",
        "source_entry_id",
        "acquired_at",
        "quantity",
        "cost",
        "proceeds",
        "gain",
        "long_term",
    )

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Disposal)
class DisposalAdmin(DerivedAdmin):
    list_display = [
        "id",
        "portfolio",
        "entry_id",
        "at",
        "kind",
        "asset",
        "pool",
        "method",
        "quantity",
        "proceeds",
        "cost",
        "gain",
        "missing_quantity",
    ]
    list_filter = ["method", "kind"]
    list_select_related = ["portfolio", "asset"]
    search_fields = ["=portfolio__id", "=entry__id"]
    ordering = ["-at", "-id"]
    inlines = [DisposalLotInline]


@admin.register(IncomeRecord)
class IncomeRecordAdmin(DerivedAdmin):
    list_display = ["id", "portfolio", "entry_id", "at", "asset", "quantity", "value"]
    list_filter = ["year"]
    list_select_related = ["portfolio", "asset"]
    search_fields = ["=portfolio__id", "=entry__id"]
    ordering = ["-at", "-id"]


@admin.register(CostBasisFlag)
class CostBasisFlagAdmin(DerivedAdmin):
    list_display = ["id", "portfolio", "entry_id", "code", "quantity"]
    list_filter = ["code"]
    list_select_related = ["portfolio"]
    search_fields = ["=portfolio__id", "=entry__id"]
    ordering = ["portfolio", "entry"]
