"""Writes for users and their personal API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, Grant, RefreshToken

from core.exceptions import NotFound, ValidationFailed
from core.scopes import API_KEY_SCOPES
from users.models import ApiKey, User

KEY_PREFIX = "ctk"


def _hash(secret: str) -> str:
    # The secret is 256 random bits: a plain SHA-256 cannot be brute-forced, and it lets a key
    # be checked in one indexed lookup on every request.
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewApiKey:
    api_key: ApiKey
    key: str  # shown once, never stored


def api_key_create(*, user: User, name: str, scopes: list[str]) -> NewApiKey:
    """Create a key with ``read`` and/or ``info``. The returned ``key`` is the only copy."""
    name = (name or "").strip() or "API key"
    wanted = [s.strip() for s in scopes if s and s.strip()]
    problems = [
        f"scope '{s}' is not allowed for API keys (only {', '.join(API_KEY_SCOPES)})"
        for s in wanted
        if s not in API_KEY_SCOPES
    ]
    if not wanted:
        problems.append("choose at least one scope: read, info")
    if len(name) > 100:
        problems.append("name must be at most 100 characters")
    if problems:
        raise ValidationFailed(problems)
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = f"{KEY_PREFIX}_{prefix}_{secret}"
    api_key = ApiKey.objects.create(
        user=user,
        name=name,
        prefix=prefix,
        key_hash=_hash(key),
        scopes=" ".join(sorted(set(wanted))),
    )
    return NewApiKey(api_key=api_key, key=key)


def api_key_authenticate(*, key: str) -> ApiKey | None:
    """The active key matching ``key``, or None. Constant-time comparison of the hash."""
    parts = key.strip().split("_")
    if len(parts) < 3 or parts[0] != KEY_PREFIX:
        return None
    api_key = (
        ApiKey.objects.select_related("user")
        .filter(prefix=parts[1], revoked_at__isnull=True)
        .first()
    )
    if api_key is None or not api_key.user.is_active:
        return None
    if not hmac.compare_digest(api_key.key_hash, _hash(key.strip())):
        return None
    now = timezone.now()
    if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    return api_key


@transaction.atomic
def api_key_revoke(*, user: User, api_key_id: int) -> ApiKey:
    api_key = ApiKey.objects.filter(user=user, pk=api_key_id, revoked_at__isnull=True).first()
    if api_key is None:
        raise NotFound("no such API key")
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked_at", "updated_at"])
    return api_key


def user_sign_up(*, email: str, password: str, name: str = "") -> User:
    return User.objects.create_user(email=email, password=password, name=name.strip())


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
