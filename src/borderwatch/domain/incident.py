"""Incidents: what the watch stage raises, and the risk that travels with them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from borderwatch.domain.detection import Kind
from borderwatch.domain.sides import Direction


class IncidentType(StrEnum):
    CROSSING = "crossing"
    APPROACH = "approach"


class Severity(StrEnum):
    """Ordered from least to most urgent (CAP 1.2 severity words, lower case)."""

    MINOR = "minor"
    MODERATE = "moderate"
    SEVERE = "severe"
    EXTREME = "extreme"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


RISK_REASON_PARAMS: dict[str, tuple[str, ...]] = {
    "temperature_unknown": (),
    "extreme_cold": ("temperature_c", "wind_chill_c"),
    "severe_cold": ("temperature_c", "wind_chill_c"),
    "cold": ("temperature_c", "wind_chill_c"),
    "night": ("sun_below_deg",),
    "snow": (),
    "ages_unknown": (),
    "children": ("count",),
    "large_group": ("group_size",),
}
"""Every reason code and the numbers it carries. A page writes the reason in its own
language from the code and these numbers (static/lang/server.js has each code in English
and French); ``text`` stays English for older readers. ``wind_chill_c`` is None when the
wind does not make it feel colder. No value is named after a personal field
(alerts/sharing.py ``PERSONAL_FIELDS``): the views scrub such keys at any depth, and the
page would fall back to the English (``children`` is ``count``)."""


@dataclass(frozen=True, slots=True)
class RiskReason:
    """One reason a group is at risk, with its weight in the score."""

    code: str
    """Stable machine id, one of :data:`RISK_REASON_PARAMS`."""
    text: str
    points: int
    params: tuple[tuple[str, int | None], ...] = ()
    """The numbers in ``text`` by name (pairs, so that an incident stays hashable)."""

    def __post_init__(self) -> None:
        names = RISK_REASON_PARAMS.get(self.code)
        if names is None:
            raise ValueError(f"risk reason code {self.code!r} is not in RISK_REASON_PARAMS")
        if tuple(name for name, _ in self.params) != names:
            raise ValueError(f"risk reason {self.code!r} carries {names}, got {self.params}")


@dataclass(frozen=True, slots=True)
class Risk:
    score: int
    severity: Severity
    reasons: tuple[RiskReason, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "level": self.severity.value,
            "reasons": [
                {"code": r.code, "text": r.text, "points": r.points, "params": dict(r.params)}
                for r in self.reasons
            ],
        }


@dataclass(frozen=True, slots=True)
class Incident:
    """An incident, as written in the incident wire format (docs/references.md)."""

    incident_id: str
    type: IncidentType
    time: datetime
    """Estimated time of the event (for a crossing: when the track reached the line), UTC."""
    lat: float
    lon: float
    """For a crossing: the estimated point on the boundary. For an approach: the track."""
    segment: str
    track_id: str
    group_size: int
    detected_at: datetime
    """Data time at which the system raised it; ``detected_at - time`` is the latency."""
    risk: Risk
    direction: Direction | None = None
    kind: Kind = Kind.UNKNOWN
    speed_ms: float = 0.0
    heading_deg: float = 0.0
    distance_to_line_m: float = 0.0
    eta_s: float | None = None
    """For an approach: estimated seconds until the line is reached."""
    children: int | None = None
    group_size_range: tuple[int, int] | None = None
    """The head count's plausible range (low, high), low <= group_size <= high; None where
    the producer gave only a number. Operators act on the range: "7 to 10 people"."""
    simulated: bool = False
    revision: int = 0
    """0 as raised; n for its n-th revision, when the group's head count firmed up after
    it was raised (watch/revision.py): the same ``incident_id``, place and time, a new
    count, range, children and risk; ``detected_at`` stays when it was raised."""
    revised_at: datetime | None = None
    """Data time of this revision (None as raised): a revision does not move
    ``detected_at``, so the latency, the rewound picture and the response's detection
    milestone keep the moment the crossing was first told."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def severity(self) -> Severity:
        return self.risk.severity

    @property
    def latency_s(self) -> float:
        return (self.detected_at - self.time).total_seconds()
