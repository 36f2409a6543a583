"""Accounts in the admin: never a credential (the field is not on any page), with the fetch
state and failures an operator needs."""

from django.contrib import admin, messages

from accounts.models import Account, AccountBalance, AccountFetchState
from portfolios.admin import register_portfolio_inline


class AccountInline(admin.TabularInline):
    model = Account
    extra = 0
    fields = ["title", "exchange", "valid", "last_updated"]
    readonly_fields = ["title", "exchange", "valid", "last_updated"]
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # credentials are entered by their owner on the dashboard or the API


register_portfolio_inline(AccountInline)


class FetchStateInline(admin.StackedInline):
    model = AccountFetchState
    can_delete = False
    extra = 0
    readonly_fields = [
        "balances_fetched_at",
        "cursors",
        "history_complete",
        "last_attempt_at",
        "last_duration_seconds",
        "requests",
        "backfill",
        "error",
        "error_at",
        "failures",
        "next_retry_at",
    ]


class BalanceInline(admin.TabularInline):
    model = AccountBalance
    extra = 0
    readonly_fields = ["currency", "balance", "free", "used", "source", "updated_at"]
    can_delete = False


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["__str__", "exchange", "portfolio", "valid", "last_updated"]
    list_filter = ["exchange", "valid"]
    search_fields = ["title", "exchange", "portfolio__title", "portfolio__user__email"]
    # ``credentials`` is left out of every form and list: the admin never shows a secret.
    fields = [
        "portfolio",
        "title",
        "exchange",
        "valid",
        "invalid_reason",
        "warning",
        "source",
        "last_updated",
        "txns_last_updated",
        "history_last_updated",
        "ledger_wallet",
    ]
    readonly_fields = [
        "portfolio",
        "exchange",
        "invalid_reason",
        "warning",
        "last_updated",
        "txns_last_updated",
        "history_last_updated",
        "ledger_wallet",
    ]
    inlines = [FetchStateInline, BalanceInline]
    actions = ["fetch_now", "backfill_from_start"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Fetch the selected accounts now")
    def fetch_now(self, request, queryset) -> None:
        from accounts.tasks import account_fetch_enqueue

        queued = sum(account_fetch_enqueue(pk) for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, f"{queued} fetch(es) enqueued", messages.SUCCESS)

    @admin.action(description="Backfill: read the selected accounts' whole history again")
    def backfill_from_start(self, request, queryset) -> None:
        from accounts.services import account_backfill
        from core.exceptions import ValidationFailed

        started = 0
        for account in queryset:
            try:
                account_backfill(account=account, since=None, dry_run=False)
                started += 1
            except ValidationFailed as exc:
                self.message_user(request, f"{account}: {exc}", messages.WARNING)
        self.message_user(request, f"{started} backfill(s) started", messages.SUCCESS)
