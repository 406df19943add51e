"""Simulated sensors: fixed cameras, a thermal drone, and cross-border tips.

Each sensor scans every ``revisit_s`` seconds. In one scan it reports each mover it covers
with probability ``pd`` (one detection per group: the cluster), labels it through a kind
confusion table, counts the members not occluded, adds Gaussian position noise of the sigma
it reports, and adds Poisson clutter (false detections) in its coverage. Every (sensor,
mover) pair and every sensor's clutter has its own random stream, so adding a sensor or a
mover changes no other pair's draws.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from pyproj import Geod

from borderwatch.domain import Kind
from borderwatch.geo import Boundary, LocalFrame
from borderwatch.sim.movers import BoolArray, Clock, FloatArray, MoverPath, stream
from borderwatch.sim.scenario import Camera, Drone, Tip

KINDS = (Kind.PERSON, Kind.VEHICLE, Kind.ANIMAL, Kind.UNKNOWN)
"""Label order in the arrays below (index into this tuple)."""

Confusion = dict[Kind, dict[Kind, float]]

CAMERA_CONFUSION: Confusion = {
    Kind.PERSON: {Kind.PERSON: 0.85, Kind.UNKNOWN: 0.12, Kind.ANIMAL: 0.03},
    Kind.ANIMAL: {Kind.ANIMAL: 0.80, Kind.UNKNOWN: 0.15, Kind.PERSON: 0.05},
    Kind.VEHICLE: {Kind.VEHICLE: 0.90, Kind.UNKNOWN: 0.10},
    Kind.UNKNOWN: {Kind.UNKNOWN: 1.0},
}
"""Night-vision camera: true kind -> reported kind -> probability."""

THERMAL_CONFUSION: Confusion = {
    Kind.PERSON: {Kind.PERSON: 0.92, Kind.UNKNOWN: 0.06, Kind.ANIMAL: 0.02},
    Kind.ANIMAL: {Kind.ANIMAL: 0.88, Kind.UNKNOWN: 0.10, Kind.PERSON: 0.02},
    Kind.VEHICLE: {Kind.VEHICLE: 0.95, Kind.UNKNOWN: 0.05},
    Kind.UNKNOWN: {Kind.UNKNOWN: 1.0},
}
"""Thermal camera looking down: warm bodies stand out from snow, so fewer confusions."""

CLUTTER_KINDS: dict[Kind, float] = {Kind.UNKNOWN: 0.8, Kind.ANIMAL: 0.15, Kind.PERSON: 0.05}
"""What a false detection (wind-blown snow, a warm rock, a hare) is labelled as."""

NOT_JUDGED = -1
"""``children`` value for "the sensor did not judge ages"."""

_GEOD = Geod(ellps="WGS84")
IntArray = np.ndarray[tuple[int], np.dtype[np.int64]]

FrameProgress = Callable[[str, int, int], None]
"""Told (sensor id, scans done, scans in all) as a frame sensor works through its scans."""



@dataclass(frozen=True, eq=False)
class Observations:
    """A sensor's detections as arrays, in the boundary frame, before they get ids."""

    sensor_id: str
    epoch_s: FloatArray
    east: FloatArray
    north: FloatArray
    sigma_m: FloatArray
    kind: IntArray
    """Index into :data:`KINDS`."""
    count: IntArray
    confidence: FloatArray
    children: IntArray
    """Children judged in the detection, or :data:`NOT_JUDGED`."""
    count_low: IntArray | None = None
    count_high: IntArray | None = None
    """The head count's plausible range the sensor stated per detection (frame sensors:
    the detector's ``Found.count_range``); None: the sensors state the count alone."""
    snapshots: dict[int, bytes] = field(default_factory=dict)
    """Evidence: the PNG crop of the frame behind some detections, by index (frame
    sensors only, adapters/sources/thermal/snapshot.py)."""

    @staticmethod
    def concat(sensor_id: str, parts: Sequence[Observations]) -> Observations:
        """All parts as one, sorted by time (stable, so per-mover order is kept)."""
        epoch = np.concatenate([p.epoch_s for p in parts])
        order = np.argsort(epoch, kind="stable")

        def floats(name: str) -> FloatArray:
            return np.concatenate([getattr(p, name) for p in parts]).astype(float)[order]

        def ints(name: str) -> IntArray:
            return np.concatenate([getattr(p, name) for p in parts]).astype(np.int64)[order]

        def stated(name: str) -> IntArray | None:
            # A part that states no range states its count at both ends.
            if all(getattr(p, name) is None for p in parts):
                return None
            values = [p.count if getattr(p, name) is None else getattr(p, name) for p in parts]
            return np.concatenate(values).astype(np.int64)[order]

        offsets = np.cumsum([0] + [len(p.epoch_s) for p in parts])
        moved = np.empty_like(order)
        moved[order] = np.arange(len(order))  # where each old index went
        snapshots = {int(moved[start + i]): png for p, start in zip(parts, offsets, strict=False)
                     for i, png in p.snapshots.items()}
        return Observations(
            sensor_id=sensor_id,
            epoch_s=epoch[order],
            east=floats("east"),
            north=floats("north"),
            sigma_m=floats("sigma_m"),
            kind=ints("kind"),
            count=ints("count"),
            confidence=floats("confidence"),
            children=ints("children"),
            count_low=stated("count_low"),
            count_high=stated("count_high"),
            snapshots=snapshots,
        )


