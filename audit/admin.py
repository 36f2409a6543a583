"""The audit log in the admin: read-only (no add, change or delete, also for superusers)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditEvent

FIELDS = (
    "created_at",
    "request_id",
    "user",
    "user_label",
    "credential",
    "application",
    "application_label",
    "api_key",
    "api_key_label",
    "ip",
    "method",
    "route",
    "view_name",
    "object_type",
    "object_id",
    "status",
)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "user_label",
        "credential",
        "application_label",
        "api_key_label",
        "method",
        "route",
        "object_type",
        "object_id",
        "status",
        "request_id",
    ]
    list_filter = ["credential", "method", "status", "object_type", "created_at"]
    search_fields = ["=request_id", "user_label", "application_label", "=object_id", "route"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    list_select_related = False
    readonly_fields = FIELDS
    fields = FIELDS

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
