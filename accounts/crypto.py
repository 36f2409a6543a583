"""Credentials encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256), keys from the
environment.

``FERNET_KEYS`` is a comma-separated list of Fernet keys, newest first (one key is a list of
one). New secrets are encrypted under the newest key; any key of the list decrypts, so a new key
is rolled out by putting it first, running ``manage.py rotate_account_keys`` (which re-encrypts
every account's credentials under it), and then dropping the old key from the list.

Without ``FERNET_KEYS`` the service refuses to start unless ``DEBUG`` is on (or the test
settings are in use): then a development key derived from ``SECRET_KEY`` is used, which is
stable across restarts of one development setup and good for nothing else.

Nothing here ever puts a secret in an exception's text: a token that no key opens raises
``CredentialsUnreadable`` with a sentence about the keys, not about the token."""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class CredentialsUnreadable(Exception):
    """No key of ``FERNET_KEYS`` decrypts the stored credentials."""


def _development_key() -> bytes:
    digest = hashlib.sha256(f"accounts-dev-fernet:{settings.SECRET_KEY}".encode()).digest()
    return base64.urlsafe_b64encode(digest)


def configured_keys() -> list[bytes]:
    """The keys, newest first."""
    raw = [k.strip() for k in str(getattr(settings, "FERNET_KEYS", "") or "").split(",")]
    keys = [k.encode() for k in raw if k]
    if keys:
        return keys
    if settings.DEBUG or getattr(settings, "FERNET_DEVELOPMENT_KEY_ALLOWED", False):
        return [_development_key()]
    raise ImproperlyConfigured(
        "FERNET_KEYS is not set: exchange-account credentials need at least one Fernet key "
        "(generate one with: python -c 'from cryptography.fernet import Fernet; "
        "print(Fernet.generate_key().decode())')"
    )


@lru_cache(maxsize=8)
def _fernet(keys: tuple[bytes, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError:
        raise ImproperlyConfigured(
            "FERNET_KEYS holds a value that is not a Fernet key (32 url-safe base64 bytes)"
        ) from None


def fernet() -> MultiFernet:
    return _fernet(tuple(configured_keys()))


def encrypt_credentials(credentials: dict[str, str]) -> str:
    """The credentials as one token, under the newest key."""
    return fernet().encrypt(json.dumps(credentials, sort_keys=True).encode()).decode()


def decrypt_credentials(token: str) -> dict[str, str]:
    try:
        data = fernet().decrypt(token.encode())
    except InvalidToken:
        raise CredentialsUnreadable(
            "the stored credentials cannot be decrypted with any key of FERNET_KEYS"
        ) from None
    return dict(json.loads(data))


def rotate_token(token: str) -> str:
    """The same secret under the newest key (``MultiFernet.rotate``)."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise CredentialsUnreadable(
            "the stored credentials cannot be decrypted with any key of FERNET_KEYS"
        ) from None