@dataclass(frozen=True, eq=False)
class _Look:
    """How one sensor sees: its position per scan and its coverage, detection and error."""

    sensor_id: str
    scans: FloatArray
    east: FloatArray
    north: FloatArray
    covered: Callable[[FloatArray, FloatArray, FloatArray], BoolArray]
    """(dx, dy, range) from the sensor -> inside its coverage."""
    pd: Callable[[FloatArray], FloatArray]
    sigma: Callable[[FloatArray], FloatArray]
    reach_m: float
    """Largest range covered (clutter is drawn in coverage within it)."""
    coverage_fraction: float
    """Covered share of the disc of radius ``reach_m`` (a camera's sector: fov / 360)."""
    children_range_m: float
    confusion: Confusion
    p_occluded: float
    clutter_per_scan: float


def camera_observations(
    camera: Camera, paths: Sequence[MoverPath], clock: Clock, frame: LocalFrame, seed: int
) -> Observations:
    """A fixed camera: a sector ``fov_deg`` wide centred on ``azimuth_deg``, out to ``range_m``;
    pd falls linearly from ``pd_near`` at 0 m to ``pd_far`` at ``range_m``; the position error
    grows with range (sigma = sigma0_m + sigma_per_km_m * km)."""
    cam_e, cam_n = frame.point_to_local(*camera.position)
    # The frame's grid north differs from true north (meridian convergence, ~9 degrees at
    # Emerson in the 49th-parallel frame): turn the true azimuth into a grid azimuth.
    lon2, lat2, _ = _GEOD.fwd(camera.position[1], camera.position[0], camera.azimuth_deg, 100.0)
    ahead_e, ahead_n = frame.point_to_local(lat2, lon2)
    grid_az = math.atan2(ahead_e - cam_e, ahead_n - cam_n)
    half_fov = math.radians(camera.fov_deg) / 2.0

    def covered(dx: FloatArray, dy: FloatArray, r: FloatArray) -> BoolArray:
        off_axis = np.abs((np.arctan2(dx, dy) - grid_az + math.pi) % (2 * math.pi) - math.pi)
        return (r <= camera.range_m) & (off_axis <= half_fov + 1e-12)

    scans = np.arange(clock.t0, clock.t_end + 1e-6, camera.revisit_s)
    look = _Look(
        sensor_id=camera.sensor_id,
        scans=scans,
        east=np.full(len(scans), cam_e),
        north=np.full(len(scans), cam_n),
        covered=covered,
        pd=lambda r: camera.pd_near + (camera.pd_far - camera.pd_near) * r / camera.range_m,
        sigma=lambda r: camera.sigma0_m + camera.sigma_per_km_m * r / 1000.0,
        reach_m=camera.range_m,
        coverage_fraction=min(camera.fov_deg, 360.0) / 360.0,
        children_range_m=camera.children_range_m,
        confusion={**CAMERA_CONFUSION, **camera.confusion},
        p_occluded=camera.p_occluded,
        clutter_per_scan=camera.clutter_per_scan,
    )
    return _observe(look, paths, clock, seed)


