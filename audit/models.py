"""The audit log: one row per request that asked to change something (POST, PUT, PATCH,
DELETE) through the API, the dashboard, the sign-in pages or the OAuth2 endpoints, whatever it
was answered. Written by ``audit.middleware.AuditMiddleware``; read-only in the admin.

A row says who (the user, and the OAuth2 application or personal API key the request came
with), what (method, the URL pattern, the object it names), how it ended (status) and when, with
the request id that leads to the log lines. It never holds a request body, a query string or a
raw path (a password-reset link carries its token in the path): nothing secret is stored."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from oauth2_provider.models import Application

from users.models import ApiKey


class AuditEvent(models.Model):
    class Credential(models.TextChoices):
        SESSION = "session", "signed-in session"
        OAUTH = "oauth", "OAuth2 access token"
        API_KEY = "api_key", "personal API key"
        NONE = "none", "none"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    request_id = models.CharField(max_length=64, db_index=True)
    # Who. The foreign keys go null when the user, app or key is deleted; the labels stay.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    user_label = models.CharField(max_length=254, blank=True)
    credential = models.CharField(max_length=10, choices=Credential.choices)
    application = models.ForeignKey(
        Application,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    application_label = models.CharField(max_length=300, blank=True)
    api_key = models.ForeignKey(
        ApiKey,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    api_key_label = models.CharField(max_length=140, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # What.
    method = models.CharField(max_length=10)
    route = models.CharField(max_length=255, blank=True, help_text="the URL pattern, not the path")
    view_name = models.CharField(max_length=120, blank=True)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    # How it ended.
    status = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="audit_user_created"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]

    def __str__(self) -> str:
        target = f" {self.object_type} {self.object_id}" if self.object_type else ""
        who = self.user_label or "anonymous"
        return f"{who} {self.method} {self.route or '?'}{target} → {self.status}"
