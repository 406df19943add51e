"""Seeded thermal scenes: a group of people, animals, a vehicle, trees and rocks, seen by a
fixed mast camera or a drone, frame after frame, with the truth.

Used by the classifier's training script, the benchmark (``bench/thermal.py``) and tests.
The camera the detector is told about (``reported``) differs from the one that rendered the
frame (``true``) by draws from the stated pose errors, and each body stands on ground that
is off the flat plane by rolling terrain of the stated relief: the reported position error can then
be checked against real misses (georeferencing, "Done means" in issue 4).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from borderwatch.adapters.sources.thermal.camera import Intrinsics, Pose, PoseErrors
from borderwatch.sim.lwir import bodies as make
from borderwatch.sim.lwir.paint import paint
from borderwatch.sim.lwir.render import F32, Body, Conditions, Sensor, TruthBox, background
from borderwatch.sim.sphere import LINE_LAT, M_PER_DEG_LAT, M_PER_DEG_LON

MAST_ERRORS = PoseErrors(
    position_m=1.0, height_m=0.5, azimuth_deg=0.1, tilt_deg=0.05, ground_m=1.0, pixel=0.7
)
"""A surveyed mast camera: position and height measured, pointing calibrated on landmarks."""
DRONE_ERRORS = PoseErrors(
    position_m=2.5, height_m=2.0, azimuth_deg=1.5, tilt_deg=1.0, ground_m=1.0, pixel=1.0
)
"""A small drone: GNSS position, barometric height above ground, compass yaw, gimbal IMU."""


@dataclass(frozen=True, kw_only=True)
class SceneSpec:
    """Everything a scene is built from: the seed, camera and range, the group and its
    formation, animals, clutter, the weather and the lens; the same spec is the same
    scene."""

    seed: int
    camera: str = "fixed"
    """fixed or drone."""
    range_m: float = 300.0
    """Fixed camera: the group's distance. Drone: its altitude above ground."""
    group_size: int = 3
    children: int = 1
    formation: str = "file"
    """file (one behind another), abreast (side by side, holding hands) or mixed."""
    heading_deg: float | None = None
    """The group's heading relative to the camera's line of sight (90: across); None: random."""
    animals: tuple[str, ...] = ("deer",)
    vehicle: bool = False
    trees: int = 3
    rocks: int = 5
    dawn: bool = False
    frames: int = 12
    frame_rate_hz: float = 9.0
    focal_mm: float = 25.0
    pitch_um: float = 12.0
    mast_m: float = 15.0
    drone_tilt_deg: float = 90.0
    extinction_per_km: float = 0.15
    nuc_at: int | None = None
    """Frame at which the camera does a flat-field correction."""
    air_c: float = -27.0


@dataclass(kw_only=True)
class Scene:
    """A built scene: the true and reported camera poses and the bodies of every frame;
    :meth:`frames` renders them on demand."""

    spec: SceneSpec
    intrinsics: Intrinsics
    conditions: Conditions
    errors: PoseErrors
    true_poses: list[Pose]
    reported_poses: list[Pose]
    bodies: list[list[Body]]
    """Per frame."""
    static: list[Body] = field(default_factory=list)
    """Trees and rocks (the same in every frame)."""

    @property
    def fixed(self) -> bool:
        return self.spec.camera == "fixed"

    def frames(self) -> Iterator[tuple[int, F32, list[TruthBox]]]:
        """(index, apparent temperature in kelvin, truth) for each frame."""
        rng = np.random.default_rng([self.spec.seed, 7])
        sensor = Sensor(
            intrinsics=self.intrinsics,
            rng=rng,
            conditions=self.conditions,
            nuc_frames=() if self.spec.nuc_at is None else (self.spec.nuc_at,),
        )
        phases = rng.uniform(0, 2 * math.pi, 3)
        base = None
        for i, (pose, movers) in enumerate(zip(self.true_poses, self.bodies, strict=True)):
            if base is None or not self.fixed:
                base = background(self.intrinsics, pose, self.conditions, phases)
                paint(base, self.intrinsics, pose, self.conditions, self.static)
            radiance = base.copy()
            truth = paint(radiance, self.intrinsics, pose, self.conditions, movers)
            yield i, sensor.apply(i, radiance), truth


