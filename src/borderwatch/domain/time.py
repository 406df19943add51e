"""Time inside Borderwatch: UTC, RFC 3339 on the wire, local time only where people read it.

Sensor clocks skew and reports carry offsets, so every time is turned into an aware UTC
``datetime`` where it enters and formatted back to UTC
(``Z``) where it leaves; the local zone of the place (e.g. America/Edmonton) is applied only
when a time is shown to a person (:func:`local_and_utc`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from borderwatch.domain.errors import InputError


def parse_time(value: object, field: str = "time") -> datetime:
    """RFC 3339 with an offset (``Z`` or ``+hh:mm``), returned in UTC.

    >>> parse_time("2025-02-03T06:16:00-07:00").isoformat()
    '2025-02-03T13:16:00+00:00'
    >>> parse_time("2025-02-03T06:16:00")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    borderwatch.domain.errors.InputError: field time: needs a UTC offset (e.g. Z or -07:00): ...
    """
    if not isinstance(value, str):
        raise InputError(field, f"must be an RFC 3339 string, got {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(field, f"not an RFC 3339 date-time: {value!r}") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise InputError(field, f"needs a UTC offset (e.g. Z or -07:00): {value!r}")
    return parsed.astimezone(UTC)


def format_time(time: datetime) -> str:
    """UTC, RFC 3339, ``Z`` suffix, millisecond precision.

    >>> format_time(parse_time("2025-02-03T06:16:00.1234-07:00"))
    '2025-02-03T13:16:00.123Z'
    """
    return time.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def epoch_to_datetime(epoch_s: float) -> datetime:
    """Seconds since the Unix epoch as an aware UTC ``datetime``."""
    return datetime.fromtimestamp(epoch_s, tz=UTC)


def utc_now() -> datetime:
    """The wall clock, in UTC: the default clock of every store and of the alert stage (a
    replay passes the exercise's clock instead)."""
    return datetime.now(UTC)


def local_and_utc(time: datetime, zone: ZoneInfo) -> str:
    """``06:16:20 MST │ 13:16:20Z``: local first (what the team on the ground uses), then UTC
    (what every record stores)."""
    local = time.astimezone(zone)
    return f"{local:%H:%M:%S} {local.tzname()} │ {time.astimezone(UTC):%H:%M:%S}Z"
