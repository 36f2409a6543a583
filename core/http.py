"""The one way this project talks HTTP to the outside world.

``HttpClient`` wraps a ``requests.Session`` for one provider and base URL and adds what every
provider client needs:

- a timeout on every request (``settings.HTTP_TIMEOUT_SECONDS`` unless given) and our
  User-Agent (``settings.HTTP_USER_AGENT``);
- a rate limit per provider shared by all worker processes (see ``core/ratelimit.py``), taken
  before every attempt, retries included;
- retries with exponential backoff and jitter on connection errors, timeouts, 408/425/429 and 5xx
  (not 501/505), honouring ``Retry-After`` (seconds or an HTTP date), up to ``max_attempts``
  attempts in all. A wait longer than ``max_retry_sleep`` is not slept in-process:
  ``ProviderError(retryable=True, retry_after=N)`` is raised at once so the Celery task retries
  later instead of holding a worker;
- JSON parsed with ``parse_float=Decimal``: no float ever reaches an amount.

Errors, all ``ProviderError`` (``ProviderHTTPError`` when there was an HTTP status):

- retries exhausted on a transient failure (including a 5xx whose body is a proxy's HTML page)
  → ``retryable=True`` (``retry_after`` = the server's ``Retry-After`` when it sent one);
- any other 4xx → ``retryable=False``, message from the body (JSON ``message``/``error``... or
  the text); callers inspect ``status`` and ``payload`` for provider-specific cases;
- a 2xx whose body is not JSON → ``retryable=True``, but not retried in-process: a provider's
  maintenance page or a proxy's captive page answered instead of the API; repeating at once
  rarely helps, but it says nothing about the request or its credentials, so the caller retries
  with its ordinary backoff (one such answer must not park an address for hours);
- a ``validate`` callback may raise ``RetryLater`` for APIs that report rate limits inside a
  200 (Etherscan, JSON-RPC); it is then handled like a 429.

API keys never reach a log line or an error message: query parameters and headers that carry
them, and the literal values given in ``secrets``, are replaced by ``***`` (see ``redact``).
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from core.exceptions import ProviderError
from core.ratelimit import RateLimiter, default_rate_limiter, django_configured

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 20.0
DEFAULT_USER_AGENT = "cryptotracker/0.1 (+self-hosted)"

_SECRET_PARAM = re.compile(
    r"(?i)\b(apikey|api_key|api-key|x_cg_demo_api_key|x_cg_pro_api_key|access_token|token|key)="
    r"[^&\s\"'#]+"
)
_TAG = re.compile(r"<[^>]*>")
_SECRET_HEADER = re.compile(
    r"(?i)(x-cg-[a-z]+-api-key|x-api-key|authorization)([\"']?\s*[:=]\s*[\"']?)[^\"'\s,}]+"
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Hide API keys in a URL, a header dump or an error message."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _SECRET_PARAM.sub(lambda m: f"{m.group(1)}=***", text)
    return _SECRET_HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)


def parse_json(content: bytes | str) -> Any:
    """JSON with every non-integer number as an exact Decimal."""
    return json.loads(content, parse_float=Decimal)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def _setting(name: str, default: Any) -> Any:
    if not django_configured():
        return default
    from django.conf import settings

    return getattr(settings, name, default)


def _is_retryable_status(status: int) -> bool:
    return status in (408, 425, 429) or (status >= 500 and status not in (501, 505))


def body_message(payload: Any, text: str = "", *, limit: int = 300) -> str:
    """The human part of an error body: a JSON ``message``/``error_message``/``error``/``result``
    string (searched one or two levels deep), else the text itself, shortened."""
    if isinstance(payload, Mapping):
        for key in ("error_message", "message", "error", "result", "status", "detail"):
            value = payload.get(key)
            if isinstance(value, str) and value:
                return value[:limit]
            if isinstance(value, Mapping):
                found = body_message(value, "", limit=limit)
                if found:
                    return found
        return ""
    # A proxy's HTML error page: keep its words, not its markup.
    return " ".join(_TAG.sub(" ", text).split())[:limit]


class ProviderHTTPError(ProviderError):
    """A ProviderError that carries the HTTP status and the parsed body (None if not JSON)."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        status: int,
        payload: Any = None,
        detail: str = "",
        retry_after: float | None = None,
    ):
        super().__init__(message, retryable=retryable, retry_after=retry_after)
        self.status = status
        self.payload = payload
        self.detail = detail


