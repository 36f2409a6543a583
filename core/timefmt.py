"""Dates for the API: ISO 8601 in UTC with an explicit ``+00:00`` offset."""

from datetime import UTC, datetime


def format_datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def unix_now() -> int:
    return int(datetime.now(UTC).timestamp())
