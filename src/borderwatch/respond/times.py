"""The times of an intervention, per incident: detection, alert, acknowledgement,
assignment, arrival, interception — the "swift intervention" measured.

Each milestone is recorded once and in order (an arrival before its assignment is
refused); recording the same time again is harmless (a retried request). Only the
assignment may be made again, to another unit, until the unit has arrived. The first
three come from the incident and its alert (alerts/lifecycle.py: ``raised_at``,
``acknowledged_at``); the others from operators and the field. Pure; stored through the
:class:`InterventionStore` contract (the storage port's ``interventions``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from itertools import pairwise
from typing import Any, Protocol

from borderwatch.domain.errors import BorderwatchError, InputError
from borderwatch.domain.time import format_time, parse_time


class Milestone(StrEnum):
    """In the order they happen."""

    DETECTION = "detection"
    ALERT = "alert"
    ACKNOWLEDGEMENT = "acknowledgement"
    ASSIGNMENT = "assignment"
    ARRIVAL = "arrival"
    INTERCEPTION = "interception"


ORDER = tuple(Milestone)


class TimesError(BorderwatchError):
    """A time that contradicts what is recorded (out of order, or a second, different one)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class InterventionTimes:
    """The recorded times of one incident's intervention."""

    incident_id: str
    times: dict[Milestone, datetime] = field(default_factory=dict)
    unit_id: str | None = None
    """The unit assigned (the last assignment)."""
    simulated: bool = False

    def at(self, milestone: Milestone) -> datetime | None:
        return self.times.get(milestone)

    def to_json(self) -> dict[str, Any]:
        """Times as UTC text, and the seconds between consecutive recorded milestones
        (``detection_to_alert_s``, ...), skipping what is not recorded."""
        out: dict[str, Any] = {"incident_id": self.incident_id, "unit_id": self.unit_id}
        for milestone in ORDER:
            value = self.times.get(milestone)
            out[milestone.value] = None if value is None else format_time(value)
        recorded = [m for m in ORDER if m in self.times]
        out["intervals_s"] = {
            f"{a.value}_to_{b.value}": round((self.times[b] - self.times[a]).total_seconds(), 1)
            for a, b in pairwise(recorded)
        }
        if Milestone.DETECTION in self.times and Milestone.INTERCEPTION in self.times:
            out["detection_to_interception_s"] = round(
                (self.times[Milestone.INTERCEPTION] - self.times[Milestone.DETECTION])
                .total_seconds(), 1)
        out["simulated"] = self.simulated
        return out


def times_from_json(data: dict[str, Any]) -> InterventionTimes:
    """What :meth:`InterventionTimes.to_json` wrote, back."""
    return InterventionTimes(
        incident_id=str(data["incident_id"]),
        times={m: parse_time(data[m.value], m.value) for m in ORDER if data.get(m.value)},
        unit_id=data.get("unit_id"),
        simulated=bool(data.get("simulated", False)),
    )


def record(times: InterventionTimes, milestone: Milestone, at: datetime, *,
           unit_id: str | None = None) -> InterventionTimes:
    """``times`` with ``milestone`` at ``at`` (the same object when it was already so).
    Raises ``InputError`` for a time without a zone or an assignment without a unit, and
    :class:`TimesError` for a time out of order or a different second time."""
    if at.tzinfo is None:
        raise InputError("time", "must carry a time zone (UTC)")
    if milestone is Milestone.ASSIGNMENT and not unit_id:
        raise InputError("unit_id", "an assignment names the unit")
    held = times.times.get(milestone)
    if held == at and (milestone is not Milestone.ASSIGNMENT or unit_id == times.unit_id):
        return times
    if held is not None and not (milestone is Milestone.ASSIGNMENT
                                 and Milestone.ARRIVAL not in times.times):
        raise TimesError(f"{times.incident_id}: the {milestone.value} is already recorded "
                         f"at {format_time(held)}")
    index = ORDER.index(milestone)
    for earlier in ORDER[:index]:
        before = times.times.get(earlier)
        if before is not None and at < before:
            raise TimesError(f"{times.incident_id}: the {milestone.value} at {format_time(at)} "
                             f"would be before the {earlier.value} at {format_time(before)}")
    for later in ORDER[index + 1:]:
        after = times.times.get(later)
        if after is not None and at > after:
            raise TimesError(f"{times.incident_id}: the {milestone.value} at {format_time(at)} "
                             f"would be after the {later.value} at {format_time(after)}")
    return replace(times, times={**times.times, milestone: at},
                   unit_id=unit_id if milestone is Milestone.ASSIGNMENT else times.unit_id)


class InterventionStore(Protocol):
    """Where intervention times are kept (one record per incident)."""

    def get(self, incident_id: str) -> InterventionTimes | None: ...

    def put(self, times: InterventionTimes) -> None:
        """Store ``times``, replacing the incident's record."""
        ...

    def all(self) -> list[InterventionTimes]:
        """Every record, by incident id."""
        ...


class InMemoryInterventions:
    """The official fake: a dict."""

    def __init__(self) -> None:
        self.records: dict[str, InterventionTimes] = {}

    def get(self, incident_id: str) -> InterventionTimes | None:
        return self.records.get(incident_id)

    def put(self, times: InterventionTimes) -> None:
        self.records[times.incident_id] = times

    def all(self) -> list[InterventionTimes]:
        return [self.records[k] for k in sorted(self.records)]
