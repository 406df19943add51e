"""The responder registry: where each field unit is, how old that is, and whether it can
be sent.

Units come from two places: the deployment file's ``responders:`` list (declared, with a
home position and speeds) and position reports (a TAK device seen only by its reports is
listed too). Only the latest report of a unit counts (:func:`domain.responder.newer`).

What is proposed for an intercept (:meth:`ResponderRegistry.candidates`): units that are
``available`` and whose position is fresh. A reported position older than
``stale_after_s`` is still shown, with its age, but not proposed: the team has moved
since. A declared unit that never reported is proposed from its home position, and says
so (``position_source = "home"``): that is what a deployment without TAK feeds has.

Pure: time is passed in, nothing is locked here (the service holds one lock around it).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from borderwatch.domain.errors import InputError
from borderwatch.domain.position import Position, check_lat_lon
from borderwatch.domain.responder import ResponderPosition, newer
from borderwatch.domain.time import format_time

STALE_AFTER_S = 600.0
"""A reported position older than this (10 min) is shown with its age, never proposed."""
DEFAULT_SPEED_MS = 8.0
"""The speed assumed for a unit seen only by its reports (no declared speeds): about
29 km/h, a patrol vehicle across snow-covered fields (the Coutts scenario's response)."""


class Availability(StrEnum):
    AVAILABLE = "available"
    ASSIGNED = "assigned"
    """Sent to an incident: not proposed for another until released."""
    OFF_DUTY = "off_duty"


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclaredUnit:
    """A unit as the deployment file declares it (``responders:``)."""

    unit_id: str
    """The unit's stable identity; a TAK device reporting with this uid is this unit."""
    callsign: str
    agency: str
    home: Position
    """Where the unit is when it has not reported (its station or usual patrol point)."""
    road_speed_ms: float
    """Average speed on roads, m/s."""
    offroad_speed_ms: float
    """Average speed off road (fields, snow, on foot at the end), m/s."""
    simulated: bool = False
    """A unit made up for an exercise or the demo: every output says so."""

    def __post_init__(self) -> None:
        if not self.unit_id.strip():
            raise InputError("id", "is required (the unit's stable identity)")
        for name in ("road_speed_ms", "offroad_speed_ms"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and 0 < value < 150):
                raise InputError(name.replace("_ms", ""),
                                 f"must be a speed in (0, 150) m/s, got {value!r}")


_UNIT_KEYS = {"id", "callsign", "agency", "home", "road_speed_ms", "offroad_speed_ms",
              "simulated"}


def parse_responders(raw: Any, where: str = "responders") -> tuple[DeclaredUnit, ...]:
    """The deployment file's ``responders:`` list; ``InputError`` names the item and the
    field (``responders[1].home``)::

        responders:
          - {id: RCMP-K-IBET-1, callsign: "IBET 1", agency: RCMP,
             home: {lat: 49.003, lon: -111.955}, road_speed_ms: 22, offroad_speed_ms: 8}
    """
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InputError(where, "must be a list of units (id, callsign, agency, home, "
                         "road_speed_ms, offroad_speed_ms)")
    units: list[DeclaredUnit] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        at = f"{where}[{index}]"
        if not isinstance(item, Mapping):
            raise InputError(at, "must be a mapping")
        unknown = set(item) - _UNIT_KEYS
        if unknown:
            raise InputError(at, f"unknown keys {sorted(unknown)}; use {sorted(_UNIT_KEYS)}")
        for key in ("id", "agency", "home", "road_speed_ms", "offroad_speed_ms"):
            if item.get(key) is None:
                raise InputError(f"{at}.{key}", "is required")
        home = item["home"]
        if not isinstance(home, Mapping):
            raise InputError(f"{at}.home", "must be {lat: ..., lon: ...}")
        try:
            lat, lon = check_lat_lon(home.get("lat"), home.get("lon"))
            unit = DeclaredUnit(
                unit_id=str(item["id"]),
                callsign=str(item.get("callsign") or item["id"]),
                agency=str(item["agency"]),
                home=Position(lat, lon),
                road_speed_ms=_speed(item["road_speed_ms"]),
                offroad_speed_ms=_speed(item["offroad_speed_ms"]),
                simulated=bool(item.get("simulated", False)),
            )
        except InputError as err:
            field_name = "home." + str(err.field) if err.field in ("lat", "lon") else err.field
            raise InputError(f"{at}.{field_name}", err.reason) from None
        if unit.unit_id in seen:
            raise InputError(f"{at}.id", f"{unit.unit_id!r} is declared twice")
        seen.add(unit.unit_id)
        units.append(unit)
    return tuple(units)


def _speed(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan  # refused by DeclaredUnit with the field's name
    return float(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class UnitView:
    """One unit as the registry shows it at ``now``."""

    unit_id: str
    callsign: str
    agency: str
    position: Position
    position_source: str
    """``report`` (a position report), or ``home`` (declared, never reported)."""
    reported_at: datetime | None
    age_s: float | None
    """Seconds since the report (None: never reported)."""
    availability: Availability
    stale: bool
    declared: bool
    speed_ms: float
    """The speed an intercept assumes: off-road (declared) or the default (reported only)."""
    road_speed_ms: float
    speed_assumed: bool
    """True for a unit seen only by its reports: its speeds are :data:`DEFAULT_SPEED_MS`."""
    assigned_to: str | None
    simulated: bool

    @property
    def proposable(self) -> bool:
        return self.availability is Availability.AVAILABLE and not self.stale

    def to_json(self) -> dict[str, Any]:
        return {
            "unit_id": self.unit_id, "callsign": self.callsign, "agency": self.agency,
            "lat": round(self.position.lat, 7), "lon": round(self.position.lon, 7),
            "position_source": self.position_source,
            "reported_at": _iso(self.reported_at),
            "age_s": None if self.age_s is None else round(self.age_s, 1),
            "availability": self.availability.value, "stale": self.stale,
            "declared": self.declared, "speed_ms": self.speed_ms,
            "road_speed_ms": self.road_speed_ms, "speed_assumed": self.speed_assumed,
            "assigned_to": self.assigned_to, "simulated": self.simulated,
        }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else format_time(value)


@dataclass
class ResponderRegistry:
    """Declared units, the latest report of every unit, and who is available."""

    declared: Mapping[str, DeclaredUnit] = field(default_factory=dict)
    stale_after_s: float = STALE_AFTER_S
    default_speed_ms: float = DEFAULT_SPEED_MS
    latest: dict[str, ResponderPosition] = field(default_factory=dict)
    availability: dict[str, Availability] = field(default_factory=dict)
    assigned_to: dict[str, str] = field(default_factory=dict)
    simulated_reports: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.stale_after_s) and self.stale_after_s > 0):
            raise InputError("stale_after_s", f"must be > 0 seconds, got {self.stale_after_s}")
        self.declared = dict(self.declared)

    @classmethod
    def of(cls, units: Iterable[DeclaredUnit], **kwargs: Any) -> ResponderRegistry:
        return cls(declared={u.unit_id: u for u in units}, **kwargs)

    def report(self, position: ResponderPosition, *, simulated: bool = False) -> bool:
        """Keep ``position`` if it is the unit's latest; whether it was kept. A report of
        a declared unit from another agency is refused (``InputError``): the agency comes
        from the connection, and a device cannot speak for another agency's unit."""
        unit = self.declared.get(position.uid)
        if unit is not None and unit.agency != position.agency:
            raise InputError("uid", f"{position.uid!r} is a unit of {unit.agency}, "
                             f"reported by a connection of {position.agency}")
        if not newer(self.latest.get(position.uid), position):
            return False
        self.latest[position.uid] = position
        if simulated:
            self.simulated_reports.add(position.uid)
        else:
            self.simulated_reports.discard(position.uid)
        return True

    def set_availability(self, unit_id: str, availability: Availability,
                         incident_id: str | None = None) -> None:
        """Mark a unit; ``assigned`` carries the incident. ``KeyError`` for an unknown unit."""
        if unit_id not in self.declared and unit_id not in self.latest:
            raise KeyError(unit_id)
        self.availability[unit_id] = availability
        if availability is Availability.ASSIGNED and incident_id is not None:
            self.assigned_to[unit_id] = incident_id
        else:
            self.assigned_to.pop(unit_id, None)

    def unit(self, unit_id: str, now: datetime) -> UnitView | None:
        if unit_id not in self.declared and unit_id not in self.latest:
            return None
        return self._view(unit_id, now)

    def units(self, now: datetime) -> list[UnitView]:
        """Every unit, declared first then by id."""
        ids = sorted(set(self.declared) | set(self.latest),
                     key=lambda u: (u not in self.declared, u))
        return [self._view(u, now) for u in ids]

    def candidates(self, now: datetime) -> list[UnitView]:
        """The units an intercept may propose: available and not stale."""
        return [u for u in self.units(now) if u.proposable]

    def _view(self, unit_id: str, now: datetime) -> UnitView:
        unit = self.declared.get(unit_id)
        report = self.latest.get(unit_id)
        age = report.age_s(now) if report is not None else None
        if report is not None:
            position, source = report.position, "report"
        else:
            assert unit is not None  # a unit is declared or reported
            position, source = unit.home, "home"
        return UnitView(
            unit_id=unit_id,
            callsign=(report.callsign if report is not None and report.callsign
                      else unit.callsign if unit is not None else unit_id),
            agency=unit.agency if unit is not None else report.agency if report else "",
            position=position,
            position_source=source,
            reported_at=report.time if report is not None else None,
            age_s=age,
            availability=self.availability.get(unit_id, Availability.AVAILABLE),
            stale=age is not None and age > self.stale_after_s,
            declared=unit is not None,
            speed_ms=unit.offroad_speed_ms if unit is not None else self.default_speed_ms,
            road_speed_ms=unit.road_speed_ms if unit is not None else self.default_speed_ms,
            speed_assumed=unit is None,
            assigned_to=self.assigned_to.get(unit_id),
            simulated=(unit.simulated if unit is not None else False)
            or unit_id in self.simulated_reports,
        )
