"""Reads of a user's own things: the OAuth2 applications they authorized or registered, and
their API keys. Always filtered by the user."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import F, QuerySet
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, RefreshToken

from core.scopes import SCOPES
from users.models import ApiKey, User


@dataclass
class ConnectedApp:
    """An OAuth2 application holding live tokens for the user."""

    application: Application
    scopes: list[tuple[str, str]] = field(default_factory=list)  # (name, plain-words description)
    first_authorized: datetime | None = None
    last_active: datetime | None = None
    tokens: int = 0

    @property
    def refreshed_later(self) -> bool:
        """Whether a token was issued well after the first one (a refresh, a new consent)."""
        if self.first_authorized is None or self.last_active is None:
            return False
        return (self.last_active - self.first_authorized).total_seconds() > 60


def connected_apps(*, user: User) -> list[ConnectedApp]:
    """Applications with an unexpired access token or an unrevoked refresh token of the user,
    with the union of the scopes granted, by application name. Two queries."""
    now = timezone.now()
    apps: dict[int, ConnectedApp] = {}
    scopes: dict[int, set[str]] = {}

    def note(application: Application, created: datetime, scope: str) -> ConnectedApp:
        app = apps.setdefault(application.pk, ConnectedApp(application=application))
        scopes.setdefault(application.pk, set()).update(scope.split())
        app.tokens += 1
        app.first_authorized = min(filter(None, [app.first_authorized, created]))
        app.last_active = max(filter(None, [app.last_active, created]))
        return app

    access_tokens = AccessToken.objects.filter(
        user=user, application__isnull=False, expires__gt=now
    ).select_related("application")
    for token in access_tokens:
        note(token.application, token.created, token.scope)
    refresh_tokens = RefreshToken.objects.filter(
        user=user, application__isnull=False, revoked__isnull=True
    ).select_related("application", "access_token")
    for refresh in refresh_tokens:
        scope = refresh.access_token.scope if refresh.access_token else ""
        note(refresh.application, refresh.created, scope)

    order = list(SCOPES)
    for app_id, app in apps.items():
        names = sorted(scopes[app_id], key=lambda s: order.index(s) if s in order else len(order))
        app.scopes = [(name, SCOPES.get(name, name)) for name in names]
    return sorted(apps.values(), key=lambda a: (a.application.name.lower(), a.application.pk))


def developer_applications(*, user: User) -> QuerySet[Application]:
    return Application.objects.filter(user=user).order_by("name", "id")


def api_key_list(*, user: User) -> QuerySet[ApiKey]:
    """The user's API keys, active ones first, newest first."""
    return ApiKey.objects.filter(user=user).order_by(
        F("revoked_at").desc(nulls_first=True), "-created_at", "-id"
    )
