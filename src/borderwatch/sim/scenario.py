"""What a scenario file describes: the night, the movers, the sensors, and what was assumed.

The dataclasses here are the validated form of a scenario YAML file (docs/scenario-format.md
documents the file field by field). Positions are WGS 84 ``(lat, lon)`` degrees, times are
timezone-aware UTC, distances metres, speeds metres per second, angles degrees. A fact the
story did not give is either left ``None`` or listed in ``assumptions`` (and, for a person,
in :attr:`Member.assumed`): the simulator never invents a fact silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from borderwatch.domain import Assumption, Kind

LatLon = tuple[float, float]
"""A WGS 84 position, (lat, lon) degrees."""


@dataclass(frozen=True, kw_only=True)
class Member:
    """One person in a group. ``None`` means the story does not say and nothing was assumed."""

    member_id: str
    age: int | None
    """Whole years. Under 18 is a child (IRPR 159.5(e) says "under 18")."""
    nationality: str | None
    """ISO 3166-1 alpha-2, e.g. ``VE``."""
    sex: str | None
    assumed: tuple[str, ...] = ()
    """Names of this member's fields whose values the story did not give (e.g. ``("age",)``)."""

    @property
    def is_child(self) -> bool:
        """A camera judging ages sees a child only when the age is known and under 18."""
        return self.age is not None and self.age < 18


@dataclass(frozen=True, kw_only=True)
class Group:
    """People walking together (a single walker is a group of one), moved as one centroid."""

    entity_id: str
    kind: Kind
    members: tuple[Member, ...]
    relations: tuple[tuple[str, str, str], ...]
    """(person, is, of) with IRPR 159.1 words, e.g. ``("p1", "mother", "p5")``."""
    relations_assumed: bool
    speed_ms: float
    """Mean walking speed, m/s (0.5-1.5 in snow; slower with small children)."""
    waypoints: tuple[LatLon, ...]
    start: datetime
    """When the group leaves its first waypoint; it is not in the scene before."""
    until: datetime | None = None
    """When it leaves the scene (None: the end of the run). It waits at its last waypoint."""
    description: str = ""

    @property
    def group_size(self) -> int:
        return len(self.members)

    @property
    def children(self) -> int:
        return sum(1 for m in self.members if m.is_child)


@dataclass(frozen=True, kw_only=True)
class Vehicle:
    """A vehicle driving along waypoints, optionally back and forth, wandering across its lane."""

    entity_id: str
    speed_ms: float
    waypoints: tuple[LatLon, ...]
    start: datetime
    until: datetime | None = None
    back_and_forth: bool = False
    """Turn round at each end of the route instead of stopping at its last waypoint."""
    lateral_wander_m: float = 0.0
    """Largest offset, metres, either side of the route (e.g. a gravel lane's width)."""
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class Area:
    """A latitude/longitude box an animal wanders in."""

    south: float
    north: float
    west: float
    east: float


@dataclass(frozen=True, kw_only=True)
class Animal:
    """A wandering animal (correlated random walk with occasional bursts) inside ``area``."""

    entity_id: str
    species: str
    area: Area
    speed_ms: float
    """Usual moving speed, m/s."""
    burst_speed_ms: float
    bursts_per_hour: float
    burst_s: float
    """Mean length of a burst (a startled run), seconds."""
    turn_deg: float
    """1-sigma change of heading per second, degrees (small: straight paths)."""
    start_position: LatLon | None = None
    """None: drawn uniformly in the area."""
    start: datetime | None = None
    until: datetime | None = None
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class Frames:
    """A sensor simulated through pixels: its frames are rendered and go through the thermal
    detector (``borderwatch.sim.lwir.sensor``) instead of the detection-probability model."""

    focal_mm: float | None = None
    """None: from the camera's ``fov_deg`` (a drone's: from its footprint and altitude)."""
    pitch_um: float = 12.0
    width_px: int = 640
    height_px: int = 512
    height_m: float = 15.0
    """Camera: mast height above the ground in view."""
    tilt_deg: float | None = None
    """Camera: depression of the optical axis (None: aimed at half of ``range_m``)."""
    altitude_m: float = 100.0
    """Drone: height above the ground."""
    gimbal_pitch_deg: float = -90.0
    """Drone: -90 looks straight down; above it, the camera looks at the orbit's centre."""
    follow_after_tip: str | None = None
    """Camera: a pan-tilt-zoom camera. From this tip's time plus ``follow_delay_s`` it is
    kept on the group of people nearest the tip's reported position (docs/scenario-format.md);
    before that it looks along its ``azimuth_deg``."""
    follow_delay_s: float = 0.0
    """Camera: how long after the tip the operator has the group in view."""


