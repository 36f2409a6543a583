from django.contrib import admin

from core.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Tasks waiting for the broker (see docs/operations.md, "When Redis is down"): read only;
    the relay sends and deletes them."""

    list_display = ("id", "task", "attempts", "next_attempt_at", "last_error", "created_at")
    list_filter = ("task",)
    readonly_fields = (
        "task",
        "args",
        "kwargs",
        "headers",
        "created_at",
        "next_attempt_at",
        "attempts",
        "last_error",
        "last_attempt_at",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
