"""Time inside Borderwatch: UTC, RFC 3339 on the wire, local time only where people read it.

Sensor clocks skew and reports carry offsets, so every time is turned into an aware UTC
``datetime`` where it enters and formatted back to UTC
(``Z``) where it leaves; the local zone of the place (e.g. America/Edmonton) is applied only
when a time is shown to a person (:func:`local_and_utc`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from borderwatch.domain.errors import InputError

# RFC 3339 §5.6 ``date-time``: full-date "T" full-time, seconds required, a fraction with
# a dot, and an offset ``Z`` or ``±hh:mm``. The ABNF is case-insensitive (RFC 2234), so
# "t" and "z" are allowed; the space its §5.6 note allows "for readability" is not: one
# spelling on the wire. ISO 8601 forms Python's ``fromisoformat`` also takes (week and
# ordinal dates, basic format without separators, a comma, no seconds, ``+hhmm``) are
# refused. ASCII digits only.
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:[Zz]|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)
_MAX_TIME_CHARS = 40
"""Longer than any RFC 3339 date-time with nine fraction digits: not parsed at all."""
_TIME_HINT = "e.g. 2025-02-03T06:16:00Z or 2025-02-03T06:16:00-07:00"


def parse_time(value: object, field: str = "time") -> datetime:
    """RFC 3339 ``date-time`` (§5.6) with an offset (``Z`` or ``+hh:mm``), returned in UTC.
    Anything else, and any date-time that is not a real instant (30 February, 24:00,
    an offset past ±23:59, a UTC value outside years 1–9999), is an :class:`InputError`
    naming ``field``: never an ``OverflowError`` (a 500).

    >>> parse_time("2025-02-03T06:16:00-07:00").isoformat()
    '2025-02-03T13:16:00+00:00'
    >>> parse_time("2025-02-03T06:16:00")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    borderwatch.domain.errors.InputError: field time: needs a UTC offset (e.g. Z or -07:00): ...
    >>> parse_time("2025-W06-1T06:16:00Z")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    borderwatch.domain.errors.InputError: field time: not an RFC 3339 date-time ...
    >>> parse_time("9999-12-31T23:59:59-01:00", "until")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    borderwatch.domain.errors.InputError: field until: outside the years 1-9999 in UTC: ...
    """
    if not isinstance(value, str):
        raise InputError(field, f"must be an RFC 3339 string, got {type(value).__name__}")
    shown = value if len(value) <= _MAX_TIME_CHARS else value[:_MAX_TIME_CHARS] + "…"
    match = _RFC3339.fullmatch(value) if len(value) <= _MAX_TIME_CHARS else None
    if match is None:
        if _RFC3339.fullmatch(value + "Z") is not None:
            raise InputError(field, f"needs a UTC offset (e.g. Z or -07:00): {shown!r}",
                             code="time_offset")
        raise InputError(field, f"not an RFC 3339 date-time ({_TIME_HINT}): {shown!r}",
                         code="time_format")
    year, month, day, hour, minute, second, fraction, sign, off_h, off_m = match.groups()
    if second == "60":
        raise InputError(field, f"a leap second (:60) cannot be represented: {shown!r}")
    offset = timedelta(0)
    if sign is not None:
        if int(off_h) > 23 or int(off_m) > 59:
            raise InputError(field, f"the UTC offset must be within ±23:59: {shown!r}")
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        if sign == "-":
            offset = -offset
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    try:
        local = datetime(int(year), int(month), int(day), int(hour), int(minute),
                         int(second), micro, tzinfo=timezone(offset))
    except ValueError as err:  # 2025-02-30, 24:00, month 13
        raise InputError(field, f"not a real date and time ({err}): {shown!r}") from None
    try:
        return local.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-01:00 is in year 10000 in UTC
        raise InputError(field, f"outside the years 1-9999 in UTC: {shown!r}") from None


DEFAULT_MAX_SKEW_S = 2.0
"""How far after the service's clock a live report may be dated, by default: well under
the default 5 s reorder window, so a report allowed ahead still leaves the others about
3 s of latency before they count as late (docs/security/admission.md)."""


def check_live_time(epoch_s: float, now_s: float, *, max_ahead_s: float,
                    max_behind_s: float | None = None, field: str = "time") -> None:
    """Refuse a live report dated more than ``max_ahead_s`` after ``now_s`` (the service's
    clock), or, when ``max_behind_s`` is given, more than that before it.

    Why ahead matters: the tracker's reorder window is measured from the newest report
    seen, so one report dated ahead makes every report after it "late" until real time
    catches up; a time in 2999 blinded the live tracker for good.

    >>> check_live_time(1000.0, 999.0, max_ahead_s=5)
    >>> check_live_time(1e10, 1000.0, max_ahead_s=5)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    borderwatch.domain.errors.InputError: field time: is 317 years ahead of the service clock ...
    """
    ahead = epoch_s - now_s
    if ahead > max_ahead_s:
        raise InputError(field, f"is {_span(ahead)} ahead of the service clock (at most "
                         f"{max_ahead_s:g} s is allowed): check the sender's clock (NTP)")
    if max_behind_s is not None and -ahead > max_behind_s:
        raise InputError(field, f"is {_span(-ahead)} behind the service clock (live ingest "
                         f"takes at most {max_behind_s:g} s; replay a recorded file with "
                         "`borderwatch run`)")


def _span(seconds: float) -> str:
    """A duration as people read it: ``12.5 s``, ``3.2 h``, ``974 years``."""
    for unit, size in (("years", 365.25 * 86_400), ("days", 86_400), ("h", 3_600),
                       ("min", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.3g} s"


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
