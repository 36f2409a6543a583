"""Admin pages for the dashboard's data that no app registers itself: statement imports (the
ingest app has no admin module) and the addresses' fetch states (shown inline on an address,
but an operator also needs the list of failing fetches). Lists never count all rows and load
their foreign keys in the same query; the actions call the same services as the pages."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Q

from addresses.admin import enqueue_fetches, reconciliation_words
from addresses.models import AddressFetchState
from ledger.models import Import


@admin.action(description="Undo (remove exactly its rows, recompute the wallet's holdings)")
def undo_imports(modeladmin, request, queryset):
    from ingest.services import import_undo

    removed = 0
    for imp in queryset.select_related("wallet"):
        removed += import_undo(imp=imp).rows_removed
    modeladmin.message_user(request, f"{removed} ledger rows removed.", messages.SUCCESS)


@admin.action(description="Run the after-import work again (transfer matching, cost basis)")
def rerun_after_import(modeladmin, request, queryset):
    from ingest.services import after_import
    from portfolios.models import Portfolio

    portfolios = list(Portfolio.objects.filter(pk__in=queryset.values("portfolio_id")))
    for portfolio in portfolios:
        after_import(portfolio)
    modeladmin.message_user(
        request,
        f"Transfers matched and a cost-basis rebuild enqueued for {len(portfolios)} portfolio(s).",
    )


@admin.action(description="Recompute the holdings of their wallets")
def recompute_holdings(modeladmin, request, queryset):
    from ledger.holdings import wallet_holdings_recompute
    from ledger.models import Wallet

    wallets = Wallet.objects.filter(pk__in=queryset.values("wallet_id"))
    for wallet in wallets:
        wallet_holdings_recompute(wallet=wallet)
    modeladmin.message_user(request, f"Holdings of {len(wallets)} wallet(s) recomputed.")


@admin.register(Import)
class ImportAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "file_name",
        "wallet",
        "portfolio",
        "owner",
        "variant",
        "rows_read",
        "rows_added",
        "rows_duplicate",
        "rows_skipped",
        "created_at",
    ]
    list_filter = ["source", "variant"]
    search_fields = ["file_name", "=file_sha256", "user__email", "portfolio__title"]
    list_select_related = ["wallet", "portfolio", "user"]
    raw_id_fields = ["portfolio", "wallet", "user"]
    readonly_fields = [
        "portfolio",
        "wallet",
        "user",
        "source",
        "file_name",
        "file_sha256",
        "variant",
        "rows_read",
        "rows_added",
        "rows_duplicate",
        "rows_skipped",
        "summary",
        "created_at",
        "updated_at",
    ]
    show_full_result_count = False
    ordering = ["-created_at", "-id"]
    date_hierarchy = "created_at"
    actions = [undo_imports, rerun_after_import, recompute_holdings]

    def has_add_permission(self, request) -> bool:
        return False  # imports come from uploads (dashboard, API, manage.py import_statement)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # "Undo" removes the rows and recomputes the holdings; a delete would not

    @admin.display(ordering="user__email")
    def owner(self, obj):
        return obj.user


class FailingFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("failing", "last fetch failed"),
            ("never", "never fetched"),
            ("ok", "fetched, no error"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "failing":
            return queryset.exclude(error="")
        if self.value() == "never":
            return queryset.filter(balances_fetched_at__isnull=True)
        if self.value() == "ok":
            return queryset.filter(Q(error="") & Q(balances_fetched_at__isnull=False))
        return queryset


@admin.action(description="Refresh now (fetch balance and transactions)")
def refresh_now(modeladmin, request, queryset):
    enqueue_fetches(modeladmin, request, queryset.values_list("address_id", flat=True))


@admin.register(AddressFetchState)
class AddressFetchStateAdmin(admin.ModelAdmin):
    list_display = [
        "address",
        "currency",
        "owner",
        "balances_fetched_at",
        "failures",
        "short_error",
        "error_at",
        "next_retry_at",
        "last_duration_seconds",
        "unexplained",
    ]
    list_filter = [FailingFilter, "history_complete"]
    search_fields = ["address__address", "address__title", "address__portfolio__user__email"]
    list_select_related = ["address__currency", "address__portfolio__user"]
    readonly_fields = [
        "address",
        "balances_fetched_at",
        "sync_cursor",
        "history_complete",
        "last_attempt_at",
        "last_duration_seconds",
        "error",
        "error_at",
        "failures",
        "next_retry_at",
        "history_balance",
        "unexplained",
        "discrepancy",
    ]
    show_full_result_count = False
    ordering = ["-error_at", "address"]
    actions = [refresh_now]

    def has_add_permission(self, request) -> bool:
        return False  # written by the fetches

    @admin.display(ordering="address__currency__code")
    def currency(self, obj):
        return obj.address.currency.code

    @admin.display(ordering="address__portfolio__user__email")
    def owner(self, obj):
        return obj.address.portfolio.user

    @admin.display(description="history and balance")
    def discrepancy(self, obj):
        return reconciliation_words(obj)

    @admin.display(description="last error")
    def short_error(self, obj):
        return obj.error[:80] + ("…" if len(obj.error) > 80 else "")
