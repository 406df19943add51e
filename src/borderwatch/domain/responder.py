"""Responder units: the field teams that can reach a group (RCMP, Border Patrol, EMS).

A unit's position comes from a TAK position report (ATAK's self-report, a friendly ``a-f-*``
event) or from the deployment file. Only the latest report of a unit counts; an older one
arriving late is dropped by :func:`newer`, so a delayed packet never moves a team backwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from borderwatch.domain.errors import InputError
from borderwatch.domain.position import Position


@dataclass(frozen=True, slots=True)
class ResponderPosition:
    """One position report of one responder unit.

    ``uid`` is the unit's stable identity (a TAK device UID or a declared unit id);
    ``agency`` is who the unit belongs to (``rcmp``, ``usbp``, ...), taken from the
    connection's certificate or the deployment file, never from the report itself, so a
    device cannot claim another agency. ``speed_mps`` and ``course_deg`` are optional, as
    they are in CoT's ``<track>`` element.
    """

    uid: str
    callsign: str
    agency: str
    position: Position
    time: datetime
    source: str
    speed_mps: float | None = None
    course_deg: float | None = None

    def __post_init__(self) -> None:
        if not self.uid.strip():
            raise InputError("uid", "is required (the unit's stable identity)")
        if self.time.tzinfo is None:
            raise InputError("time", "must carry a time zone (UTC)")
        if self.speed_mps is not None and not 0.0 <= self.speed_mps < 150.0:
            raise InputError("speed", f"must be within [0, 150) m/s, got {self.speed_mps!r}")
        if self.course_deg is not None and not 0.0 <= self.course_deg <= 360.0:
            raise InputError("course", f"must be within [0, 360] degrees, got {self.course_deg!r}")

    def age_s(self, now: datetime) -> float:
        """Seconds since this report (never negative: a clock ahead of ours reads as fresh)."""
        return max(0.0, (now - self.time).total_seconds())


def newer(held: ResponderPosition | None, report: ResponderPosition) -> bool:
    """Whether ``report`` should replace ``held`` for the same unit (strictly later only)."""
    return held is None or report.time > held.time