@dataclass(frozen=True)
class DroneFlight:
    """When and where a drone flies: launch, transit to its orbit, on station, back."""

    launch_s: float
    on_station_s: float
    off_station_s: float | None
    base: tuple[float, float]
    entry: tuple[float, float]
    """Point of the orbit it flies to (on the circle, on the side facing the base)."""
    target: tuple[float, float]
    """Orbit centre, boundary frame metres."""
    target_lat_lon: tuple[float, float]

    def position(self, times: FloatArray, drone: Drone) -> tuple[FloatArray, FloatArray]:
        """Nadir point (frame metres) at each time; before launch, at the base."""
        (be, bn), (ee, en), (te, tn) = self.base, self.entry, self.target
        transit = max(self.on_station_s - self.launch_s, 1e-9)
        frac = np.clip((times - self.launch_s) / transit, 0.0, 1.0)
        east, north = be + (ee - be) * frac, bn + (en - bn) * frac
        radius = drone.orbit_radius_m
        if radius > 0:
            theta0 = math.atan2(ee - te, en - tn)
            theta = theta0 + drone.orbit_speed_ms / radius * np.maximum(
                times - self.on_station_s, 0.0
            )
            orbiting = times >= self.on_station_s
            east = np.where(orbiting, te + radius * np.sin(theta), east)
            north = np.where(orbiting, tn + radius * np.cos(theta), north)
        return east, north


def plan_flight(drone: Drone, tips: Sequence[Tip], boundary: Boundary) -> DroneFlight:
    """Launch time and target from the scenario; hold north of the line if asked."""
    frame = boundary.frame
    tip = next((t for t in tips if t.tip_id == drone.after_tip), None)
    launch = (
        drone.launch_at.timestamp()
        if drone.launch_at is not None
        else (tip.time.timestamp() if tip else 0.0) + drone.delay_s
    )
    target_geo = drone.target or (tip.position if tip else drone.base)
    te, tn = frame.point_to_local(*target_geo)
    if drone.hold_north_m is not None:
        signed, piece = boundary.signed_distance_local([te], [tn])
        short = drone.hold_north_m - float(signed[0])
        if short > 0:
            normal = boundary.north_normal(piece)[0]
            te, tn = te + short * float(normal[0]), tn + short * float(normal[1])
    be, bn = frame.point_to_local(*drone.base)
    away = math.hypot(be - te, bn - tn)
    radius = drone.orbit_radius_m
    ee, en = (
        (te + radius * (be - te) / away, tn + radius * (bn - tn) / away)
        if away > radius
        else (te, tn + radius)
    )
    on_station = launch + math.hypot(ee - be, en - bn) / drone.cruise_ms
    off = None if drone.endurance_s is None else launch + drone.endurance_s
    return DroneFlight(
        launch, on_station, off, (be, bn), (ee, en), (te, tn), frame.point_to_geo(te, tn)
    )


def drone_observations(
    drone: Drone, flight: DroneFlight, paths: Sequence[MoverPath], clock: Clock, seed: int
) -> Observations:
    """A thermal camera looking straight down: a ground circle of ``footprint_m`` under the
    drone, constant pd and sigma, no age judgement (a child is a few pixels at 120 m)."""
    last = clock.t_end if flight.off_station_s is None else min(clock.t_end, flight.off_station_s)
    scans = np.arange(max(flight.launch_s, clock.t0), last + 1e-6, drone.revisit_s)
    east, north = flight.position(scans, drone)
    look = _Look(
        sensor_id=drone.sensor_id,
        scans=scans,
        east=east,
        north=north,
        covered=lambda dx, dy, r: r <= drone.footprint_m,
        pd=lambda r: np.full(r.shape, drone.pd),
        sigma=lambda r: np.full(r.shape, drone.sigma_m),
        reach_m=drone.footprint_m,
        coverage_fraction=1.0,
        children_range_m=-1.0,
        confusion={**THERMAL_CONFUSION, **drone.confusion},
        p_occluded=drone.p_occluded,
        clutter_per_scan=drone.clutter_per_scan,
    )
    return _observe(look, paths, clock, seed)


