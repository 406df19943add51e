"""True paths of the movers: groups on foot, vehicles, animals, sampled every second.

Paths are computed in the boundary's local frame (metres east/north, conformal), so speeds
and distances are true ground values. Each mover draws from its own random stream
(:func:`stream`), so adding or removing another mover or sensor never changes its path.

Speed jitter is an Ornstein-Uhlenbeck (first-order autoregressive) process: a relative
deviation from the mean speed with a given standard deviation and correlation time, the
usual model of a slowly varying pace (Uhlenbeck & Ornstein, Phys. Rev. 36, 1930).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from scipy.signal import lfilter

from borderwatch.domain import Kind
from borderwatch.geo import LocalFrame
from borderwatch.sim.scenario import Animal, Group, LatLon, Vehicle

FloatArray = np.ndarray[tuple[int], np.dtype[np.float64]]
BoolArray = np.ndarray[tuple[int], np.dtype[np.bool_]]

WALK_JITTER = 0.08
"""Relative 1-sigma deviation of a walker's pace from its mean (8 %)."""
WALK_JITTER_TAU_S = 60.0
DRIVE_JITTER = 0.10
DRIVE_JITTER_TAU_S = 20.0
LANE_TAU_S = 30.0
"""Correlation time of a vehicle's wander across its lane, seconds."""
ANIMAL_JITTER = 0.3
ANIMAL_JITTER_TAU_S = 30.0


def stream(seed: int, *names: str) -> np.random.Generator:
    """An independent random stream for (seed, names...), stable across runs and platforms.

    >>> float(stream(1, "cam-1").random()) == float(stream(1, "cam-1").random())
    True
    """
    digest = hashlib.sha256("\x1f".join(names).encode()).digest()
    words = [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]
    return np.random.default_rng([seed & 0xFFFFFFFF, seed >> 32 & 0xFFFFFFFF, *words])


@dataclass(frozen=True)
class Clock:
    """The simulation's time grid: ``steps`` samples, 1 s apart, from ``t0`` (epoch s)."""

    t0: float
    steps: int

    @classmethod
    def between(cls, start: datetime, end: datetime) -> Clock:
        return cls(start.timestamp(), math.floor((end - start).total_seconds()) + 1)

    @property
    def times(self) -> FloatArray:
        return self.t0 + np.arange(self.steps, dtype=float)

    @property
    def t_end(self) -> float:
        return self.t0 + self.steps - 1


@dataclass(frozen=True, eq=False)
class MoverPath:
    """A mover's true path on the clock's grid, in the boundary frame (metres)."""

    entity_id: str
    kind: Kind
    group_size: int
    east: FloatArray
    north: FloatArray
    present: BoolArray
    """False before the mover enters the scene and after it leaves."""
    child_flags: tuple[bool, ...] = ()
    """For a group: which members a camera judging ages would see as children."""

    def at(self, times: FloatArray, clock: Clock) -> tuple[FloatArray, FloatArray, BoolArray]:
        """Position (linear between samples) and presence at arbitrary epoch times."""
        grid = clock.times
        east = np.interp(times, grid, self.east)
        north = np.interp(times, grid, self.north)
        index = np.clip(np.floor(times - clock.t0).astype(int), 0, clock.steps - 1)
        return east, north, self.present[index]


def _ou(rng: np.random.Generator, steps: int, sigma: float, tau_s: float) -> FloatArray:
    """A stationary OU sequence at 1 s steps: standard deviation ``sigma``, correlation time
    ``tau_s`` seconds (x[k] = a x[k-1] + sqrt(1 - a^2) sigma w[k], a = exp(-1/tau))."""
    a = math.exp(-1.0 / tau_s)
    noise = rng.standard_normal(steps)
    first = rng.standard_normal() * sigma
    out = lfilter([math.sqrt(1 - a * a) * sigma], [1.0, -a], noise, zi=[a * first])[0]
    return np.asarray(out, float)


def _presence(clock: Clock, start: float, until: float | None) -> BoolArray:
    times = clock.times
    present = times >= start
    if until is not None:
        present &= times <= until
    return present


def _route(frame: LocalFrame, waypoints: tuple[LatLon, ...]) -> tuple[FloatArray, ...]:
    """Waypoints in the frame and the cumulative distance along them (metres)."""
    lat, lon = np.array(waypoints, float).T
    east, north = frame.to_local(lat, lon)
    cumulative = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(east), np.diff(north)))])
    return east, north, cumulative


def _travelled(clock: Clock, start: float, speed_ms: float, jitter: FloatArray) -> FloatArray:
    """Distance covered since ``start`` at each sample, metres (pace constant within a second)."""
    speed = speed_ms * np.clip(1.0 + jitter, 0.5, 1.5)
    weights = np.clip(clock.times[1:] - start, 0.0, 1.0)
    before = max(0.0, clock.t0 - start) * speed_ms  # already walking when the run starts
    return before + np.concatenate([[0.0], np.cumsum(speed[:-1] * weights)])


def group_path(group: Group, frame: LocalFrame, clock: Clock, seed: int) -> MoverPath:
    """A group walks its waypoints at ``speed_ms`` with ~8 % pace jitter, then waits at the
    last one. It is one mover: its position is the centroid of the line of people."""
    rng = stream(seed, "mover", group.entity_id)
    east_wp, north_wp, cumulative = _route(frame, group.waypoints)
    start = group.start.timestamp()
    jitter = _ou(rng, clock.steps, WALK_JITTER, WALK_JITTER_TAU_S)
    along = np.minimum(_travelled(clock, start, group.speed_ms, jitter), cumulative[-1])
    return MoverPath(
        entity_id=group.entity_id,
        kind=group.kind,
        group_size=group.group_size,
        east=np.interp(along, cumulative, east_wp),
        north=np.interp(along, cumulative, north_wp),
        present=_presence(clock, start, None if group.until is None else group.until.timestamp()),
        child_flags=tuple(m.is_child for m in group.members),
    )


