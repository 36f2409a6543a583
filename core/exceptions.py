"""Our own exceptions. Services raise these; the API's exception handler and the dashboard turn
them into answers. Nothing here knows about DRF."""

from __future__ import annotations

from datetime import datetime


class TrackerError(Exception):
    """Base class for every error a service raises on purpose."""


class ValidationFailed(TrackerError):
    """Input is wrong. ``problems`` are human-readable sentences, one per problem (API: 422)."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class PayloadTooLarge(TrackerError):
    """An upload is larger than the server accepts (API: 413 ``Payload too large``). ``limit``
    and ``size`` are in bytes; the sentence says them in MiB."""

    def __init__(self, limit: int, size: int | None = None):
        self.limit = limit
        self.size = size
        got = f" (this one is {_bytes(size)})" if size is not None else ""
        super().__init__(f"the file is larger than the {_bytes(limit)} this server accepts{got}")


def _bytes(n: int) -> str:
    return f"{n / 2**20:.3g} MiB" if n >= 2**20 else f"{n} bytes"


class NotFound(TrackerError):
    """The object does not exist or belongs to another user (API: 404, never 403)."""


class NotReady(TrackerError):
    """Data that is fetched in the background is not there yet (API: 503 ``Not ready``)."""

    def __init__(self, try_again_at: datetime):
        self.try_again_at = try_again_at
        super().__init__(f"not ready, try again at {try_again_at.isoformat()}")


class Unavailable(TrackerError):
    """A dependency (database, broker, outside service) is down (API: 503 ``Unavailable``).
    ``try_again_at``, when known, is when the client should ask again."""

    def __init__(self, message: str = "", *, try_again_at: datetime | None = None):
        self.try_again_at = try_again_at
        super().__init__(message)


class ProviderError(TrackerError):
    """An outside service failed. ``retryable`` says whether trying again later may help
    (timeouts, 429, 5xx) or not (an address the explorer rejects, a bad API key)."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None):
        self.retryable = retryable
        self.retry_after = retry_after
        super().__init__(message)


class AddressRejected(ProviderError):
    """The explorer says the address itself is not valid on its chain (never retried)."""

    def __init__(self, message: str):
        super().__init__(message, retryable=False)
