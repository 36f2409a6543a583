from django.db import models


class TimeStampedModel(models.Model):
    """created_at / updated_at on every model."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def char_max_length(model: type[models.Model], name: str) -> int:
    """The ``max_length`` of a model's text field, for the checks and sentences that refuse a
    too long value before anything is saved (one source of truth: the model)."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.CharField) or field.max_length is None:
        raise TypeError(f"{model.__name__}.{name} is not a text field with a max_length")
    return field.max_length


class OutboxMessage(models.Model):
    """A task on its way to the broker (the transactional outbox, see ``core.outbox``).

    Written in the same transaction as the data the task follows up, so the two are stored
    together or not at all; sent after the commit and deleted once the broker has it. A row
    that stays (the broker was down) is sent again by the relay: the beat every half minute,
    the worker each time it (re)connects to the broker, and the next request that enqueues.
    """

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Not sent before this time: the committing process's own turn, then the retry backoff.
    next_attempt_at = models.DateTimeField(db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    last_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "outbox message"

    def __str__(self) -> str:
        return f"{self.task} #{self.pk} ({self.attempts} attempts)"


class UsedAuthorizationCode(models.Model):
    """An OAuth2 authorization code that was exchanged, and what it was exchanged for.

    django-oauth-toolkit deletes a code once used, so a replay looks like any unknown code. This
    row remembers it (by checksum, never the code) so that a replay revokes the tokens issued
    from it, as RFC 6749 section 4.1.2 and RFC 9700 section 2.1.1 ask: the refresh token's whole
    family (every token refreshed from it since) and the first access token. Kept for
    ``OAUTH_USED_CODE_RETENTION_SECONDS``; core/oauth.py prunes older rows on each exchange."""

    code_checksum = models.CharField(max_length=64, unique=True)
    # The application's primary key; a plain id, as django-oauth-toolkit's application model is
    # swappable (a foreign key would tie this app's migration to one setting).
    application_id = models.BigIntegerField()
    token_family = models.UUIDField(null=True, blank=True)
    access_token_checksum = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"code {self.code_checksum[:12]}… of application {self.application_id}"
