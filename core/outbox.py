"""The transactional outbox: background work is never lost to a broker outage.

``core.tasks.enqueue`` (with a broker) writes an ``OutboxMessage`` row in the caller's
transaction, so the row and the data it follows up are committed together or not at all. After
the commit the same process publishes it to the broker and deletes the row. When the broker is
down the row stays, with the error and a time for the next attempt, and the request that made it
still succeeds: its data is stored and its follow-up work waits here.

The relay (``outbox_relay``) sends what is waiting. It runs from the beat every
``OUTBOX_RELAY_SECONDS``, in the worker each time it (re)connects to the broker, and from a
request that finds messages waiting (see ``queue_down``). A row is claimed before it is sent
(its ``next_attempt_at`` moved forward by a compare-and-set), so two relays do not send it
twice; a relay that dies between claim and delete leaves it to be sent again once the claim
runs out: delivery is at least once, and the tasks are written to be repeated.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from core.models import OutboxMessage

logger = logging.getLogger(__name__)

# How long the process that wrote a row has to send it itself before a relay may take it.
OWN_SEND_SECONDS = 30
# How long a relay holds a row it is sending.
CLAIM_SECONDS = 60
# A publish retries once, quickly: a request must not hang while the broker is down.
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def retry_delay(attempts: int) -> timedelta:
    """After ``attempts`` failed sends: 5 s, 10 s, 20 s... up to ``OUTBOX_RETRY_MAX_SECONDS``."""
    base = _setting("OUTBOX_RETRY_BASE_SECONDS", 5)
    top = _setting("OUTBOX_RETRY_MAX_SECONDS", 60)
    return timedelta(seconds=min(top, base * 2 ** max(0, attempts - 1)))


def outbox_add(
    *, task: str, args: list[Any], kwargs: dict[str, Any], headers: dict[str, Any]
) -> OutboxMessage:
    """The row for one task, in the current transaction (see the module docstring)."""
    return OutboxMessage.objects.create(
        task=task,
        args=list(args),
        kwargs=dict(kwargs),
        headers=dict(headers),
        next_attempt_at=timezone.now() + timedelta(seconds=OWN_SEND_SECONDS),
    )


def publish(message: OutboxMessage) -> None:
    """Hand one message to the broker (raises when the broker does not take it)."""
    from celery import current_app

    task = current_app.tasks[message.task]
    task.apply_async(
        args=message.args,
        kwargs=message.kwargs,
        headers={str(k): str(v) for k, v in dict(message.headers or {}).items()},
        retry=True,
        retry_policy=PUBLISH_RETRY,
    )


def _record_failure(message: OutboxMessage, exc: Exception) -> None:
    now = timezone.now()
    attempts = message.attempts + 1
    OutboxMessage.objects.filter(pk=message.pk).update(
        attempts=attempts,
        last_attempt_at=now,
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
        next_attempt_at=now + retry_delay(attempts),
    )
    logger.warning(
        "outbox: %s #%s not sent (attempt %s), kept for the relay: %s",
        message.task,
        message.pk,
        attempts,
        exc,
    )


def outbox_send(message: OutboxMessage) -> bool:
    """Publish a row this process wrote (after its transaction committed) and delete it; on a
    failure keep it for the relay. True when the broker took it."""
    try:
        publish(message)
    except Exception as exc:  # the broker (or its connection) failed: the row keeps the work
        _record_failure(message, exc)
        return False
    OutboxMessage.objects.filter(pk=message.pk).delete()
    return True


@dataclass(frozen=True)
class RelayResult:
    sent: int
    failed: int


def outbox_relay(*, limit: int = 500, waiting_too: bool = False) -> RelayResult:
    """Send the waiting messages that are due (with ``waiting_too``, also those waiting out
    the backoff after a failed send: the caller saw the broker answer), oldest first; stop at
    the first failure (the broker is still down: the others would fail the same way)."""
    now = timezone.now()
    sent = 0
    rows = OutboxMessage.objects.filter(next_attempt_at__lte=now)
    if waiting_too:
        rows = rows | OutboxMessage.objects.filter(attempts__gt=0)
    due = list(rows.order_by("id")[:limit])
    for message in due:
        claimed = OutboxMessage.objects.filter(
            pk=message.pk, next_attempt_at=message.next_attempt_at
        ).update(next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS))
        if not claimed:
            continue  # another relay has it
        if not outbox_send(message):
            return RelayResult(sent=sent, failed=1)
        sent += 1
    if sent:
        logger.info("outbox: relayed %s waiting message(s) to the broker", sent)
    return RelayResult(sent=sent, failed=0)


def outbox_failing() -> bool:
    """A message is waiting after a failed send: the broker did not take it."""
    return OutboxMessage.objects.filter(attempts__gt=0).exists()


def broker_reachable(*, timeout: int = 2) -> bool:
    """The broker accepts a connection (and, for Redis, answers a PING) within ``timeout``."""
    from celery import current_app

    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=timeout
            )
            client = getattr(conn.default_channel, "client", None)
            if client is not None and hasattr(client, "ping"):
                client.ping()
    except Exception as exc:  # any failure to reach it is the answer
        logger.info("broker not reachable: %s", exc)
        return False
    return True


def queue_down() -> bool:
    """Whether work handed to the queue now would wait for the broker: messages are waiting
    after a failed send and the broker still does not answer. When it answers again, what is
    waiting is relayed here and then."""
    if not outbox_failing():
        return False
    if not broker_reachable():
        return True
    outbox_relay(limit=100, waiting_too=True)
    return outbox_failing()
