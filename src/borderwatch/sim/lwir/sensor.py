"""Scenario sensors that produce frames: render what a camera or drone sees, detect in it.

A scenario camera or drone with a ``frames`` block (docs/scenario-format.md) is simulated
through pixels instead of a detection-probability table: at each scan the movers in view are
rendered as a long-wave infrared frame (``render.py``) and the frame goes through the same
detector as real footage (``borderwatch.adapters.sources.thermal``). What it reports — position and
its error, kind, head count, children — is what the detector found, with its misses and
mistakes. The camera's focal length follows from its field of view unless given.

A camera or a drone's gimbal with ``follow_after_tip`` is steered by a stand-in for its
operator (``pan_tilt.py``). Frames are made by ``stream.py``: a camera that holds its pose
keeps its snow and sky and redraws only what moved; a drone's view is redrawn every frame.

Shortcuts, stated: the ground is flat; a scan with no mover in the image is not rendered
(the detector's false reports on empty frames are measured in ``bench/thermal.py``); the
pose the detector is told differs from the true one by one draw from the error budget per
sensor, which stays with the camera as it turns (a pan-tilt head's or gimbal's own angles
are read exactly).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from borderwatch.adapters.sources.thermal.camera import (
    Intrinsics,
    Pose,
    PoseErrors,
    geo_to_local,
    local_to_geo,
    project,
)
from borderwatch.adapters.sources.thermal.camera_file import DRONE_ERRORS, FIXED_ERRORS
from borderwatch.adapters.sources.thermal.classifier import Classifier, load_classifier
from borderwatch.adapters.sources.thermal.detector import Found, FrameDetector
from borderwatch.adapters.sources.thermal.snapshot import crop_png
from borderwatch.domain import Kind
from borderwatch.geo import LocalFrame
from borderwatch.sim.lwir import bodies as make
from borderwatch.sim.lwir.bodies import Part
from borderwatch.sim.lwir.pan_tilt import aim, follow_poses, followed_group
from borderwatch.sim.lwir.render import Body, Conditions, Sensor
from borderwatch.sim.lwir.stream import FrameStream
from borderwatch.sim.movers import Clock, MoverPath, stream
from borderwatch.sim.scenario import Camera, Drone, Frames, Scenario
from borderwatch.sim.sensors import KINDS, NOT_JUDGED, DroneFlight, FrameProgress, Observations

FILE_SPACING_M = 2.0
"""People of a group walk in a line, this far apart (the Coutts group: "a couple of metres")."""
EVIDENCE_EVERY_S = 10.0
"""A person detection keeps its frame's crop as evidence at most this often per sensor:
enough for an operator to look at, kilobytes for a night (snapshot.py)."""
_KIND_INDEX = {
    "person": KINDS.index(Kind.PERSON),
    "vehicle": KINDS.index(Kind.VEHICLE),
    "animal": KINDS.index(Kind.ANIMAL),
    "unknown": KINDS.index(Kind.UNKNOWN),
}


def child_height_m(age: int) -> float:
    """Typical standing height of a child (WHO growth reference medians, rounded: 1.10 m at
    5, 1.22 m at 7, 1.38 m at 10, 1.56 m at 13)."""
    return float(np.interp(age, [2, 5, 7, 10, 13, 17], [0.87, 1.10, 1.22, 1.38, 1.56, 1.70]))


@dataclass(eq=False)
class _Cast:
    """The bodies of every mover, made once (their temperatures stay the same all night)."""

    parts: dict[str, list[tuple[tuple[Part, ...], float, bool]]]
    kinds: dict[str, str]


def _cast(scenario: Scenario, paths: Sequence[MoverPath], air_k: float) -> _Cast:
    groups = {g.entity_id: g for g in scenario.groups}
    animals = {a.entity_id: a for a in scenario.animals}
    parts: dict[str, list[tuple[tuple[Part, ...], float, bool]]] = {}
    kinds: dict[str, str] = {}
    for path in paths:
        rng = stream(scenario.seed, "lwir-body", path.entity_id)
        if path.entity_id in groups:
            members = []
            for member in groups[path.entity_id].members:
                child = member.is_child
                height = child_height_m(member.age) if child and member.age is not None else None
                body, h = make.walker(rng, air_k, child=child, height_m=height)
                members.append((body, h, child))
            parts[path.entity_id], kinds[path.entity_id] = members, "person"
        elif path.entity_id in animals:
            species = animals[path.entity_id].species
            shape = "deer" if species not in ("coyote", "fox", "wolf", "dog") else "coyote"
            parts[path.entity_id] = [(make.quadruped(rng, air_k, shape), 0.0, False)]
            kinds[path.entity_id] = shape
        else:
            parts[path.entity_id] = [(make.vehicle(rng, air_k), 0.0, False)]
            kinds[path.entity_id] = "vehicle"
    return _Cast(parts, kinds)


def _intrinsics(frames: Frames, fov_deg: float | None) -> Intrinsics:
    focal = frames.focal_mm
    if focal is None:
        fov = min(fov_deg if fov_deg is not None else 17.5, 120.0)
        sensor_mm = frames.width_px * frames.pitch_um / 1000.0
        focal = sensor_mm / 2.0 / math.tan(math.radians(fov) / 2.0)
    return Intrinsics(
        width_px=frames.width_px,
        height_px=frames.height_px,
        focal_mm=focal,
        pitch_um=frames.pitch_um,
    )


def _reported(pose: Pose, errors: PoseErrors, rng: np.random.Generator) -> Pose:
    d_east, d_north = rng.normal(0.0, errors.position_m, 2)
    lat, lon = local_to_geo(pose, np.array([d_east]), np.array([d_north]))
    return replace(
        pose,
        lat=float(lat[0]),
        lon=float(lon[0]),
        height_m=pose.height_m + float(rng.normal(0.0, errors.height_m)),
        azimuth_deg=(pose.azimuth_deg + float(rng.normal(0.0, errors.azimuth_deg))) % 360.0,
        tilt_deg=pose.tilt_deg + float(rng.normal(0.0, errors.tilt_deg)),
    )


def camera_frame_observations(
    camera: Camera,
    scenario: Scenario,
    paths: Sequence[MoverPath],
    clock: Clock,
    frame: LocalFrame,
    classifier: Classifier | None = None,
    progress: FrameProgress | None = None,
) -> Observations:
    """A fixed or pan-tilt camera seen through its frames (``camera.frames`` must be set)."""
    assert camera.frames is not None
    spec = camera.frames
    tilt = spec.tilt_deg
    if tilt is None:  # aim the image centre at half the camera's stated range
        tilt = math.degrees(math.atan2(spec.height_m, camera.range_m / 2.0))
    home = Pose(
        lat=camera.position[0],
        lon=camera.position[1],
        height_m=spec.height_m,
        azimuth_deg=camera.azimuth_deg,
        tilt_deg=tilt,
    )
    scans = np.arange(clock.t0, clock.t_end + 1e-6, camera.revisit_s)
    intr = _intrinsics(spec, camera.fov_deg)
    poses = (
        [home] * len(scans)
        if spec.follow_after_tip is None
        else follow_poses(camera, home, intr, scenario, paths, scans, clock, frame)
    )
    return _observe(
        camera.sensor_id,
        intr,
        FIXED_ERRORS,
        True,
        poses,
        scans,
        scenario,
        paths,
        clock,
        frame,
        classifier,
        progress,
    )


def drone_frame_observations(
    drone: Drone,
    flight: DroneFlight,
    scenario: Scenario,
    paths: Sequence[MoverPath],
    clock: Clock,
    frame: LocalFrame,
    classifier: Classifier | None = None,
    progress: FrameProgress | None = None,
) -> Observations:
    """A drone's camera seen through its frames: it flies the planned flight at
    ``frames.altitude_m``, its gimbal at ``frames.gimbal_pitch_deg``."""
    assert drone.frames is not None
    spec = drone.frames
    last = clock.t_end if flight.off_station_s is None else min(clock.t_end, flight.off_station_s)
    scans = np.arange(max(flight.launch_s, clock.t0), last + 1e-6, drone.revisit_s)
    east, north = flight.position(scans, drone)
    lat, lon = frame.to_geo(east, north)
    ahead_e, ahead_n = flight.position(scans + 1.0, drone)
    yaw = np.degrees(np.arctan2(ahead_e - east, ahead_n - north))
    if spec.gimbal_pitch_deg > -90.0:
        # An oblique camera on station looks at the orbit's centre (a "point of interest"
        # orbit: the drone's nose, or its gimbal, turned toward the target); in transit it
        # looks ahead.
        target_e, target_n = flight.target
        toward = np.degrees(np.arctan2(target_e - east, target_n - north))
        yaw = np.where(scans >= flight.on_station_s, toward, yaw)
    poses = [
        Pose(
            lat=float(lat[i]),
            lon=float(lon[i]),
            height_m=spec.altitude_m,
            azimuth_deg=float(yaw[i]) % 360.0,
            tilt_deg=-spec.gimbal_pitch_deg,
        )
        for i in range(len(scans))
    ]
    if spec.follow_after_tip is not None:
        poses = _gimbal_on_group(drone, flight, poses, scans, scenario, paths, clock, frame)
    # The drone's camera sees a footprint set by its altitude and lens; the scenario's
    # footprint_m only sizes the lens when no focal length is given.
    fov = 2.0 * math.degrees(math.atan2(drone.footprint_m, spec.altitude_m))
    return _observe(
        drone.sensor_id,
        _intrinsics(spec, fov),
        DRONE_ERRORS,
        False,
        poses,
        scans,
        scenario,
        paths,
        clock,
        frame,
        classifier,
        progress,
    )


def _gimbal_on_group(
    drone: Drone,
    flight: DroneFlight,
    poses: list[Pose],
    scans: np.ndarray,
    scenario: Scenario,
    paths: Sequence[MoverPath],
    clock: Clock,
    frame: LocalFrame,
) -> list[Pose]:
    """On station, the operator keeps the camera on the followed group while it is within
    the drone's ``footprint_m`` (``pan_tilt.py``); otherwise the camera keeps its pose."""
    assert drone.frames is not None
    group, on_at = followed_group(drone.frames, scenario, paths, clock, frame)
    if group is None:
        return poses
    east, north, present = group.at(scans, clock)
    lat, lon = frame.to_geo(east, north)
    out = []
    for k, pose in enumerate(poses):
        if scans[k] >= max(on_at, flight.on_station_s) and present[k]:
            ge, gn = geo_to_local(pose, lat[k : k + 1], lon[k : k + 1])
            if math.hypot(float(ge[0]), float(gn[0])) <= drone.footprint_m:
                pose = aim(pose, float(ge[0]), float(gn[0]))
        out.append(pose)
    return out


