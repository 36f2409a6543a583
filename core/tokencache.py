"""Validated bearer tokens, kept in the shared cache so that a request does not pay for
django-oauth-toolkit's check (a query and oauthlib's request machinery) every time.

An entry is keyed by the token's SHA-256 checksum (the ``token_checksum`` column
django-oauth-toolkit stores: the raw token is neither a key nor a value) and holds what a
request needs: the token row's id, its user id, application id, scopes and expiry. It lives at
most ``TOKEN_CACHE_SECONDS`` and never past the token's own expiry; a hit whose expiry has
passed is dropped and the request goes through the full check (which refuses it).

Only when the cache is Redis (``enabled``); on the database cache alone every request takes
the full check. Invalidation is by signal, so it reaches every process through the shared cache:

- an ``AccessToken`` saved (an admin edit of its scopes or expiry, a new token) or deleted
  (``/oauth/revoke_token``, refresh-token rotation, token family revocation, the admin, the
  user or the application deleted: every one of them deletes the row, and a queryset delete
  sends ``post_delete`` for each row while a receiver is connected) drops its entry, at once
  and again when the transaction commits;
- an ``Application`` saved drops the entries of all its tokens.

The entry holds the user's row as well (every column but the password hash, which the user
instance leaves deferred: read from the database only if something asks for it, and a ``save()``
of such an instance writes only the columns it holds), so a hit costs no query at all. Saving a
user (an edit, a deactivation, a sign-in's ``last_login``) drops the entries of all their tokens;
a deleted user's tokens are deleted with it (see above). Only an active user is accepted on a hit.

A miss that races with a revocation cannot bring a revoked token back: the entry is written
first and the row is read again afterwards; the revocation deletes the row and then (on commit)
the entry, so either the second read sees the row gone and the entry is dropped, or the write
came before the revocation's delete. While this process answers from the database cache table
(Redis failed lately, see ``core/cache.py``) the token cache is not read: every request takes
the full check. Deletes go to the Redis side and to the table. A cache that fails outright
(a plain Redis cache with Redis down) is a miss: the request takes the full check, and a delete
that fails is logged (nobody can read the entry while it fails; should Redis come back with it,
it lives at most ``TOKEN_CACHE_SECONDS``).

Changes made with a queryset ``update()`` on ``AccessToken`` or on users send no signal: revoke
by deleting, as django-oauth-toolkit does, and change users with ``save()``.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model

from core.cache import REDIS_ERRORS, FallbackCache, cache_degraded

logger = logging.getLogger(__name__)

KEY_PREFIX = "oauth-token:"


def checksum(token: str) -> str:
    """The token's SHA-256, as django-oauth-toolkit's ``token_checksum`` column holds it."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _key(token_checksum: str) -> str:
    return KEY_PREFIX + token_checksum


@dataclass(frozen=True)
class CachedToken:
    id: int
    user_id: int
    application_id: int | None
    scope: str
    expires: datetime
    user: dict[str, Any]  # the user's columns (attnames) but the password hash


def _user_fields() -> list[str]:
    """The user columns an entry holds: every concrete one but the password hash."""
    return [f.attname for f in get_user_model()._meta.concrete_fields if f.attname != "password"]


def _user_values(user: Any) -> dict[str, Any]:
    return {name: getattr(user, name) for name in _user_fields()}


def cached_user(entry: CachedToken) -> Any:
    """The user of a cached token, as a model instance built from the entry (no query); its
    password hash is deferred."""
    model = get_user_model()
    return model.from_db("default", list(entry.user), list(entry.user.values()))


def enabled() -> bool:
    """Only on Redis (the production cache, with or without its database fallback): on the
    database cache table alone a lookup costs as many queries as the check it saves, and a
    per-process cache could not be invalidated across processes."""
    return isinstance(caches["default"], RedisCache | FallbackCache)


def lookup(token: str) -> CachedToken | None:
    """The cached validation of ``token``, or None (not cached, expired, the cache is not Redis,
    or it is on its database fallback in this process)."""
    if not enabled() or cache_degraded():
        return None
    try:
        value = cache.get(_key(checksum(token)))
    except REDIS_ERRORS:
        return None
    if not isinstance(value, dict) or set(value.get("user") or ()) != set(_user_fields()):
        return None  # not cached, or an entry of an older layout: the full check
    entry = CachedToken(
        id=value["id"],
        user_id=value["user_id"],
        application_id=value["application_id"],
        scope=value["scope"],
        expires=datetime.fromtimestamp(value["expires"], tz=UTC),
        user=value["user"],
    )
    if entry.expires <= timezone.now():
        forget(checksum(token))
        return None
    return entry


