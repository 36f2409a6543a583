from django.contrib import admin, messages

from addresses.models import Address, AddressBalance, AddressFetchState, AddressTransaction
from portfolios.admin import register_portfolio_inline


class AddressInline(admin.TabularInline):
    """The portfolio's addresses on its admin page."""

    model = Address
    extra = 0
    fields = ["title", "address", "currency", "valid", "txns_last_updated"]
    readonly_fields = ["txns_last_updated"]
    autocomplete_fields = ["currency"]
    show_change_link = True


register_portfolio_inline(AddressInline)


def reconciliation_words(state: AddressFetchState) -> str:
    """Whether the stored history accounts for the balance, for the fetch-state pages."""
    if state.history_balance is None:
        return "Not checked: the history is not complete yet."
    return state.discrepancy_sentence() or "The history accounts for the whole balance."


class FetchStateInline(admin.StackedInline):
    model = AddressFetchState
    can_delete = False
    extra = 0
    readonly_fields = [
        "balances_fetched_at",
        "last_attempt_at",
        "last_duration_seconds",
        "error",
        "error_at",
        "failures",
        "next_retry_at",
        "history_complete",
        "sync_cursor",
        "history_balance",
        "unexplained",
        "discrepancy",
    ]

    @admin.display(description="history and balance")
    def discrepancy(self, obj):
        return reconciliation_words(obj)


class BalanceInline(admin.TabularInline):
    model = AddressBalance
    extra = 0
    readonly_fields = [
        "currency",
        "balance",
        "transactions",
        "sent",
        "received",
        "source",
        "updated_at",
    ]
    can_delete = False


def enqueue_fetches(modeladmin, request, address_ids) -> None:
    """Enqueue a fetch of each address (the admin's "refresh now"), saying what was queued."""
    from addresses.tasks import address_fetch_enqueue

    queued = sum(address_fetch_enqueue(pk) for pk in address_ids)
    modeladmin.message_user(
        request, f"{queued} fetch(es) enqueued; others were already queued.", messages.SUCCESS
    )


@admin.action(description="Refresh now (fetch balance and transactions)")
def refresh_now(modeladmin, request, queryset):
    enqueue_fetches(modeladmin, request, queryset.values_list("pk", flat=True))


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    list_display = [
        "address",
        "title",
        "currency",
        "portfolio",
        "owner",
        "valid",
        "fetched",
        "failures",
        "fetch_error",
        "unexplained",
    ]
    list_filter = ["valid", "currency"]
    search_fields = ["address", "title", "portfolio__title", "portfolio__user__email"]
    list_select_related = ["currency", "portfolio__user", "fetch_state"]
    raw_id_fields = ["portfolio"]
    autocomplete_fields = ["currency"]
    inlines = [FetchStateInline, BalanceInline]
    actions = [refresh_now]

    @admin.display(ordering="portfolio__user__email")
    def owner(self, obj):
        return obj.portfolio.user

    @admin.display(ordering="fetch_state__balances_fetched_at", description="last fetched")
    def fetched(self, obj):
        state = getattr(obj, "fetch_state", None)
        return state.balances_fetched_at if state else None

    @admin.display(ordering="fetch_state__failures")
    def failures(self, obj):
        state = getattr(obj, "fetch_state", None)
        return state.failures if state else 0

    @admin.display(ordering="fetch_state__unexplained", description="unexplained balance")
    def unexplained(self, obj):
        state = getattr(obj, "fetch_state", None)
        return state.unexplained if state else None

    @admin.display(description="last error")
    def fetch_error(self, obj):
        state = getattr(obj, "fetch_state", None)
        return (
            (state.error[:80] + ("…" if len(state.error) > 80 else ""))
            if state and state.error
            else ""
        )


@admin.register(AddressTransaction)
class AddressTransactionAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "address",
        "currency",
        "delta",
        "fee",
        "txn_at",
        "confirmed",
        "source",
    ]
    list_filter = ["confirmed", "source", "currency"]
    search_fields = ["reference", "address__address"]
    list_select_related = ["address", "currency"]
    raw_id_fields = ["address"]
    date_hierarchy = "txn_at"
    show_full_result_count = False
