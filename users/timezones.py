"""A user's tax time zone: an IANA name from the zone database ("America/New_York"), default
UTC. Cost basis judges holding periods and tax years on the calendar dates of that zone."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError

DEFAULT_TIME_ZONE = "UTC"


@lru_cache(maxsize=1)
def _by_lower_name() -> dict[str, str]:
    # Reading the zone database's directory takes a few milliseconds: once per process.
    return {name.lower(): name for name in available_timezones()}


def time_zone_names() -> list[str]:
    """Every zone name the database knows, sorted."""
    return sorted(_by_lower_name().values())


def time_zone_canonical(name: object) -> str | None:
    """The database's spelling of a zone name given in any case ("america/new_york" ->
    "America/New_York"); None when it is not a known zone."""
    if not isinstance(name, str):
        return None
    return _by_lower_name().get(name.strip().lower())


def validate_time_zone(value: str) -> None:
    """Model-field validator: an IANA zone name as the database spells it."""
    if time_zone_canonical(value) != value:
        raise ValidationError(
            "%(value)s is not a time zone name such as America/New_York or UTC",
            params={"value": value},
        )
