"""A detection: one sensor's report that something was at a place at a time."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import NamedTuple


class Kind(StrEnum):
    """What a sensor or a track thinks an object is (the wire format's ``kind``)."""

    PERSON = "person"
    VEHICLE = "vehicle"
    ANIMAL = "animal"
    UNKNOWN = "unknown"


DEFAULT_SIGMA_M = 25.0
"""Position error assumed when neither the detection nor the sensor registry gives one."""


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