def remember(access_token: Any) -> None:
    """Keep a token django-oauth-toolkit has just accepted, then read its row again: a
    revocation between the two drops the entry (see the module's docstring)."""
    if not enabled() or cache_degraded() or access_token.resource:
        # Resource-restricted tokens are checked against each request's URI: not cached.
        return
    remaining = (access_token.expires - timezone.now()).total_seconds()
    timeout = int(min(remaining, settings.TOKEN_CACHE_SECONDS))
    if timeout <= 0:
        return
    token_checksum = access_token.token_checksum or checksum(access_token.token)
    user = _user_values(access_token.user)
    value = {
        "id": access_token.pk,
        "user_id": access_token.user_id,
        "application_id": access_token.application_id,
        "scope": access_token.scope,
        "expires": access_token.expires.timestamp(),
        "user": user,
    }
    try:
        cache.set(_key(token_checksum), value, timeout)
    except REDIS_ERRORS:
        return
    # The token row and its user's row again, in one query: a revocation or a user saved since
    # the check drops the entry.
    model = get_access_token_model()
    user_columns = {f"user__{name}": name for name in user}
    current = model.objects.filter(pk=access_token.pk).values("scope", "expires", *user_columns)
    row = current.first()
    expected = {"scope": access_token.scope, "expires": access_token.expires}
    if (
        row is None
        or {k: row[k] for k in expected} != expected
        or {name: row[column] for column, name in user_columns.items()} != user
    ):
        forget(token_checksum)


def as_access_token(entry: CachedToken, token: str, user: Any) -> Any:
    """An ``AccessToken`` instance standing for the cached row (``request.auth``), not saved."""
    model = get_access_token_model()
    return model(
        id=entry.id,
        user=user,
        application_id=entry.application_id,
        scope=entry.scope,
        expires=entry.expires,
        token=token,
        token_checksum=checksum(token),
    )


def forget(token_checksum: str) -> None:
    """Drop one entry from Redis and from the database table behind it."""
    _delete([_key(token_checksum)])


def _delete(keys: list[str]) -> None:
    if not enabled():
        return
    try:
        cache.delete_many(keys)
    except REDIS_ERRORS as exc:
        logger.warning("token cache: could not drop %d entries (%s)", len(keys), exc)
    fallback = getattr(cache, "fallback", None)
    if fallback is not None:
        fallback.delete_many(keys)


def forget_many(checksums: list[str]) -> None:
    if checksums:
        _delete([_key(c) for c in checksums])


def _forget_now_and_on_commit(token_checksum: str) -> None:
    forget(token_checksum)
    transaction.on_commit(lambda: forget(token_checksum))


def _on_access_token_change(sender, instance, **kwargs) -> None:
    token_checksum = instance.token_checksum or (instance.token and checksum(instance.token))
    if token_checksum:
        _forget_now_and_on_commit(token_checksum)


def _forget_tokens_of(**owner: int) -> None:
    """Drop the entries of every token of one application or one user, now and at commit."""
    if not enabled():
        return
    model = get_access_token_model()
    checksums = list(model.objects.filter(**owner).values_list("token_checksum", flat=True))
    forget_many(checksums)
    transaction.on_commit(lambda: forget_many(checksums))


def _on_application_save(sender, instance, created=False, **kwargs) -> None:
    if not created:
        _forget_tokens_of(application_id=instance.pk)


def _on_user_save(sender, instance, created=False, **kwargs) -> None:
    if not created:
        _forget_tokens_of(user_id=instance.pk)


def connect_signals() -> None:
    post_save.connect(_on_user_save, sender=get_user_model(), dispatch_uid="tokencache-user")
    access_token = get_access_token_model()
    post_save.connect(_on_access_token_change, sender=access_token, dispatch_uid="tokencache-s")
    post_delete.connect(_on_access_token_change, sender=access_token, dispatch_uid="tokencache-d")
    post_save.connect(
        _on_application_save, sender=get_application_model(), dispatch_uid="tokencache-app"
    )