def _observe(
    sensor_id: str,
    intr: Intrinsics,
    errors: PoseErrors,
    fixed: bool,
    poses: list[Pose],
    scans: np.ndarray,
    scenario: Scenario,
    paths: Sequence[MoverPath],
    clock: Clock,
    frame: LocalFrame,
    classifier: Classifier | None,
    progress: FrameProgress | None,
) -> Observations:
    cond = Conditions(air_c=scenario.weather.temperature_c)
    cast = _cast(scenario, paths, cond.air_k)
    rng = stream(scenario.seed, "lwir-sensor", sensor_id)
    sensor = Sensor(intrinsics=intr, rng=rng, conditions=cond)
    detector = FrameDetector(
        intrinsics=intr,
        errors=errors,
        classifier=classifier or load_classifier(),
        fixed=fixed,
        radiometric=True,
    )
    error_rng = stream(scenario.seed, "lwir-pose", sensor_id)
    home = poses[0]
    told = _reported(home, errors, error_rng)
    phases = rng.uniform(0.0, 2.0 * math.pi, 3)
    frames = FrameStream(intr, cond, sensor, phases)
    rows: list[tuple[float, Found]] = []
    snapshots: dict[int, bytes] = {}
    next_evidence_s = -math.inf
    positions = [p.at(scans, clock) for p in paths]
    before = [p.at(scans - 1.0, clock) for p in paths]
    held: Pose | None = None
    for k, t in enumerate(scans):
        if progress is not None and k % 100 == 0:
            progress(sensor_id, k, len(scans))
        pose = poses[k]
        bodies = _bodies(pose, paths, positions, before, k, cast, frame)
        if not _in_view(pose, intr, bodies):
            continue
        if fixed:
            if held is not None and pose != held:
                detector.reset()  # a pan-tilt camera moved: its background is learnt anew
            held = pose
            # The pose error is the camera's own (survey, calibration): it moves with it.
            told_now = replace(
                told,
                azimuth_deg=(told.azimuth_deg + pose.azimuth_deg - home.azimuth_deg) % 360.0,
                tilt_deg=told.tilt_deg + pose.tilt_deg - home.tilt_deg,
            )
        else:
            told_now = replace(
                told,
                lat=pose.lat,
                lon=pose.lon,
                azimuth_deg=pose.azimuth_deg,
                tilt_deg=told.tilt_deg + pose.tilt_deg - home.tilt_deg,
            )
        image, _ = frames.frame(k, pose, bodies, moving=not fixed)
        for found in detector.detect(image, told_now):
            rows.append((float(t), _geo(found, told_now)))
            if found.kind == "person" and float(t) >= next_evidence_s:
                snapshots[len(rows) - 1] = crop_png(image, found.box)
                next_evidence_s = float(t) + EVIDENCE_EVERY_S
    if progress is not None:
        progress(sensor_id, len(scans), len(scans))
    return replace(_to_observations(sensor_id, rows, frame), snapshots=snapshots)


