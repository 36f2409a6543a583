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
