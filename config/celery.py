"""Celery on Redis (``REDIS_URL``). The whole beat schedule lives here, in one place."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Spot prices for every currency held or reported in any portfolio.
    "prices-refresh-spot": {"task": "prices.tasks.prices_refresh_spot", "schedule": 300.0},
    # Addresses whose data is older than their refresh interval.
    "addresses-refresh-stale": {
        "task": "addresses.tasks.addresses_refresh_stale",
        "schedule": 600.0,
    },
    # Exchange accounts whose data is older than their refresh interval.
    "accounts-refresh-stale": {
        "task": "accounts.tasks.accounts_refresh_stale",
        "schedule": 600.0,
    },
    # Lets /api/status see that a worker is alive.
    "core-worker-heartbeat": {"task": "core.tasks.worker_heartbeat", "schedule": 60.0},
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