def _bodies(
    pose: Pose,
    paths: Sequence[MoverPath],
    positions: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    before: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    k: int,
    cast: _Cast,
    frame: LocalFrame,
) -> list[Body]:
    placed: list[tuple[str, int, float, float, float]] = []  # mover, member, east, north, heading
    for path, (east, north, present), (east0, north0, _) in zip(
        paths, positions, before, strict=True
    ):
        if not present[k]:
            continue
        de, dn = east[k] - east0[k], north[k] - north0[k]
        heading = math.degrees(math.atan2(de, dn)) if math.hypot(de, dn) > 1e-3 else 0.0
        hx, hy = math.sin(math.radians(heading)), math.cos(math.radians(heading))
        n = len(cast.parts[path.entity_id])
        for m in range(n):
            along = ((n - 1) / 2.0 - m) * FILE_SPACING_M
            placed.append((path.entity_id, m, east[k] + along * hx, north[k] + along * hy, heading))
    if not placed:
        return []
    # Boundary frame -> the camera's tangent plane, every body at once.
    lat, lon = frame.to_geo(np.array([p[2] for p in placed]), np.array([p[3] for p in placed]))
    local_e, local_n = geo_to_local(pose, lat, lon)
    out: list[Body] = []
    for i, (entity_id, m, _, _, heading) in enumerate(placed):
        parts, height, child = cast.parts[entity_id][m]
        out.append(
            Body(
                body_id=f"{entity_id}-{m}",
                kind=cast.kinds[entity_id],
                parts=parts,
                east=float(local_e[i]),
                north=float(local_n[i]),
                heading_deg=heading,
                group_id=entity_id,
                child=child,
                height_m=height,
            )
        )
    return out