def _observe(look: _Look, paths: Sequence[MoverPath], clock: Clock, seed: int) -> Observations:
    parts = [_observe_mover(look, path, clock, seed) for path in paths]
    parts.append(_clutter(look, seed))
    return Observations.concat(look.sensor_id, parts)


def _observe_mover(look: _Look, path: MoverPath, clock: Clock, seed: int) -> Observations:
    """One detection per scan in which the sensor covers the mover and pd lets it through.
    Every draw is made for every scan, so coverage changes elsewhere never shift them."""
    rng = stream(seed, "sensor", look.sensor_id, path.entity_id)
    n = len(look.scans)
    east, north, present = path.at(look.scans, clock)
    dx, dy = east - look.east, north - look.north
    r = np.hypot(dx, dy)
    detected = present & look.covered(dx, dy, r) & (rng.random(n) < look.pd(r))
    label = _labels(rng.random(n), look.confusion[path.kind])
    noise = rng.standard_normal((n, 2))
    hidden = rng.random((n, path.group_size)) < look.p_occluded
    keep = rng.integers(0, path.group_size, n)  # the one still seen when all are hidden
    hidden[np.arange(n), keep] &= ~hidden.all(axis=1)
    seen = ~hidden
    confidence_noise = rng.normal(0.0, 0.03, n)
    wrong_confidence = rng.uniform(0.3, 0.55, n)

    sel = np.nonzero(detected)[0]
    sigma = look.sigma(r[sel])
    child_flags = np.array(path.child_flags or (False,) * path.group_size, bool)
    count = seen[sel].sum(axis=1) if path.group_size > 1 else np.ones(len(sel), np.int64)
    children = (seen[sel] & child_flags).sum(axis=1)
    judged = (r[sel] <= look.children_range_m) & (label[sel] == KINDS.index(Kind.PERSON))
    right = label[sel] == KINDS.index(path.kind)
    confidence = np.where(
        right,
        np.clip(0.95 - 0.35 * r[sel] / look.reach_m + confidence_noise[sel], 0.5, 0.95),
        wrong_confidence[sel],
    )
    return Observations(
        look.sensor_id,
        look.scans[sel],
        east[sel] + noise[sel, 0] * sigma,
        north[sel] + noise[sel, 1] * sigma,
        sigma,
        label[sel],
        count.astype(np.int64),
        confidence,
        np.where(judged, children, NOT_JUDGED).astype(np.int64),
    )


def _clutter(look: _Look, seed: int) -> Observations:
    """Poisson false detections per scan (mean ``clutter_per_scan``), uniform over the
    covered area, count 1, low confidence."""
    rng = stream(seed, "clutter", look.sensor_id)
    # Draw over the whole disc at a rate scaled up by disc/coverage, keep what is covered:
    # the kept points are a Poisson process of rate clutter_per_scan over the coverage.
    per_scan = rng.poisson(look.clutter_per_scan / look.coverage_fraction, len(look.scans))
    scan = np.repeat(np.arange(len(look.scans)), per_scan)
    m = len(scan)
    radius = look.reach_m * np.sqrt(rng.random(m))
    bearing = rng.uniform(0.0, 2 * math.pi, m)
    dx, dy = radius * np.sin(bearing), radius * np.cos(bearing)
    inside = look.covered(dx, dy, radius)
    scan, dx, dy, radius = scan[inside], dx[inside], dy[inside], radius[inside]
    label = _labels(rng.random(len(scan)), CLUTTER_KINDS)
    return Observations(
        look.sensor_id,
        look.scans[scan],
        look.east[scan] + dx,
        look.north[scan] + dy,
        look.sigma(radius),
        label,
        np.ones(len(scan), np.int64),
        rng.uniform(0.1, 0.4, len(scan)),
        np.full(len(scan), NOT_JUDGED, np.int64),
    )


def _labels(uniform: FloatArray, row: dict[Kind, float]) -> IntArray:
    """Sample reported kinds (indices into KINDS) from one confusion row."""
    probs = np.array([row.get(k, 0.0) for k in KINDS])
    cumulative = np.cumsum(probs / probs.sum())
    return np.minimum(np.searchsorted(cumulative, uniform, side="right"), len(KINDS) - 1).astype(
        np.int64
    )
