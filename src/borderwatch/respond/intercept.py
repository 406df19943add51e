"""Who can reach a group first: the intercept proposal for an incident.

The group's path is predicted at constant velocity from its last known state (the live
track's position, speed and heading, else the incident's point and velocity) for at most
``horizon_s`` after that state. Each proposable unit (available, not stale:
registry.py) leaves from where it is now, at ``now``, and goes in a straight line at its
off-road speed. The earliest meeting is where the group's predicted position is exactly
``speed * τ`` from the unit after ``τ`` seconds: with ``d`` the group's position
relative to the unit now and ``v`` its velocity, ``|d + v τ| = s τ``, the quadratic
``(v·v − s²) τ² + 2 (d·v) τ + d·d = 0``, smallest root ``τ ≥ 0`` (the classic pursuit
intercept, e.g. Isaacs, *Differential Games*, 1965, ch. 1). Computed in the boundary's
local metric frame (docs/references.md: distances in metres, never degrees).

Assumptions, stated in every answer (``assumptions``):

* straight line, no roads: no road network is bundled (``geo/data`` holds the boundary,
  the ports and the segments only), so without the deployment's own roads (``serve
  --roads``, geo/roads.py) the time is a straight line at the unit's *off-road* speed;
  with them, the earlier of that and the best way by road (by_road.py). The straight
  line at the unit's *road* speed is given as a lower bound (``road_bound_s``) — no
  route can beat it;
* the group keeps its speed and heading (it may stop, turn or split);
* the unit is where it last reported (or at its declared home) and leaves now.

Edge cases: a stationary group is met where it stands (``τ = |d| / s``); a unit already
at the group gets ``τ = 0``; a group faster than a unit, heading away, may never be met:
the unit is listed in ``skipped`` with why; no proposable unit (none declared or
reported, all assigned or off duty, every position stale) gives no proposal and a
``reason`` saying which; a last known state older than the horizon is not extrapolated.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from borderwatch.domain.errors import InputError
from borderwatch.domain.position import Position, check_lat_lon
from borderwatch.domain.time import format_time, parse_time
from borderwatch.geo.projection import LocalFrame
from borderwatch.geo.roads import RoadNetwork
from borderwatch.respond.by_road import earliest_by_road
from borderwatch.respond.registry import Availability, UnitView

HORIZON_S = 1800.0
"""How far ahead the group's path is predicted (30 min): constant velocity is a fair
guess for minutes, not for hours."""
PATH_STEP_S = 60.0
"""The predicted path drawn on the map: one point per minute."""
ASSUMPTIONS = (
    "straight line from the unit to the intercept point at its off-road speed (no road "
    "network is bundled); road_bound_s is the same line at its road speed",
    "the group keeps its last known speed and heading",
    "the unit is at its last reported (or declared home) position and leaves now",
)
ASSUMPTION_CODES = ("straight_line", "keeps_heading", "leaves_now")
"""``ASSUMPTIONS``' stable ids, in order: a page writes them in its language
(static/lang/server.js); the English text stays on the wire for older readers."""
ROAD_ASSUMPTION = (
    "by road where the deployment's road network ({source}) gets there sooner: off road "
    "to a nearby road node, along the roads at the slower of the unit's road speed and "
    "the road's, off road to the meeting point; roads join only where their lines share "
    "a vertex; otherwise the straight line at the unit's off-road speed; road_bound_s is "
    "the straight line at its road speed"
)
NO_PROPOSAL = {
    "no_units": "no responder unit is declared or has reported",
    "too_old": "the group's last known position is older than the prediction horizon",
    "none_available": "no unit is available (all assigned or off duty)",
    "all_stale": "every available unit's position is stale",
    "out_of_reach": "no available unit can reach the group within the horizon",
}
"""Why a plan has no proposal, by code (``reason_code``), in English (``reason``)."""


def assumptions(roads: RoadNetwork | None) -> tuple[str, ...]:
    """What every answer assumes, with or without the deployment's roads."""
    if roads is None:
        return ASSUMPTIONS
    return (ROAD_ASSUMPTION.format(source=roads.source), *ASSUMPTIONS[1:])


