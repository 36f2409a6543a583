from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from core import health, logs, middleware, tasks, tokencache

        logs.install_request_id_factory()
        request_finished.connect(middleware.request_finished, dispatch_uid="core.request_id")

        # The task queue and its heartbeat live in core, so the "jobs" check does too.
        health.register("database", health.database_ok)
        health.register("broker", health.broker_ok)
        health.register("jobs", health.jobs_ok)
        tasks.connect_signals()
        tokencache.connect_signals()