def build(spec: SceneSpec) -> Scene:
    """Lay out the scene ``spec`` describes (seeded: the same spec gives the same scene):
    the camera's true poses per frame (a fixed mast, or a drifting drone), the reported
    poses drawn from the pose errors, and the bodies placed on rolling ground."""
    rng = np.random.default_rng([spec.seed, 1])
    cond = Conditions(air_c=spec.air_c, dawn=spec.dawn, extinction_per_km=spec.extinction_per_km)
    intr = Intrinsics(width_px=640, height_px=512, focal_mm=spec.focal_mm, pitch_um=spec.pitch_um)
    fixed = spec.camera == "fixed"
    errors = MAST_ERRORS if fixed else DRONE_ERRORS
    azimuth = float(rng.uniform(0, 360))
    dt = 1.0 / spec.frame_rate_hz
    if fixed:
        tilt = math.degrees(math.atan2(spec.mast_m, spec.range_m * 1.05))
        true_poses = [
            Pose(lat=49.0, lon=-111.9, height_m=spec.mast_m, azimuth_deg=azimuth, tilt_deg=tilt)
        ] * spec.frames
        centre_range = spec.range_m
    else:
        drift = rng.uniform(0, 2 * math.pi)
        true_poses = []
        for i in range(spec.frames):
            # A slow drift (2 m/s) and a small yaw wobble: a hovering, station-keeping drone.
            moved_e, moved_n = 2.0 * i * dt * math.sin(drift), 2.0 * i * dt * math.cos(drift)
            lat = LINE_LAT + moved_n / M_PER_DEG_LAT
            lon = -111.9 + moved_e / M_PER_DEG_LON
            true_poses.append(
                Pose(
                    lat=lat,
                    lon=lon,
                    height_m=spec.range_m,
                    azimuth_deg=azimuth + 0.3 * math.sin(i / 3.0),
                    tilt_deg=spec.drone_tilt_deg,
                )
            )
        centre_range = spec.range_m / math.tan(math.radians(spec.drone_tilt_deg))
    offsets = _pose_offsets(rng, errors)
    reported = [
        replace(
            p,
            height_m=p.height_m + offsets[0],
            azimuth_deg=p.azimuth_deg + offsets[1],
            tilt_deg=p.tilt_deg + offsets[2],
            lat=p.lat + offsets[3] / M_PER_DEG_LAT,
            lon=p.lon + offsets[4] / M_PER_DEG_LON,
        )
        for p in true_poses
    ]
    half_fov = math.radians(intr.hfov_deg) / 2
    bodies_per_frame = _movers(spec, rng, cond, azimuth, centre_range, half_fov, fixed, dt)
    static = _static(spec, rng, cond, azimuth, centre_range, half_fov, fixed)
    return Scene(
        spec=spec,
        intrinsics=intr,
        conditions=cond,
        errors=errors,
        true_poses=true_poses,
        reported_poses=reported,
        bodies=bodies_per_frame,
        static=static,
    )


def _pose_offsets(rng: np.random.Generator, errors: PoseErrors) -> list[float]:
    return [
        float(rng.normal(0, errors.height_m)),
        float(rng.normal(0, errors.azimuth_deg)),
        float(rng.normal(0, errors.tilt_deg)),
        float(rng.normal(0, errors.position_m)),
        float(rng.normal(0, errors.position_m)),
    ]


def _place(
    rng: np.random.Generator, azimuth: float, rng_m: float, half_fov: float, spread: float
) -> tuple[float, float, float]:
    """A ground point at range ``rng_m`` inside ``spread`` of the half field of view."""
    bearing = math.radians(azimuth) + rng.uniform(-spread, spread) * half_fov
    return rng_m * math.sin(bearing), rng_m * math.cos(bearing), math.degrees(bearing)


