from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data behind ``make demo`` (``manage.py load_demo``): it uses every other app, so
    it lives in an app of its own rather than in ``core``, which imports none."""

    name = "demo"
    default_auto_field = "django.db.models.BigAutoField"
