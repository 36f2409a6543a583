from django.apps import AppConfig


class V1Config(AppConfig):
    """The ``/api/v1/portfolio`` surface: a thin translation of the second seed's routes onto
    the services and selectors ``/api/`` uses (docs/api.md "The /api/v1/portfolio surface")."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "v1"