def _movers(
    spec: SceneSpec,
    rng: np.random.Generator,
    cond: Conditions,
    azimuth: float,
    centre: float,
    half_fov: float,
    fixed: bool,
    dt: float,
) -> list[list[Body]]:
    relief = _terrain(rng, MAST_ERRORS.ground_m if fixed else DRONE_ERRORS.ground_m)
    starts: list[tuple[Body, float, float]] = []  # body, heading, speed
    spread = 0.5 if fixed else 0.25
    if spec.group_size > 0:
        ge, gn, bearing = _place(rng, azimuth, centre, half_fov, spread if fixed else 0.1)
        relative = spec.heading_deg if spec.heading_deg is not None else rng.uniform(0, 360)
        heading = bearing + relative
        hx, hy = math.sin(math.radians(heading)), math.cos(math.radians(heading))
        rx, ry = hy, -hx
        kids = [True] * spec.children + [False] * (spec.group_size - spec.children)
        rng.shuffle(kids)
        abreast = spec.formation == "abreast" or (spec.formation == "mixed" and rng.random() < 0.5)
        for m, child in enumerate(kids):
            if abreast:
                along, across = -(m // 3) * 2.2, ((m % 3) - 1) * rng.uniform(0.6, 0.8)
            else:
                along, across = -m * rng.uniform(1.5, 3.0), rng.normal(0, 0.2)
            parts, height = make.walker(rng, cond.air_k, child=child)
            body = Body(
                body_id=f"person-{m}",
                kind="person",
                parts=parts,
                east=ge + along * hx + across * rx,
                north=gn + along * hy + across * ry,
                heading_deg=heading,
                ground_up=0.0,
                group_id="group-1",
                child=child,
                height_m=height,
            )
            starts.append((body, heading, rng.uniform(0.7, 1.2)))
    for a, species in enumerate(spec.animals):
        distance = centre * rng.uniform(0.6, 1.4) if fixed else centre
        ae, an, bearing = _place(rng, azimuth, distance, half_fov, 0.8 if fixed else 0.6)
        if not fixed:
            ae, an = ae + rng.uniform(-20, 20), an + rng.uniform(-20, 20)
        body = Body(
            body_id=f"{species}-{a}",
            kind=species,
            parts=make.quadruped(rng, cond.air_k, species),
            east=ae,
            north=an,
            heading_deg=float(rng.uniform(0, 360)),
            ground_up=0.0,
        )
        starts.append((body, body.heading_deg, rng.uniform(0.0, 1.5)))
    if spec.vehicle:
        distance = centre * rng.uniform(0.7, 1.3) if fixed else centre
        ve, vn, bearing = _place(rng, azimuth, distance, half_fov, 0.7 if fixed else 0.5)
        if not fixed:
            ve, vn = ve + rng.uniform(-25, 25), vn + rng.uniform(-25, 25)
        body = Body(
            body_id="vehicle-0",
            kind="vehicle",
            parts=make.vehicle(rng, cond.air_k),
            east=ve,
            north=vn,
            heading_deg=float(rng.uniform(0, 360)),
        )
        starts.append((body, body.heading_deg, rng.uniform(0.0, 8.0)))
    frames = []
    for i in range(spec.frames):
        t = i * dt
        moved = []
        for b, h, speed in starts:
            east = b.east + speed * t * math.sin(math.radians(h))
            north = b.north + speed * t * math.cos(math.radians(h))
            moved.append(replace(b, east=east, north=north, ground_up=relief(east, north)))
        frames.append(moved)
    return frames


def _terrain(rng: np.random.Generator, sigma_m: float) -> Callable[[float, float], float]:
    """Gently rolling ground: four plane waves of 150-400 m wavelength in random directions,
    summing to a height of standard deviation ``sigma_m`` about the camera's ground plane.
    Bodies a few metres apart stand at nearly the same height, as on real ground."""
    directions = rng.uniform(0, 2 * math.pi, 4)
    wavelengths = rng.uniform(150.0, 400.0, 4)
    phases = rng.uniform(0, 2 * math.pi, 4)
    amplitude = sigma_m / math.sqrt(2.0)  # 4 waves of variance a²/2 each: sigma² = 2a²

    def height(east: float, north: float) -> float:
        along = east * np.sin(directions) + north * np.cos(directions)
        return float(amplitude * np.sin(2 * math.pi * along / wavelengths + phases).sum())

    return height


def _static(
    spec: SceneSpec,
    rng: np.random.Generator,
    cond: Conditions,
    azimuth: float,
    centre: float,
    half_fov: float,
    fixed: bool,
) -> list[Body]:
    out = []
    for i in range(spec.trees + spec.rocks):
        is_tree = i < spec.trees
        distance = centre * rng.uniform(0.4, 2.0) if fixed else centre
        e, n, _ = _place(rng, azimuth, distance, half_fov, 1.0)
        if not fixed:
            e, n = e + rng.uniform(-40, 40), n + rng.uniform(-40, 40)
        parts = (
            make.tree(rng, cond.air_k, dawn=spec.dawn)
            if is_tree
            else make.rock(rng, cond.air_k, dawn=spec.dawn)
        )
        out.append(
            Body(
                body_id=f"{'tree' if is_tree else 'rock'}-{i}",
                kind="tree" if is_tree else "rock",
                parts=parts,
                east=e,
                north=n,
                heading_deg=0.0,
            )
        )
    return out
