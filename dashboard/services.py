"""Writes the dashboard needs that the apps' own services do not offer (yet)."""

from __future__ import annotations

from django.db import transaction
from oauth2_provider.models import AccessToken, Application, Grant, RefreshToken

from core.exceptions import NotFound
from users.models import User


@transaction.atomic
def connected_app_revoke(*, user: User, application_id: int | str) -> Application:
    """Withdraw everything the user granted one application: its refresh tokens are revoked
    (which deletes their access tokens), any other access tokens and unused authorization codes
    are deleted. Other users' tokens for the same application are untouched. NotFound when
    the user has granted that application nothing."""
    try:
        pk = int(application_id)
    except (TypeError, ValueError):
        raise NotFound("no such connected application")
    application = Application.objects.filter(pk=pk).first()
    refresh_tokens = RefreshToken.objects.filter(user=user, application_id=pk, revoked__isnull=True)
    access_tokens = AccessToken.objects.filter(user=user, application_id=pk)
    grants = Grant.objects.filter(user=user, application_id=pk)
    if application is None or not (
        refresh_tokens.exists() or access_tokens.exists() or grants.exists()
    ):
        raise NotFound("no such connected application")
    for refresh in refresh_tokens.select_for_update():
        refresh.revoke()
    access_tokens.delete()
    grants.delete()
    return application
