"""A detection: one sensor's report that something was at a place at a time."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from borderwatch.domain.errors import InputError


class Kind(StrEnum):
    """What a sensor or a track thinks an object is (the wire format's ``kind``)."""

    PERSON = "person"
    VEHICLE = "vehicle"
    ANIMAL = "animal"
    UNKNOWN = "unknown"


DEFAULT_SIGMA_M = 25.0
"""Position error assumed when neither the detection nor the sensor registry gives one."""


# What a report may say: physical ranges, checked where a report enters
# (docs/security/admission.md gives each bound and its reason).
MAX_COUNT = 10_000
"""Most objects one report may count: above the largest group a border sensor has reported
(caravans of a few thousand), far below what overflows the tracker's integer sums."""
SIGMA_MIN_M = 0.1
"""Smallest position error: finer than any sensor locates a person (about 0.5 m wide);
a smaller one makes the tracker's gates numerically degenerate."""
SIGMA_MAX_M = 50_000.0
"""Largest position error: a tip as vague as a district; beyond it there is no position."""
MAX_ID_CHARS = 128
"""Longest ``id`` or ``sensor_id``: ids are stored, indexed, shown and sent on."""
EARLIEST_EPOCH_S = 0.0
"""1970-01-01T00:00:00Z: no digital sensor report is older (the Unix epoch)."""
LATEST_EPOCH_S = 4_102_444_800.0
"""2100-01-01T00:00:00Z (exclusive): no clock that works says later, and the window keeps
date arithmetic far from Python's year-9999 limit."""


def check_label(field: str, value: object) -> str:
    """An id or sensor id: a non-empty string of at most :data:`MAX_ID_CHARS` printable
    characters (``str.isprintable``: no control, format, bidirectional-override,
    separator or unassigned code points, so an id reads the same in a log, on the
    dashboard and in a CoT message).

    >>> check_label("id", "cam-7/frame 12")
    'cam-7/frame 12'
    >>> check_label("id", "cam\u202e7")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    borderwatch.domain.errors.InputError: field id: must be printable: ... U+202E ...
    """
    if type(value) is not str:
        raise InputError(field, f"must be a string, got {type(value).__name__}")
    if not value:
        raise InputError(field, "must not be empty")
    if len(value) > MAX_ID_CHARS:
        raise InputError(field, f"must be at most {MAX_ID_CHARS} characters, got {len(value)}")
    if not value.isprintable():
        bad = next(c for c in value if not c.isprintable())
        raise InputError(field, f"must be printable: it holds U+{ord(bad):04X} (control, "
                         "format, bidirectional or separator characters are refused)")
    return value


class Detection(NamedTuple):
    """One report, in the detection wire format (docs/references.md), validated. Immutable.

    ``time`` is timezone-aware UTC. ``epoch_s`` is the same instant in seconds since the
    Unix epoch, kept beside it because the tracker works in floats and the conversion is
    paid once, at the edge.

    A named tuple rather than a frozen dataclass: a million of these are made per replay,
    and a named tuple is several times cheaper to build (docs/performance.md).
    Use ``det._replace(field=value)`` for a changed copy.
    """

    time: datetime
    epoch_s: float
    sensor_id: str
    lat: float
    lon: float
    sigma_m: float = DEFAULT_SIGMA_M
    kind: Kind = Kind.UNKNOWN
    count: int = 1  # type: ignore[assignment]  # shadows tuple.count; the wire name wins
    confidence: float | None = None
    id: str | None = None
    children: int | None = None
    """Extension: how many of ``count`` the sensor judged to be children (None: not judged)."""
    simulated: bool = False
    """Extension: produced by a simulator or replay; carried into every output."""
    count_low: int | None = None
    count_high: int | None = None
    """Extension: the sensor's own plausible range of ``count`` in this report (a thermal
    camera: the people it named, and those plus each warm blob near the group it would not
    name); ``count_low <= count <= count_high``. None: the sensor gave the count alone.
    Last, after ``simulated``, so that no existing positional construction moves."""