def _in_view(pose: Pose, intr: Intrinsics, bodies: list[Body]) -> bool:
    if not bodies:
        return False
    u, v, depth = project(
        pose, intr, [b.east for b in bodies], [b.north for b in bodies], [0.0] * len(bodies)
    )
    margin = 20.0
    inside = (
        (depth > 1.0)
        & (u > -margin)
        & (u < intr.width_px + margin)
        & (v > -margin)
        & (v < intr.height_px + margin)
    )
    return bool(np.any(inside))


def _geo(found: Found, pose: Pose) -> Found:
    """A found thing with east/north replaced by WGS 84 (lat in east, lon in north)."""
    lat, lon = local_to_geo(pose, np.array([found.east]), np.array([found.north]))
    return replace(found, east=float(lat[0]), north=float(lon[0]))


def _to_observations(
    sensor_id: str, rows: list[tuple[float, Found]], frame: LocalFrame
) -> Observations:
    lat = np.array([f.east for _, f in rows], float)
    lon = np.array([f.north for _, f in rows], float)
    east, north = frame.to_local(lat, lon) if rows else (np.zeros(0), np.zeros(0))
    return Observations(
        sensor_id=sensor_id,
        epoch_s=np.array([t for t, _ in rows], float),
        east=np.asarray(east, float),
        north=np.asarray(north, float),
        sigma_m=np.array([max(f.sigma_m, 0.01) for _, f in rows], float),
        kind=np.array([_KIND_INDEX[f.kind] for _, f in rows], np.int64),
        count=np.array([f.count for _, f in rows], np.int64),
        confidence=np.array([min(max(f.probability, 0.0), 1.0) for _, f in rows], float),
        children=np.array(
            [NOT_JUDGED if f.children is None else f.children for _, f in rows], np.int64
        ),
        count_low=np.array([f.count_range[0] for _, f in rows], np.int64),
        count_high=np.array([f.count_range[1] for _, f in rows], np.int64),
    )