def assumption_codes(roads: RoadNetwork | None) -> tuple[str, ...]:
    """The codes of :func:`assumptions`, in the same order (``by_road`` with roads)."""
    return ASSUMPTION_CODES if roads is None else ("by_road", *ASSUMPTION_CODES[1:])


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupMotion:
    """The group's last known state: where, when, how fast, which way."""

    position: Position
    time: datetime
    speed_ms: float
    heading_deg: float
    """Direction of motion, degrees from (grid) north of the local frame."""
    source: str
    """``track`` (the live track) or ``incident`` (the incident's point and velocity)."""

    def __post_init__(self) -> None:
        if self.time.tzinfo is None:
            raise InputError("time", "must carry a time zone (UTC)")
        if not (math.isfinite(self.speed_ms) and self.speed_ms >= 0):
            raise InputError("speed_ms", f"must be a speed >= 0, got {self.speed_ms!r}")
        if not math.isfinite(self.heading_deg):
            raise InputError("heading_deg", f"must be a number, got {self.heading_deg!r}")


def group_motion(incident: Mapping[str, Any],
                 track: Mapping[str, Any] | None = None) -> GroupMotion:
    """The group's state from an incident (the wire format) and, when it is still
    tracked, its live track (properties: lat, lon, time, speed_ms, heading_deg); the
    track wins when it is newer. ``InputError`` names a missing or bad field."""
    for record, source in ((track, "track"), (incident, "incident")):
        if record is None:
            continue
        if source == "track" and parse_time(str(record["time"])) < parse_time(
                str(incident["time"])):
            continue
        lat, lon = check_lat_lon(record.get("lat"), record.get("lon"))
        return GroupMotion(position=Position(lat, lon),
                           time=parse_time(str(record["time"]), "time"),
                           speed_ms=float(record.get("speed_ms") or 0.0),
                           heading_deg=float(record.get("heading_deg") or 0.0),
                           source=source)
    raise InputError("incident", "is required")  # unreachable: the incident is always given


