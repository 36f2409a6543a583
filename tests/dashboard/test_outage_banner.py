"""The banner every signed-in page shows while the task queue is down (issue 11.3): a fetch the
broker refused waits in the outbox, the page still shows what is stored, and the banner goes
once the waiting work was handed over."""

from __future__ import annotations

import pytest
from kombu.exceptions import OperationalError

from addresses.tasks import address_fetch, address_fetch_enqueue
from core.models import OutboxMessage

pytestmark = pytest.mark.django_db

BANNER = "Background work is paused."


class Broker:
    def __init__(self) -> None:
        self.down = True
        self.taken: list[tuple] = []

    def apply_async(self, args=(), kwargs=None, **options):
        if self.down:
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        self.taken.append(tuple(args or ()))


@pytest.fixture
def broker(settings, monkeypatch) -> Broker:
    settings.TASKS_SYNC = False
    settings.TASKS_IN_PROCESS = False
    fake = Broker()
    monkeypatch.setattr(address_fetch, "apply_async", fake.apply_async)
    return fake


def test_the_portfolio_page_shows_a_banner_while_the_queue_is_down(
    alice_client, portfolio, broker, django_capture_on_commit_callbacks
):
    url = f"/portfolios/{portfolio.pk}/"
    assert BANNER not in alice_client.get(url).content.decode()

    # Given a fetch the broker refused
    with django_capture_on_commit_callbacks(execute=True):
        address_fetch_enqueue(1)
    assert OutboxMessage.objects.filter(attempts=1).exists()

    # then the page answers with the banner
    page = alice_client.get(url)
    assert page.status_code == 200
    assert BANNER in page.content.decode()

    # and once the broker takes messages again the next page hands the fetch over, no banner
    broker.down = False
    page = alice_client.get(url)
    assert page.status_code == 200
    assert BANNER not in page.content.decode()
    assert broker.taken == [(1,)]
    assert not OutboxMessage.objects.filter(task=address_fetch.name).exists()


def test_anonymous_pages_show_no_banner(client, broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        address_fetch_enqueue(1)

    page = client.get("/")
    assert page.status_code == 200
    assert BANNER not in page.content.decode()