@dataclass(frozen=True, kw_only=True)
class Camera:
    """A fixed night-vision or thermal camera seeing a sector (a pie slice) of ground."""

    sensor_id: str
    position: LatLon
    azimuth_deg: float
    """Centre of view, true bearing clockwise from true north."""
    fov_deg: float
    range_m: float
    revisit_s: float = 1.0
    pd_near: float = 0.95
    """Probability of detection at 0 m, falling linearly to ``pd_far`` at ``range_m``."""
    pd_far: float = 0.5
    sigma0_m: float = 2.0
    sigma_per_km_m: float = 15.0
    """Position error grows with range: sigma = sigma0_m + sigma_per_km_m * range_km."""
    clutter_per_scan: float = 0.02
    p_occluded: float = 0.1
    """Chance each member of a group is hidden from a scan (behind another, in a dip)."""
    children_range_m: float = 0.0
    """Within this range the camera tells children from adults (0: never)."""
    confusion: dict[Kind, dict[Kind, float]] = field(default_factory=dict)
    """True kind -> reported kind -> probability; missing rows use the default."""
    frames: Frames | None = None
    """Set: simulated through rendered frames and the thermal detector (pd, sigma,
    clutter and confusion are then unused)."""
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class Drone:
    """A thermal drone: flies from base to a target point at launch, then orbits there."""

    sensor_id: str
    base: LatLon
    launch_at: datetime | None
    """Absolute launch time, or None when launched ``delay_s`` after tip ``after_tip``."""
    after_tip: str | None
    delay_s: float
    target: LatLon | None
    """None: the position reported by tip ``after_tip``."""
    hold_north_m: float | None = None
    """When set, the target is moved to at least this far on the north side of the line
    (an aircraft that must not overfly the other country)."""
    cruise_ms: float = 15.0
    orbit_radius_m: float = 80.0
    orbit_speed_ms: float = 8.0
    footprint_m: float = 150.0
    """Radius of the ground circle the camera sees, centred under the drone."""
    endurance_s: float | None = None
    """Flight time from launch until it stops observing (None: the rest of the run)."""
    revisit_s: float = 1.0
    pd: float = 0.9
    sigma_m: float = 4.0
    clutter_per_scan: float = 0.005
    p_occluded: float = 0.05
    confusion: dict[Kind, dict[Kind, float]] = field(default_factory=dict)
    frames: Frames | None = None
    """Set: simulated through rendered frames and the thermal detector."""
    description: str = ""


Sensor = Camera | Drone


@dataclass(frozen=True, kw_only=True)
class Tip:
    """A report from the other country's agency: one detection with a large error."""

    tip_id: str
    agency_unit: str
    """Unit id of the caller, e.g. ``USBP-HVM``; the detection's sensor is ``tip:<unit>``."""
    time: datetime
    position: LatLon
    sigma_m: float
    kind: Kind
    text: str
    confidence: float = 0.5


@dataclass(frozen=True, kw_only=True)
class Weather:
    temperature_c: float
    snow_cover: bool
    wind_ms: float


@dataclass(frozen=True, kw_only=True)
class Response:
    """The team that will be sent to intercept (used by the demo, not moved by the sim)."""

    unit_id: str
    base_lat: float
    base_lon: float
    speed_ms: float
    dispatch_delay_s: float


@dataclass(frozen=True, kw_only=True)
class Scenario:
    name: str
    title: str
    description: str
    start: datetime
    end: datetime
    timezone: str
    """IANA zone for display only (times inside are UTC), e.g. ``America/Edmonton``."""
    seed: int
    weather: Weather
    boundary: Path | None
    """A boundary GeoJSON file (resolved against the scenario file), None: the bundled line."""
    groups: tuple[Group, ...]
    vehicles: tuple[Vehicle, ...]
    animals: tuple[Animal, ...]
    sensors: tuple[Sensor, ...]
    tips: tuple[Tip, ...]
    response: Response | None
    assumptions: tuple[Assumption, ...]
    entry: dict[str, Any]
    """Screening facts for a case, e.g. ``{"kind": "between_ports", "from_country": "US"}``."""
    source: str = ""
    """The file it was loaded from."""
