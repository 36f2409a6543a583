"""Celery on Redis (``REDIS_URL``). The whole beat schedule lives here, in one place."""

import logging
import os
import threading
from functools import cached_property

from celery import Celery, bootsteps
from celery.apps.worker import Worker as CeleryWorker
from celery.schedules import crontab
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger(__name__)


class Worker(CeleryWorker):
    """``celery worker`` without gossip, mingle and event heartbeats, whatever the command line
    says. Those steps open broadcast queues that the worker tears down and rebuilds on every
    broker reconnection; with Redis gone, closing them asks a connection that is already closed
    for its host, and that ``AttributeError("'NoneType' object has no attribute 'hostname'")``
    (kombu's redis transport, ``Channel._connparams``) stopped the worker for good instead of
    letting it reconnect. The project uses none of them: /api/status reads its own heartbeat."""

    def __init__(self, *args, **kwargs):
        kwargs.update(without_gossip=True, without_mingle=True, without_heartbeat=True)
        super().__init__(*args, **kwargs)


class TrackerCelery(Celery):
    @cached_property
    def Worker(self):  # noqa: N802 (Celery's name)
        return self.subclass_with_self("config.celery:Worker")


class OutboxRelayOnConnect(bootsteps.StartStopStep):
    """Each time the worker (re)connects to the broker, send what waited in the outbox while
    the broker was down (``core.outbox``), in a thread so consuming starts at once."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def start(self, parent):
        threading.Thread(target=_relay_outbox, name="outbox relay", daemon=True).start()


def _relay_outbox() -> None:
    from django.db import close_old_connections

    from core.outbox import outbox_relay

    try:
        outbox_relay(waiting_too=True)
    except Exception:  # the database may be down too: the beat tries again
        logger.exception("outbox relay on broker connection failed")
    finally:
        close_old_connections()


app = TrackerCelery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.steps["consumer"].add(OutboxRelayOnConnect)

app.conf.beat_schedule = {
    # Spot prices for every currency held or reported in any portfolio.
    "prices-refresh-spot": {"task": "prices.tasks.prices_refresh_spot", "schedule": 300.0},
    # Addresses whose data is older than their refresh interval.
    "addresses-refresh-stale": {
        "task": "addresses.tasks.addresses_refresh_stale",
        "schedule": 600.0,
    },
    # Lets /api/status see that a worker is alive.
    "core-worker-heartbeat": {"task": "core.tasks.worker_heartbeat", "schedule": 60.0},
    # Tasks that waited in the outbox while the broker was down (core.outbox).
    "core-outbox-relay": {"task": "core.tasks.outbox_relay", "schedule": 30.0},
    # Daily price history for held assets, once a day after CoinGecko publishes the last day.
    "prices-refresh-history": {
        "task": "prices.tasks.prices_refresh_history",
        "schedule": crontab(minute=45, hour=0),
    },
    # Held-period daily prices a backfill missed (CoinGecko was down when the asset appeared).
    "portfolios-price-history-ensure": {
        "task": "portfolios.tasks.portfolios_price_history_ensure",
        "schedule": crontab(minute=15, hour=1),
    },
}


@app.on_after_finalize.connect
def _heartbeat_signals(sender, **kwargs):
    """Any task a worker finishes, and the worker coming up, count as the worker answering."""
    from celery.signals import task_postrun, worker_ready

    def beat(**_kwargs):
        from core.tasks import worker_heartbeat

        worker_heartbeat.run()

    worker_ready.connect(beat, weak=False)
    task_postrun.connect(beat, weak=False)


@app.on_after_finalize.connect
def _request_id_signals(sender, **kwargs):
    """A task enqueued by a request logs under that request's id (``core.tasks``)."""
    from celery.signals import task_postrun, task_prerun

    from core.tasks import task_finished, task_started

    task_prerun.connect(task_started, weak=False)
    task_postrun.connect(task_finished, weak=False)


@setup_logging.connect
def _django_logging(**kwargs):
    """Workers and beat log like the web processes (Django's LOGGING: one format, the request id
    in every line) instead of Celery replacing the root logger's handlers with its own."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