def vehicle_path(vehicle: Vehicle, frame: LocalFrame, clock: Clock, seed: int) -> MoverPath:
    """A vehicle drives its route (back and forth if asked) with ~10 % speed jitter, offset
    across its lane by a slowly wandering amount within +/- ``lateral_wander_m``."""
    rng = stream(seed, "mover", vehicle.entity_id)
    east_wp, north_wp, cumulative = _route(frame, vehicle.waypoints)
    length = cumulative[-1]
    start = vehicle.start.timestamp()
    jitter = _ou(rng, clock.steps, DRIVE_JITTER, DRIVE_JITTER_TAU_S)
    travelled = _travelled(clock, start, vehicle.speed_ms, jitter)
    if vehicle.back_and_forth:
        # Fold the distance: 0..L out, L..2L back (a triangle wave of period 2L).
        along = length - np.abs(np.mod(travelled, 2.0 * length) - length)
    else:
        along = np.minimum(travelled, length)
    east = np.interp(along, cumulative, east_wp)
    north = np.interp(along, cumulative, north_wp)
    if vehicle.lateral_wander_m > 0:
        piece = np.clip(np.searchsorted(cumulative, along, side="right") - 1, 0, len(east_wp) - 2)
        dx, dy = np.diff(east_wp)[piece], np.diff(north_wp)[piece]
        norm = np.hypot(dx, dy)
        # Left normal of the route's own direction: the same side on the way out and back.
        left_e, left_n = -dy / norm, dx / norm
        wander = vehicle.lateral_wander_m
        offset = np.clip(_ou(rng, clock.steps, wander / 2.0, LANE_TAU_S), -wander, wander)
        east, north = east + offset * left_e, north + offset * left_n
    until = None if vehicle.until is None else vehicle.until.timestamp()
    return MoverPath(
        entity_id=vehicle.entity_id,
        kind=Kind.VEHICLE,
        group_size=1,
        east=east,
        north=north,
        present=_presence(clock, start, until),
    )


def animal_path(animal: Animal, frame: LocalFrame, clock: Clock, seed: int) -> MoverPath:
    """A correlated random walk (Kareiva & Shigesada, Oecologia 56, 1983): each second the
    heading turns by a normal amount (sigma ``turn_deg``) and the animal moves at its pace,
    with Poisson-timed bursts at ``burst_speed_ms``. It bounces off the edges of its area
    (which may straddle the line, so it can cross it). Walked in a frame centred on the area,
    where the lat/lon box is a rectangle, then expressed in the boundary frame."""
    rng = stream(seed, "mover", animal.entity_id)
    box = animal.area
    mid_lat, mid_lon = (box.south + box.north) / 2, (box.west + box.east) / 2
    own = LocalFrame(lat_0=mid_lat, lon_0=mid_lon, lat_1=mid_lat, lat_2=mid_lat)
    # The box's edges are meridians and parallels; in a frame centred on it, nearly straight.
    x_lo, x_hi = own.point_to_local(mid_lat, box.west)[0], own.point_to_local(mid_lat, box.east)[0]
    y_lo, y_hi = (
        own.point_to_local(box.south, mid_lon)[1],
        own.point_to_local(box.north, mid_lon)[1],
    )
    if animal.start_position is None:
        x, y = rng.uniform(x_lo, x_hi), rng.uniform(y_lo, y_hi)
    else:
        x, y = own.point_to_local(*animal.start_position)
    steps = clock.steps
    heading = rng.uniform(0.0, 2.0 * math.pi)
    turns = rng.normal(0.0, math.radians(animal.turn_deg), steps)
    pace = animal.speed_ms * np.clip(
        1.0 + _ou(rng, steps, ANIMAL_JITTER, ANIMAL_JITTER_TAU_S), 0.3, 2.0
    )
    speed = np.where(
        _bursts(rng, steps, animal.bursts_per_hour, animal.burst_s), animal.burst_speed_ms, pace
    )
    xs, ys = np.empty(steps), np.empty(steps)
    for k in range(steps):
        xs[k], ys[k] = x, y
        heading += turns[k]
        x += speed[k] * math.sin(heading)
        y += speed[k] * math.cos(heading)
        if not x_lo <= x <= x_hi:  # bounce: mirror the step and the heading
            x = min(max(2 * (x_lo if x < x_lo else x_hi) - x, x_lo), x_hi)
            heading = -heading
        if not y_lo <= y <= y_hi:
            y = min(max(2 * (y_lo if y < y_lo else y_hi) - y, y_lo), y_hi)
            heading = math.pi - heading
    lat, lon = own.to_geo(xs, ys)
    east, north = frame.to_local(lat, lon)
    start = clock.t0 if animal.start is None else animal.start.timestamp()
    until = None if animal.until is None else animal.until.timestamp()
    return MoverPath(
        entity_id=animal.entity_id,
        kind=Kind.ANIMAL,
        group_size=1,
        east=east,
        north=north,
        present=_presence(clock, start, until),
    )


def _bursts(rng: np.random.Generator, steps: int, per_hour: float, mean_s: float) -> BoolArray:
    """Seconds spent bursting: Poisson starts at ``per_hour``, exponential lengths."""
    mask = np.zeros(steps, bool)
    count = int(rng.poisson(per_hour * steps / 3600.0))
    starts = rng.integers(0, steps, count)
    lengths = np.ceil(rng.exponential(mean_s, count)).astype(int)
    for begin, length in zip(starts, lengths, strict=True):
        mask[begin : begin + length] = True
    return mask