class RetryLater(Exception):
    """Raised by a ``validate`` callback: the 200 answer is really a transient refusal."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class HttpClient:
    """HTTP for one provider. ``path`` is joined to ``base_url`` (empty path = the base URL)."""

    def __init__(
        self,
        provider: str,
        *,
        base_url: str,
        rate_limit: tuple[int, float] = (5, 1.0),
        limiter: RateLimiter | None = None,
        timeout: float | None = None,
        user_agent: str | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        secrets: Iterable[str] = (),
        max_attempts: int = 3,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        max_retry_sleep: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
    ):
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.rate_limit = rate_limit
        self._limiter = limiter
        self.timeout = (
            timeout
            if timeout is not None
            else float(_setting("HTTP_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS))
        )
        self.default_params = dict(params or {})
        self.secrets = [s for s in secrets if s]
        self.secrets += [v for k, v in self.default_params.items() if "key" in k.lower() and v]
        self.secrets += [v for k, v in (headers or {}).items() if "key" in k.lower() and v]
        self.max_attempts = max(1, max_attempts)
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_retry_sleep = max_retry_sleep
        self.sleep = sleep
        self.random = random.Random()
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = user_agent or _setting(
            "HTTP_USER_AGENT", DEFAULT_USER_AGENT
        )
        self.session.headers["Accept"] = "application/json"
        self.session.headers.update(headers or {})

    @property
    def limiter(self) -> RateLimiter:
        # Built on first use so that constructing a client touches neither Redis nor the database.
        if self._limiter is None:
            limit, per = self.rate_limit
            self._limiter = default_rate_limiter(self.provider, limit, per)
        return self._limiter

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)

    def url(self, path: str = "") -> str:
        return f"{self.base_url}/{path.lstrip('/')}" if path else self.base_url

    def get_json(
        self,
        path: str = "",
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        validate: Callable[[Any], None] | None = None,
    ) -> Any:
        return self.request_json("GET", path, params=params, headers=headers, validate=validate)

    def post_json(
        self,
        path: str = "",
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        validate: Callable[[Any], None] | None = None,
    ) -> Any:
        return self.request_json(
            "POST", path, json_body=json_body, params=params, headers=headers, validate=validate
        )

    def backoff_delay(self, attempt: int) -> float:
        """Exponential backoff with equal jitter: half fixed, half random."""
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return ceiling / 2 + self.random.uniform(0, ceiling / 2)

    def request_json(
        self,
        method: str,
        path: str = "",
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        validate: Callable[[Any], None] | None = None,
    ) -> Any:
        url = self.url(path)
        shown = self.redact(url)
        merged = {**self.default_params, **(params or {})}
        attempt = 0
        while True:
            attempt += 1
            self.limiter.acquire()
            problem, retry_after = self._attempt(
                method, url, shown, merged, json_body, headers, validate
            )
            if not isinstance(problem, str):
                return problem.value
            if attempt >= self.max_attempts:
                raise ProviderError(
                    f"{self.provider}: {method} {shown} failed after {attempt} attempts: {problem}",
                    retryable=True,
                    retry_after=retry_after,
                )
            delay = retry_after if retry_after is not None else self.backoff_delay(attempt)
            if delay > self.max_retry_sleep:
                raise ProviderError(
                    f"{self.provider}: {method} {shown}: {problem}; asked to wait {delay:.0f} s, "
                    "longer than we wait in-process",
                    retryable=True,
                    retry_after=delay,
                )
            logger.warning(
                "%s: %s %s: %s; retry %d/%d in %.2f s",
                self.provider,
                method,
                shown,
                problem,
                attempt,
                self.max_attempts - 1,
                delay,
            )
            self.sleep(delay)

    def _attempt(
        self,
        method: str,
        url: str,
        shown: str,
        params: Mapping[str, Any],
        json_body: Any,
        headers: Mapping[str, str] | None,
        validate: Callable[[Any], None] | None,
    ) -> tuple[_Ok | str, float | None]:
        """One try: ``(_Ok(payload), None)``, or ``(problem text, retry_after)`` when it may be
        retried; raises when it may not."""
        try:
            response = self.session.request(
                method,
                url,
                params=params or None,
                json=json_body,
                headers=headers,
                timeout=self.timeout,
            )
        except (
            requests.Timeout,
            requests.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
        ) as exc:
            return self.redact(f"{type(exc).__name__}: {exc}"), None
        except requests.RequestException as exc:
            raise ProviderError(
                self.redact(f"{self.provider}: {method} {shown}: {type(exc).__name__}: {exc}"),
                retryable=False,
            )
        status = response.status_code
        if status >= 400:
            payload = _try_json(response.content)
            detail = self.redact(body_message(payload, response.text))
            if _is_retryable_status(status):
                return f"HTTP {status} {detail}".rstrip(), parse_retry_after(
                    response.headers.get("Retry-After")
                )
            raise ProviderHTTPError(
                f"{self.provider}: {method} {shown} answered HTTP {status}: {detail}",
                retryable=False,
                status=status,
                payload=payload,
                detail=detail,
            )
        try:
            payload = parse_json(response.content)
        except ValueError:
            raise ProviderHTTPError(
                f"{self.provider}: {method} {shown} answered HTTP {status} with a body that is "
                f"not JSON ({response.headers.get('Content-Type', 'no content type')}): "
                f"{self.redact(' '.join(response.text.split())[:120])!r}",
                retryable=True,
                status=status,
            )
        if validate is not None:
            try:
                validate(payload)
            except RetryLater as exc:
                return self.redact(str(exc)), exc.retry_after
            except ProviderError as exc:
                exc.args = (self.redact(str(exc)),)
                raise
        return _Ok(payload), None


class _Ok:
    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


def _try_json(content: bytes) -> Any:
    try:
        return parse_json(content)
    except ValueError:
        return None
