from __future__ import annotations

import uuid
from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

from core.models import TimeStampedModel
from users.timezones import DEFAULT_TIME_ZONE, validate_time_zone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields) -> User:
        if not email:
            raise ValueError("an email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields["is_staff"] = True
        fields["is_superuser"] = True
        return self._create(email, password, **fields)

    def get_by_natural_key(self, username):
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Email is the login; ``allow_remote_login`` lets OAuth2 apps use the password
    grant with this user's credentials (off by default; an operator turns it on).
    ``tax_time_zone`` is changed through ``costbasis.services.costbasis_settings_update``,
    which rebuilds the cost basis of every portfolio of the user's."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150, blank=True)
    allow_remote_login = models.BooleanField(
        default=False,
        help_text="Allow OAuth2 applications to sign in with this user's password (password grant).",
    )
    tax_time_zone = models.CharField(
        max_length=64,
        default=DEFAULT_TIME_ZONE,
        validators=[validate_time_zone],
        help_text="IANA time zone (e.g. America/New_York) whose calendar dates decide holding "
        "periods and tax years in the cost basis.",
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # The v1 surface's ``user_id``: stable, distinct from the integer primary key.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name or self.email


class ApiKey(TimeStampedModel):
    """A personal API key: read-only (read and/or info scope), GET only. Only a hash of the
    secret is stored; the key is shown once when created."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.CharField(max_length=50, default="read")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    @property
    def is_api_key(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
