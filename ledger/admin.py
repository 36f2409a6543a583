"""Admin for the ledger. Its tables grow with every statement and address history, so lists
never count all rows (``show_full_result_count = False``), load their foreign keys in the same
query and use raw id inputs instead of dropdowns of every row."""

from django.contrib import admin

from ledger.models import LedgerEntry, Transfer, Wallet, WalletHolding


class WalletHoldingInline(admin.TabularInline):
    model = WalletHolding
    extra = 0
    can_delete = False
    fields = readonly_fields = ("asset", "quantity", "as_of", "updated_at")

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # computed from the rows (ledger.holdings)


@admin.register(Wallet)
class WalletAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "portfolio", "owner", "address", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "portfolio__title", "portfolio__user__email", "address__address"]
    list_select_related = ["portfolio__user", "address"]
    raw_id_fields = ["portfolio", "address"]
    show_full_result_count = False
    inlines = [WalletHoldingInline]

    @admin.display(ordering="portfolio__user__email")
    def owner(self, obj):
        return obj.portfolio.user


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "occurred_at",
        "kind",
        "asset",
        "quantity",
        "value",
        "value_currency",
        "value_source",
        "wallet",
        "portfolio",
        "user_modified",
    ]
    list_filter = ["kind", "wallet__kind", "value_source", "user_modified", "migration"]
    search_fields = ["=external_id", "=reference"]
    list_select_related = ["asset", "value_currency", "wallet", "portfolio"]
    raw_id_fields = [
        "portfolio",
        "wallet",
        "asset",
        "value_currency",
        "fee_asset",
        "pair",
        "source_import",
        "source_address_txn",
    ]
    readonly_fields = ["created_at", "updated_at"]
    show_full_result_count = False
    ordering = ["-occurred_at", "-id"]


@admin.register(Transfer)
class TransferAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "status",
        "matched_by",
        "out_entry",
        "in_entry",
        "fee_quantity",
        "portfolio",
        "decided_at",
        "created_at",
    ]
    list_filter = ["status", "matched_by"]
    search_fields = ["=out_entry__reference", "=in_entry__reference"]
    list_select_related = ["out_entry__asset", "in_entry__asset", "portfolio"]
    raw_id_fields = ["portfolio", "out_entry", "in_entry"]
    readonly_fields = ["out_kind_before", "in_kind_before", "created_at", "updated_at"]
    show_full_result_count = False