@dataclass(frozen=True, slots=True, kw_only=True)
class Proposal:
    """One unit's earliest intercept."""

    unit_id: str
    callsign: str
    agency: str
    at: datetime
    """When the unit reaches the group (``now + travel_s``)."""
    travel_s: float
    point: Position
    """Where: a point of the group's predicted path."""
    distance_m: float
    """Straight line from the unit to the point."""
    speed_ms: float
    road_bound_s: float
    """``distance_m`` at the unit's road speed: no route can be faster."""
    position_source: str
    age_s: float | None
    simulated: bool
    route: str = "straight"
    """``straight`` (off road all the way) or ``road``."""
    route_path: tuple[Position, ...] = ()
    """The way there: the unit, the road nodes, the point (empty for a straight line)."""
    road_m: float = 0.0
    """Metres of the route on roads."""

    def to_json(self) -> dict[str, Any]:
        return {
            "route": self.route,
            "route_path": [[round(p.lon, 7), round(p.lat, 7)] for p in self.route_path],
            "road_m": round(self.road_m, 1),
            "unit_id": self.unit_id, "callsign": self.callsign, "agency": self.agency,
            "at": format_time(self.at), "travel_s": round(self.travel_s, 1),
            "lat": round(self.point.lat, 7), "lon": round(self.point.lon, 7),
            "distance_m": round(self.distance_m, 1), "speed_ms": self.speed_ms,
            "road_bound_s": round(self.road_bound_s, 1),
            "position_source": self.position_source,
            "age_s": None if self.age_s is None else round(self.age_s, 1),
            "simulated": self.simulated,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class InterceptPlan:
    """The proposals for one incident, earliest first, and why others are missing."""

    incident_id: str
    computed_at: datetime
    group: GroupMotion
    horizon_s: float
    path: tuple[Position, ...]
    """The predicted path from the group's last known state, one point per minute."""
    proposals: tuple[Proposal, ...]
    skipped: tuple[tuple[str, str], ...]
    """``(unit_id, why)`` for each unit not proposed."""
    reason_code: str | None
    """Why there is no proposal, a key of :data:`NO_PROPOSAL` (None when there is one)."""
    simulated: bool
    assumptions: tuple[str, ...] = ASSUMPTIONS
    assumption_codes: tuple[str, ...] = ASSUMPTION_CODES
    road_source: str | None = None
    """The road network's source, the value ``by_road``'s text names (None: no roads)."""

    @property
    def reason(self) -> str | None:
        """Why there is no proposal, in English."""
        return None if self.reason_code is None else NO_PROPOSAL[self.reason_code]

    @property
    def best(self) -> Proposal | None:
        return self.proposals[0] if self.proposals else None

    def to_json(self) -> dict[str, Any]:
        best = self.best
        return {
            "incident_id": self.incident_id,
            "computed_at": format_time(self.computed_at),
            "group": {"lat": round(self.group.position.lat, 7),
                      "lon": round(self.group.position.lon, 7),
                      "time": format_time(self.group.time),
                      "speed_ms": round(self.group.speed_ms, 2),
                      "heading_deg": round(self.group.heading_deg, 1),
                      "source": self.group.source},
            "horizon_s": self.horizon_s,
            "path": [[round(p.lon, 7), round(p.lat, 7)] for p in self.path],
            "proposals": [p.to_json() for p in self.proposals],
            "best": best.unit_id if best is not None else None,
            "skipped": [{"unit_id": u, "why": why} for u, why in self.skipped],
            "reason": self.reason,
            "reason_code": self.reason_code,
            "assumptions": list(self.assumptions),
            "assumption_codes": list(self.assumption_codes),
            "assumption_params": {} if self.road_source is None else {"source": self.road_source},
            "simulated": self.simulated,
        }


def meeting_time_s(relative_east: float, relative_north: float, velocity_east: float,
                   velocity_north: float, speed_ms: float) -> float | None:
    """Seconds until a unit at the origin, at ``speed_ms`` in a straight line, first
    meets a group at ``relative`` moving at ``velocity`` (None: never).

    >>> meeting_time_s(100.0, 0.0, 0.0, 0.0, 10.0)  # a group standing still
    10.0
    >>> meeting_time_s(0.0, 0.0, 1.0, 0.0, 5.0)  # already there
    0.0
    >>> meeting_time_s(100.0, 0.0, 20.0, 0.0, 10.0) is None  # faster, running away
    True
    """
    if speed_ms <= 0:
        raise ValueError(f"speed_ms must be > 0, got {speed_ms}")
    a = velocity_east**2 + velocity_north**2 - speed_ms**2
    b = 2.0 * (relative_east * velocity_east + relative_north * velocity_north)
    c = relative_east**2 + relative_north**2
    if c == 0.0:
        return 0.0
    if abs(a) < 1e-12:  # as fast as the group: one linear root
        return -c / b if b < 0 else None
    disc = b * b - 4.0 * a * c
    if disc < 0:
        return None
    root = math.sqrt(disc)
    # Of the two roots, the smallest that is not negative (Numerical Recipes 5.6's
    # stable form would matter for |b| >> |a c|; here metres and m/s stay well scaled).
    roots = [r for r in ((-b - root) / (2.0 * a), (-b + root) / (2.0 * a)) if r >= 0.0]
    return min(roots) if roots else None


def propose(
    incident_id: str,
    group: GroupMotion,
    units: Sequence[UnitView],
    now: datetime,
    frame: LocalFrame,
    *,
    horizon_s: float = HORIZON_S,
    simulated: bool = False,
    roads: RoadNetwork | None = None,
) -> InterceptPlan:
    """The intercept plan for ``group`` at ``now`` with ``units`` (the registry's units:
    those not proposable are listed in ``skipped``); by road too when ``roads`` are given
    (by_road.py), whichever is sooner. Pure: the same input, the same plan."""
    if not (math.isfinite(horizon_s) and horizon_s > 0):
        raise InputError("horizon_s", f"must be > 0 seconds, got {horizon_s}")
    east0, north0 = frame.point_to_local(group.position.lat, group.position.lon)
    heading = math.radians(group.heading_deg)
    ve, vn = group.speed_ms * math.sin(heading), group.speed_ms * math.cos(heading)
    elapsed = max(0.0, (now - group.time).total_seconds())
    left_s = group.time + timedelta(seconds=horizon_s) - now
    path = tuple(
        Position(*frame.point_to_geo(east0 + ve * t, north0 + vn * t))
        for t in _steps(horizon_s)
    )
    proposals: list[Proposal] = []
    skipped: list[tuple[str, str]] = []
    for unit in units:
        if unit.availability is not Availability.AVAILABLE:
            why = (f"assigned to {unit.assigned_to}" if unit.assigned_to
                   else unit.availability.value.replace("_", " "))
            skipped.append((unit.unit_id, why))
            continue
        if unit.stale:
            skipped.append((unit.unit_id, f"position is stale ({unit.age_s:.0f} s old)"))
            continue
        ue, un = frame.point_to_local(unit.position.lat, unit.position.lon)
        rel_e, rel_n = east0 + ve * elapsed - ue, north0 + vn * elapsed - un
        tau = meeting_time_s(rel_e, rel_n, ve, vn, unit.speed_ms)
        if tau is not None and tau > left_s.total_seconds():
            tau = None
        by_road = None
        if roads is not None and left_s.total_seconds() > 0:
            by_road = earliest_by_road(
                roads, (ue, un), unit.speed_ms, unit.road_speed_ms,
                lambda t: np.column_stack([east0 + ve * (elapsed + t),
                                           north0 + vn * (elapsed + t)]),
                left_s.total_seconds() if tau is None else min(tau, left_s.total_seconds()))
        if by_road is not None and (tau is None or by_road.travel_s < tau):
            tau = by_road.travel_s
        else:
            by_road = None
        if tau is None:
            skipped.append((unit.unit_id, f"cannot reach the group within the {horizon_s:.0f} s "
                            "horizon of its predicted path"))
            continue
        pe, pn = east0 + ve * (elapsed + tau), north0 + vn * (elapsed + tau)
        distance = math.hypot(pe - ue, pn - un)
        route: dict[str, Any] = {}
        if by_road is not None:
            route = {"route": "road", "road_m": by_road.road_m, "route_path": tuple(
                Position(*frame.point_to_geo(float(e), float(n))) for e, n in by_road.route)}
        proposals.append(Proposal(
            unit_id=unit.unit_id, callsign=unit.callsign, agency=unit.agency,
            at=now + timedelta(seconds=tau), travel_s=tau,
            point=Position(*frame.point_to_geo(pe, pn)), distance_m=distance,
            speed_ms=unit.speed_ms, road_bound_s=distance / unit.road_speed_ms,
            position_source=unit.position_source, age_s=unit.age_s,
            simulated=unit.simulated, **route,
        ))
    proposals.sort(key=lambda p: (p.travel_s, p.unit_id))
    return InterceptPlan(
        incident_id=incident_id, computed_at=now, group=group, horizon_s=horizon_s,
        path=path, proposals=tuple(proposals), skipped=tuple(skipped),
        reason_code=None if proposals else _no_proposal(units, left_s),
        simulated=simulated or any(p.simulated for p in proposals),
        assumptions=assumptions(roads),
        assumption_codes=assumption_codes(roads),
        road_source=None if roads is None else roads.source,
    )


def _steps(horizon_s: float) -> list[float]:
    count = int(horizon_s // PATH_STEP_S)
    steps = [i * PATH_STEP_S for i in range(count + 1)]
    return steps if steps[-1] == horizon_s else [*steps, horizon_s]


def _no_proposal(units: Sequence[UnitView], left: timedelta) -> str:
    if not units:
        return "no_units"
    if left.total_seconds() <= 0:
        return "too_old"
    available = [u for u in units if u.availability is Availability.AVAILABLE]
    if not available:
        return "none_available"
    if all(u.stale for u in available):
        return "all_stale"
    return "out_of_reach"
