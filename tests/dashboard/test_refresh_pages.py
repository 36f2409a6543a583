""" "Refresh now": the POST enqueues every address and the prices (portfolio_refresh), the
progress page lists each one as queued, fetching, done or failed, re-checked by a JSON
endpoint (session, owner only) or a meta refresh without JavaScript. And the fetch states in
plain words (``dashboard.fetchwords``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from addresses.models import Address
from addresses.services import address_create
from dashboard.fetchwords import error_reason, fetch_words
from dashboard.signals import address_running_key, task_ended, task_started
from tests.dashboard.conftest import ETH_ADDRESS, assert_login_redirect, fetched, spot

pytestmark = pytest.mark.django_db


def url(name: str, portfolio) -> str:
    return reverse(f"dashboard:{name}", args=[portfolio.pk])


def since_now() -> str:
    return str(int(timezone.now().timestamp()) - 1)


def test_signed_out_and_other_users(anon_client, bob_client, portfolio, address):
    for name in ("portfolio-refresh-progress", "portfolio-refresh-status"):
        target = url(name, portfolio)
        assert_login_redirect(anon_client.get(target), target)
        assert bob_client.get(target).status_code == 404
    target = url("portfolio-refresh", portfolio)
    assert_login_redirect(anon_client.post(target), target)
    assert bob_client.post(target).status_code == 404
    assert cache.get(f"enqueued:address:{address.pk}") is None  # nothing enqueued by them


def test_refresh_needs_post(alice_client, portfolio):
    assert alice_client.get(url("portfolio-refresh", portfolio)).status_code == 405


def test_refresh_enqueues_every_address_and_the_prices(alice_client, portfolio, address):
    response = alice_client.post(url("portfolio-refresh", portfolio))
    assert response.status_code == 302
    assert response["Location"].startswith(url("portfolio-refresh-progress", portfolio) + "?since=")
    assert cache.get(f"enqueued:address:{address.pk}") is not None
    assert cache.get("enqueued:prices:spot") is not None
    html = alice_client.get(response["Location"]).content.decode()
    assert "Refreshing “Main”" in html
    assert "Cold wallet" in html and "Queued" in html and "Waiting for a worker." in html
    assert '<meta http-equiv="refresh"' in html  # inside <noscript>: reloads without JS
    assert 'data-status-url="/portfolios/' in html


def _enclosing_tags(html: str, text: str) -> list[str]:
    """The tags open around the first occurrence of ``text`` in ``html``."""
    from html.parser import HTMLParser

    class Finder(HTMLParser):
        def __init__(self):
            super().__init__()
            self.open: list[str] = []
            self.found: list[str] | None = None

        def handle_starttag(self, tag, attrs):
            if tag not in ("meta", "link", "br", "input", "img", "hr"):
                self.open.append(tag)

        def handle_endtag(self, tag):
            if tag in self.open:
                del self.open[len(self.open) - 1 - self.open[::-1].index(tag) :]

        def handle_data(self, data):
            if text in data and self.found is None:
                self.found = list(self.open)

    finder = Finder()
    finder.feed(html)
    assert finder.found is not None, f"{text!r} is not on the page"
    return finder.found


def test_the_no_javascript_line_is_for_browsers_without_javascript(
    alice_client, portfolio, address
):
    """The page's script follows the fetches in place, so the line about reloading is shown
    only where no script runs (the browser test checks that it is hidden with JavaScript)."""
    location = alice_client.post(url("portfolio-refresh", portfolio))["Location"]
    html = alice_client.get(location).content.decode()
    around = _enclosing_tags(html, "Without JavaScript this page reloads itself")
    assert "noscript" in around and "main" in around


def test_status_follows_each_fetch(alice_client, portfolio, address):
    alice_client.post(url("portfolio-refresh", portfolio))
    status = url("portfolio-refresh-status", portfolio) + "?since=" + since_now()

    def states():
        data = alice_client.get(status).json()
        return data, {step["key"]: step["state"] for step in data["steps"]}

    data, seen = states()
    assert seen == {f"address-{address.pk}": "queued", "prices": "queued"} and not data["done"]
    # A worker starts the fetch (Celery's task_prerun)...
    task = type("Task", (), {"name": "addresses.tasks.address_fetch"})()
    task_started(task=task, args=(address.pk,))
    assert states()[1][f"address-{address.pk}"] == "fetching"
    # ...and finishes it
    fetched(address, "0.5")
    task_ended(task=task, args=(address.pk,))
    cache.delete(f"enqueued:address:{address.pk}")
    data, seen = states()
    assert seen[f"address-{address.pk}"] == "done"
    step = next(s for s in data["steps"] if s["key"] == f"address-{address.pk}")
    assert step["words"].startswith("Balance and transactions fetched at")
    # The prices fail (the refresh records why): everything is finished, one failure
    from prices.services import LAST_ATTEMPT_KEY

    cache.delete("enqueued:prices:spot")
    cache.set(
        LAST_ATTEMPT_KEY,
        {"at": timezone.now().isoformat(), "error": "coingecko: HTTP 429 Too Many Requests"},
    )
    data, seen = states()
    assert seen["prices"] == "failed" and data["done"]
    assert data["summary"] == "Finished: 1 fetch failed — see below."
    prices = next(s for s in data["steps"] if s["key"] == "prices")
    assert prices["words"] == "The price service asked us to slow down (too many requests)."
    html = alice_client.get(url("portfolio-refresh-progress", portfolio)).content.decode()
    assert 'http-equiv="refresh"' not in html  # finished: no more reloading


def test_a_failed_fetch_and_a_rejected_address_in_plain_words(alice_client, portfolio, address):
    other = address_create(
        portfolio=portfolio, title="Typo", address=ETH_ADDRESS, currency_code="eth", source="t"
    )
    Address.objects.filter(pk=other.pk).update(valid=False)
    now = timezone.now()
    fetched(
        address,
        at=None,
        balances_fetched_at=None,
        error="esplora-btc: GET https://x failed after 3 attempts: ReadTimeout: timed out",
        error_at=now,
        failures=3,
        next_retry_at=now + timedelta(minutes=4),
    )
    spot("btc", "usd", "1")
    data = alice_client.get(
        url("portfolio-refresh-status", portfolio) + "?since=" + since_now()
    ).json()
    steps = {s["key"]: s for s in data["steps"]}
    failed = steps[f"address-{address.pk}"]
    assert failed["state"] == "failed" and failed["label"] == "Failed"
    assert failed["words"].startswith("The explorer did not answer (timeout). Next try at ")
    assert steps[f"address-{other.pk}"]["state"] == "skipped"
    assert "not a valid address" in steps[f"address-{other.pk}"]["words"]


def test_status_queries_do_not_grow_with_addresses(alice, alice_client):
    from currencies.models import Currency
    from portfolios.services import portfolio_create

    tokens = list(
        Currency.objects.filter(is_ethereum_token=True)
        .order_by("code")
        .values_list("code", flat=True)
    )
    counts = []
    for title, n in (("Two", 2), ("Twenty", 20)):
        target = portfolio_create(user=alice, title=title, currency_codes=["usd"], source="t")
        for i in range(n):
            fetched(
                address_create(
                    portfolio=target,
                    title=f"A{i}",
                    address=ETH_ADDRESS,
                    currency_code=(["eth", *tokens])[i],
                    source="t",
                ),
                "1",
            )
        status = reverse("dashboard:portfolio-refresh-status", args=[target.pk])
        alice_client.get(status)
        with CaptureQueriesContext(connection) as captured:
            assert alice_client.get(status).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_running_marks_come_from_celery_signals(address):
    task = type("Task", (), {"name": "addresses.tasks.address_fetch"})()
    task_started(task=task, args=(address.pk,))
    assert cache.get(address_running_key(address.pk))
    task_ended(task=task, args=(address.pk,))
    assert cache.get(address_running_key(address.pk)) is None
    other = type("Task", (), {"name": "core.tasks.worker_heartbeat"})()
    task_started(task=other, args=())  # not followed


# --- plain words -------------------------------------------------------------------------------

NOW = datetime(2026, 3, 1, 13, 50, tzinfo=UTC)


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (
            "esplora-btc: GET https://x failed after 3 attempts: ReadTimeout: Read timed out.",
            "the explorer did not answer (timeout)",
        ),
        (
            "esplora: GET https://x failed after 3 attempts: HTTP 429 rate limited",
            "the explorer asked us to slow down (too many requests)",
        ),
        (
            "etherscan: GET https://x failed after 3 attempts: HTTP 502 Bad Gateway",
            "the explorer had a problem of its own (HTTP 502)",
        ),
        (
            "the esplora-btc explorer rejected the address 'bc1x': HTTP 400",
            "the explorer says this is not a valid address",
        ),
        (
            "esplora: GET https://x: ConnectionError: Failed to resolve 'blockstream.info'",
            "the explorer could not be reached (its name did not resolve: is this server offline?)",
        ),
        (
            "esplora: GET https://x: ConnectionError: [Errno 111] Connection refused",
            "the explorer could not be reached (connection failed)",
        ),
        ("no explorer for currency xyz", "no explorer is known for this currency"),
        (
            "ethereum-rpc: the answer is not a JSON object",
            "the explorer gave an answer we could not read",
        ),
        ("something else", "the explorer could not be used (something else)"),
    ],
)
def test_error_reasons(error, reason):
    assert error_reason(error) == reason


def test_fetch_words():
    assert (
        fetch_words(valid=True, fetched_at=None, now=NOW).age == "Not fetched yet — fetching now."
    )
    words = fetch_words(
        valid=True,
        fetched_at=NOW - timedelta(hours=2),
        error="ReadTimeout",
        error_at=NOW - timedelta(minutes=1),
        failures=3,
        next_retry_at=NOW.replace(hour=14, minute=5),
        now=NOW,
    )
    assert words.status == "failing"
    assert words.problem == (
        "Fetching failed 3 times: the explorer did not answer (timeout). Next try at 14:05 UTC."
    )
    tomorrow = fetch_words(
        valid=True,
        fetched_at=None,
        error="HTTP 503",
        error_at=NOW,
        failures=1,
        next_retry_at=NOW + timedelta(days=1),
        now=NOW,
    )
    assert tomorrow.problem.endswith("Next try at 2 Mar 13:50 UTC.")
    assert "once" in tomorrow.problem
    rejected = fetch_words(valid=False, fetched_at=None, now=NOW)
    assert rejected.status == "rejected"
    assert rejected.problem.startswith("The explorer says this is not a valid address.")
    # an old failure followed by a good fetch is not a failure any more
    fine = fetch_words(
        valid=True,
        fetched_at=NOW - timedelta(minutes=1),
        error="HTTP 503",
        error_at=NOW - timedelta(hours=1),
        now=NOW,
        stale_after=timedelta(minutes=10),
    )
    assert fine.status == "ok" and fine.problem == ""
    stale = fetch_words(
        valid=True,
        fetched_at=NOW - timedelta(hours=1),
        now=NOW,
        stale_after=timedelta(minutes=10),
    )
    assert stale.status == "stale" and stale.age.endswith("refreshing in the background.")
