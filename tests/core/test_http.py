"""core.http: timeouts, retries and backoff, Retry-After, errors, JSON as Decimal, redaction.
Replayed with ``responses``; sleeps are recorded, never slept."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime

import pytest
import requests
import responses
from hypothesis import given
from hypothesis import strategies as st

from core.exceptions import ProviderError
from core.http import HttpClient, ProviderHTTPError, RetryLater, parse_retry_after, redact
from core.ratelimit import NoRateLimit

BASE = "https://api.example.test/v1"


class CountingLimiter:
    def __init__(self):
        self.calls = 0

    def acquire(self) -> None:
        self.calls += 1


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(sleeps) -> HttpClient:
    return HttpClient(
        "example",
        base_url=BASE,
        limiter=NoRateLimit(),
        timeout=7.5,
        user_agent="tracker-tests/1.0",
        sleep=sleeps.append,
    )


@responses.activate
def test_get_json_sends_user_agent_timeout_and_parses_numbers_as_decimal(client):
    responses.get(
        f"{BASE}/thing", body='{"price": 0.1, "big": 12345678901234567890.123456789, "n": 3}'
    )

    payload = client.get_json("thing", params={"q": "x"})

    assert payload == {
        "price": Decimal("0.1"),
        "big": Decimal("12345678901234567890.123456789"),
        "n": 3,
    }
    assert isinstance(payload["price"], Decimal)
    request = responses.calls[0].request
    assert request.headers["User-Agent"] == "tracker-tests/1.0"
    assert request.headers["Accept"] == "application/json"
    assert request.req_kwargs["timeout"] == 7.5
    assert request.url == f"{BASE}/thing?q=x"


@responses.activate
def test_post_json_sends_the_body_to_the_base_url(client):
    responses.post(BASE, json={"ok": True})

    assert client.post_json(json_body={"method": "x"}) == {"ok": True}
    assert responses.calls[0].request.body == b'{"method": "x"}'


def test_timeout_and_user_agent_default_to_settings(settings):
    settings.HTTP_TIMEOUT_SECONDS = 3.25
    settings.HTTP_USER_AGENT = "from-settings/2"

    client = HttpClient("example", base_url=BASE, limiter=NoRateLimit())

    assert client.timeout == 3.25
    assert client.session.headers["User-Agent"] == "from-settings/2"


@responses.activate
def test_a_timeout_is_retried_then_succeeds(client, sleeps):
    responses.get(f"{BASE}/slow", body=requests.exceptions.ReadTimeout("read timed out"))
    responses.get(f"{BASE}/slow", json={"ok": 1})

    assert client.get_json("slow") == {"ok": 1}
    assert len(responses.calls) == 2
    assert len(sleeps) == 1 and 0.25 <= sleeps[0] <= 0.5  # first backoff: 0.5 s with equal jitter


@responses.activate
def test_timeouts_forever_give_a_retryable_error_after_max_attempts(client, sleeps):
    responses.get(f"{BASE}/slow", body=requests.exceptions.ConnectTimeout("connect timed out"))

    with pytest.raises(ProviderError) as caught:
        client.get_json("slow")

    assert caught.value.retryable is True
    assert "after 3 attempts" in str(caught.value)
    assert len(responses.calls) == 3
    assert len(sleeps) == 2
    assert 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0  # exponential


@responses.activate
def test_a_connection_error_is_retried(client):
    responses.get(f"{BASE}/x", body=requests.exceptions.ConnectionError("connection refused"))
    responses.get(f"{BASE}/x", json=[1])

    assert client.get_json("x") == [1]


@responses.activate
def test_429_with_retry_after_seconds_waits_that_long_then_succeeds(client, sleeps):
    responses.get(
        f"{BASE}/x", status=429, headers={"Retry-After": "2"}, json={"error": "slow down"}
    )
    responses.get(f"{BASE}/x", json={"ok": True})

    assert client.get_json("x") == {"ok": True}
    assert sleeps == [2.0]


@responses.activate
def test_429_with_retry_after_beyond_the_cap_is_not_slept_but_raised_retryable(client, sleeps):
    responses.get(f"{BASE}/x", status=429, headers={"Retry-After": "120"})

    with pytest.raises(ProviderError) as caught:
        client.get_json("x")

    assert caught.value.retryable is True
    assert caught.value.retry_after == 120.0
    assert len(responses.calls) == 1
    assert sleeps == []


@responses.activate
def test_retry_after_as_an_http_date(client):
    when = datetime.now(UTC) + timedelta(seconds=300)
    responses.get(
        f"{BASE}/x", status=503, headers={"Retry-After": format_datetime(when, usegmt=True)}
    )

    with pytest.raises(ProviderError) as caught:
        client.get_json("x")

    assert caught.value.retryable is True
    assert 290 <= caught.value.retry_after <= 300


@responses.activate
def test_500_then_success(client, sleeps):
    responses.get(f"{BASE}/x", status=500, body="Internal Server Error")
    responses.get(f"{BASE}/x", json={"ok": True})

    assert client.get_json("x") == {"ok": True}
    assert len(sleeps) == 1


@responses.activate
def test_500_forever_is_a_retryable_provider_error(client, sleeps):
    responses.get(
        f"{BASE}/x",
        status=502,
        body="<html><body><h1>502 Bad Gateway</h1>nginx</body></html>",
        content_type="text/html",
    )

    with pytest.raises(ProviderError) as caught:
        client.get_json("x")

    assert caught.value.retryable is True
    assert caught.value.retry_after is None
    assert "HTTP 502 502 Bad Gateway nginx" in str(caught.value)  # the words, not the markup
    assert len(responses.calls) == 3


@responses.activate
def test_the_last_retry_after_is_passed_on_when_attempts_run_out(client):
    responses.get(f"{BASE}/x", status=429, headers={"Retry-After": "1"})

    with pytest.raises(ProviderError) as caught:
        client.get_json("x")

    assert caught.value.retryable is True
    assert caught.value.retry_after == 1.0


@responses.activate
def test_malformed_json_in_a_200_is_not_retried_in_process_but_retryable(client, sleeps):
    responses.get(f"{BASE}/x", body='{"bitcoin": {"usd": 6718', content_type="application/json")

    with pytest.raises(ProviderHTTPError) as caught:
        client.get_json("x")

    assert caught.value.retryable is True  # a maintenance page, not a refusal: try later
    assert "not JSON" in str(caught.value)
    assert len(responses.calls) == 1 and sleeps == []


@responses.activate
def test_a_4xx_is_not_retried_and_carries_the_body_message(client):
    responses.get(
        f"{BASE}/x", status=400, body="Invalid Bitcoin address", content_type="text/plain"
    )

    with pytest.raises(ProviderHTTPError) as caught:
        client.get_json("x")

    error = caught.value
    assert error.retryable is False
    assert error.status == 400
    assert error.detail == "Invalid Bitcoin address"
    assert "Invalid Bitcoin address" in str(error)
    assert len(responses.calls) == 1


@responses.activate
def test_a_json_4xx_body_gives_its_nested_message_and_payload(client):
    body = {"status": {"error_code": 10002, "error_message": "API Key Missing or Invalid"}}
    responses.get(f"{BASE}/x", status=401, json=body)

    with pytest.raises(ProviderHTTPError) as caught:
        client.get_json("x")

    assert caught.value.detail == "API Key Missing or Invalid"
    assert caught.value.payload == body


@responses.activate
def test_validate_may_ask_for_a_retry(client, sleeps):
    responses.get(f"{BASE}/x", json={"status": "0", "result": "Max rate limit reached"})
    responses.get(f"{BASE}/x", json={"status": "1", "result": []})

    def validate(payload):
        if payload["status"] != "1":
            raise RetryLater(payload["result"], retry_after=1.0)

    assert client.get_json("x", validate=validate)["result"] == []
    assert sleeps == [1.0]


@responses.activate
def test_the_limiter_is_taken_before_every_attempt(sleeps):
    limiter = CountingLimiter()
    client = HttpClient("example", base_url=BASE, limiter=limiter, sleep=sleeps.append)
    responses.get(f"{BASE}/x", status=503)
    responses.get(f"{BASE}/x", json={})

    client.get_json("x")

    assert limiter.calls == 2


@responses.activate
def test_api_keys_never_reach_errors_or_logs(sleeps, caplog):
    client = HttpClient(
        "example",
        base_url=BASE,
        params={"apikey": "SECRETKEY123"},
        headers={"x-cg-demo-api-key": "CG-DEMOSECRET"},
        limiter=NoRateLimit(),
        sleep=sleeps.append,
    )
    responses.get(f"{BASE}/x", status=500, body="boom for SECRETKEY123")
    responses.get(
        f"{BASE}/x",
        body=requests.exceptions.ConnectionError(
            "Max retries exceeded with url: /v1/x?apikey=SECRETKEY123"
        ),
    )
    responses.get(f"{BASE}/x", status=500, body="x_cg_demo_api_key=CG-DEMOSECRET rejected")

    with caplog.at_level(logging.DEBUG), pytest.raises(ProviderError) as caught:
        client.get_json("x")

    assert responses.calls[0].request.headers["x-cg-demo-api-key"] == "CG-DEMOSECRET"
    assert "apikey=SECRETKEY123" in responses.calls[0].request.url
    text = str(caught.value) + caplog.text
    assert "SECRETKEY123" not in text
    assert "CG-DEMOSECRET" not in text
    assert "apikey=***" in caplog.text


def test_redact_hides_keys_in_query_strings_and_headers():
    assert (
        redact("https://x/api?module=a&apikey=ABC123&x=1")
        == "https://x/api?module=a&apikey=***&x=1"
    )
    assert redact("?x_cg_demo_api_key=CG-1234") == "?x_cg_demo_api_key=***"
    assert redact("?x_cg_pro_api_key=CG-1234&ids=bitcoin") == "?x_cg_pro_api_key=***&ids=bitcoin"
    assert redact("{'x-cg-pro-api-key': 'CG-abcdef'}") == "{'x-cg-pro-api-key': '***'}"
    assert redact("https://mainnet.example/v3/0123456789abcdef", ["0123456789abcdef"]) == (
        "https://mainnet.example/v3/***"
    )


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, None), ("", None), ("5", 5.0), ("1.5", 1.5), ("-3", 0.0), ("soon", None)],
)
def test_parse_retry_after(header, expected):
    assert parse_retry_after(header) == expected


def test_parse_retry_after_http_date():
    now = datetime(2024, 3, 25, 8, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Mon, 25 Mar 2024 08:01:30 GMT", now=now) == 90.0
    assert parse_retry_after("Mon, 25 Mar 2024 07:00:00 GMT", now=now) == 0.0


@given(st.integers(min_value=1, max_value=20))
def test_backoff_grows_exponentially_within_jitter_and_cap(attempt):
    client = HttpClient("example", base_url=BASE, limiter=NoRateLimit(), timeout=1, user_agent="t")
    ceiling = min(client.backoff_max, client.backoff_base * 2 ** (attempt - 1))
    assert ceiling / 2 <= client.backoff_delay(attempt) <= ceiling
