"""The transactional outbox (core.outbox) and the "already queued" flags (core.tasks), through
the services and the API: a broker that refuses a message does not lose it or fail the request,
a rolled-back transaction sends nothing, and a flag kept on purpose lasts its lifetime from the
end of the task."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import transaction
from kombu.exceptions import OperationalError

from addresses.tasks import address_fetch, address_fetch_enqueue, fetch_key
from core.models import OutboxMessage
from core.outbox import outbox_relay
from core.tasks import flag_key
from tests.conftest import client_for
from tests.live.conftest import BTC_ADDRESS as ADDRESS

pytestmark = pytest.mark.django_db


class Broker:
    """Stands for the broker behind ``address_fetch.apply_async``: down, or taking messages."""

    def __init__(self) -> None:
        self.down = True
        self.taken: list[tuple] = []

    def apply_async(self, args=(), kwargs=None, **options):
        if self.down:
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        self.taken.append((tuple(args or ()), options.get("headers") or {}))


@pytest.fixture
def broker(settings, monkeypatch) -> Broker:
    settings.TASKS_SYNC = False
    settings.TASKS_IN_PROCESS = False
    fake = Broker()
    monkeypatch.setattr(address_fetch, "apply_async", fake.apply_async)
    return fake


def test_a_message_the_broker_refuses_is_kept_and_relayed_when_it_is_back(
    broker, django_capture_on_commit_callbacks
):
    # Given a broker that is down when a fetch is enqueued
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        assert address_fetch_enqueue(41) is True

    # then the message waits in the outbox with the error
    [message] = OutboxMessage.objects.all()
    assert (message.task, message.args, message.attempts) == (address_fetch.name, [41], 1)
    assert "Connection refused" in message.last_error
    assert broker.taken == []

    # When the broker is back and the relay runs
    broker.down = False
    result = outbox_relay(waiting_too=True)

    # then it is sent once, with its flag, and gone from the outbox
    assert (result.sent, result.failed) == (1, 0)
    assert broker.taken == [((41,), {"enqueued_flag": fetch_key(41), "enqueued_flag_ttl": "300"})]
    assert not OutboxMessage.objects.exists()
    assert outbox_relay(waiting_too=True).sent == 0


def test_a_rolled_back_transaction_sends_nothing(broker, django_capture_on_commit_callbacks):
    broker.down = False
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        address_fetch_enqueue(42)
        raise RuntimeError("the request failed after enqueueing")

    assert broker.taken == []
    assert not OutboxMessage.objects.exists()


def test_a_relay_stops_at_the_first_refusal(broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for pk in (1, 2, 3):
            address_fetch_enqueue(pk)
    assert OutboxMessage.objects.count() == 3

    result = outbox_relay(waiting_too=True)

    assert (result.sent, result.failed) == (0, 1)
    assert OutboxMessage.objects.count() == 3
    assert sorted(OutboxMessage.objects.values_list("attempts", flat=True)) == [1, 1, 2]


def test_first_fetch_while_the_queue_is_down_is_503_unavailable(
    alice, broker, django_capture_on_commit_callbacks
):
    # Given an address added while the broker refuses messages
    api = client_for(alice, "read write")
    with django_capture_on_commit_callbacks(execute=True):
        pid = api.post(
            "/api/portfolios", {"title": "M", "currencies": ["btc"]}, format="json"
        ).json()["result"]["id"]
        aid = api.post(
            f"/api/portfolios/{pid}/addresses",
            {"title": "Cold", "address": ADDRESS, "currency": "btc"},
            format="json",
        ).json()["result"]["id"]

    # When its balances are asked for (the first request's fetch fails to reach the broker
    # when its transaction commits; in a test that is after the answer) and asked again
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = api.get(f"/api/portfolios/{pid}/addresses/{aid}/balances")

    # then the answer says a dependency is down and when to come back; the fetch is kept
    assert response.status_code == 503, response.content
    body = response.json()
    assert body["message"] == "Unavailable" and "result" not in body
    assert body["try_again_at"].endswith("+00:00")
    assert int(response["Retry-After"]) >= 25
    assert OutboxMessage.objects.filter(task=address_fetch.name, args=[aid]).exists()

    # When the broker is back, the next request relays the kept fetch and waits as usual
    broker.down = False
    with django_capture_on_commit_callbacks(execute=True):
        again = api.get(f"/api/portfolios/{pid}/addresses/{aid}/balances")
    assert again.status_code == 503 and again.json()["message"] == "Not ready"
    assert [args for args, _ in broker.taken] == [(aid,)]
    assert not OutboxMessage.objects.exists()


def test_a_flag_a_task_keeps_lasts_its_lifetime_from_the_end_of_the_task(
    settings, django_capture_on_commit_callbacks
):
    # Given the daily-history refresh, whose flag spaces runs an hour apart (it never clears it)
    from prices.tasks import HISTORY_KEY, prices_history_enqueue

    settings.TASKS_SYNC = True
    with django_capture_on_commit_callbacks(execute=True):
        assert prices_history_enqueue() is True

    # then after it ran the flag is still there (renewed, not cut to a lease)
    assert cache.get(flag_key(HISTORY_KEY)) is not None
    assert not cache.get(flag_key(HISTORY_KEY)).startswith("running:")
    assert prices_history_enqueue() is False


def test_a_flag_the_task_clears_is_gone_after_it(settings, django_capture_on_commit_callbacks):
    # Given an address fetch (it clears its flag when it ends), run at once
    settings.TASKS_SYNC = True
    with django_capture_on_commit_callbacks(execute=True):
        assert address_fetch_enqueue(10**9) is True  # no such address: the task just ends

    assert cache.get(flag_key(fetch_key(10**9))) is None
    assert address_fetch_enqueue(10**9) is True
