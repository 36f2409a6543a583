from django.apps import AppConfig


class OffsetsConfig(AppConfig):
    name = "offsets"
    default_auto_field = "django.db.models.BigAutoField"
