"""A seeded synthetic load along the 49th parallel, for the cluster's benchmark
(bench/scale.py): walking groups crossing the line in chosen watch segments, a few walking
along the line across a cut, and clutter, as detection wire objects with ground truth.

* **Groups** of 1-9 people start 150-400 m from the line on a random side, at a random
  point of a segment's core where the bundled line runs (clear of every cut by the
  segments' margin and 1 km, so only that segment watches them; one group to a 1.5 km
  lane while there are lanes enough), and walk towards it at 0.9-1.5 m/s within 25
  degrees of straight across, then ``beyond_m`` on. They are shared out evenly among the
  segments (the same number each, whatever a segment's length), so workers holding
  different segments get the same work.
* **Along the line**: at each cut between two chosen neighbours, ``near_cut`` groups walk
  parallel to the line, 80-150 m from it, from 200-400 m on one side of the cut to
  200-400 m past it (on alternate sides, each pair 600 m further out), then turn and
  cross. Both segments' trackers follow them through the overlap; only the owner of the
  crossing point may raise the incident.
* A ground radar or camera (one per 20 km of line) reports each group once a second with
  probability ``detection_probability``, as one detection with its head count and
  ``noise_m`` of position noise; 85 % are labelled person, the rest unknown.
* **Clutter**: isolated false reports (``animal`` or ``unknown``) at ``clutter_per_s``,
  uniform in time and over the groups' stretches of line, up to 1 km either side.

Positions are made in metres and turned into degrees on a sphere (sim/sphere.py): this is
the generator, not the system under test. Everything is vectorised with numpy: a million
detections take a few seconds, most of it building the wire objects.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from borderwatch.domain import InputError
from borderwatch.domain.time import format_time
from borderwatch.geo import Boundary
from borderwatch.geo.segments import Segments
from borderwatch.sim.sphere import LINE_LAT, M_PER_DEG_LAT, M_PER_DEG_LON

START = datetime(2025, 2, 3, 6, 0, tzinfo=UTC)
"""Default start of the data: 23:00 MST on a winter night."""
WALK_SPEED_MS = (0.9, 1.5)
ALONG_SPEED_MS = (1.2, 1.5)
"""Groups walking along the line keep up a steady pace (their walk is the longest)."""
MAX_ANGLE_RAD = math.radians(25)
ALONG_OFFSET_M = (80.0, 150.0)
"""How far from the line a group walks along it (never near enough to seem across)."""
ALONG_CUT_M = (200.0, 400.0)
"""Where a group walking along the line starts before a cut, and where it turns after."""
ALONG_SPACING_M = 600.0
LANE_M = 1500.0
"""Groups start in lanes this wide along the line, one group to a lane while there are
lanes enough: their crossing points stay over 300 m apart (see ``_along``)."""
LANE_JITTER = 1 / 6
"""A group starts within this share of a lane's width either side of its middle."""
CLUTTER_DEPTH_M = 1000.0
SENSOR_SPACING_M = 20_000.0
PERSON_LABEL_SHARE = 0.85
ANIMAL_CLUTTER_SHARE = 0.4
SIGMA_M_DIGITS = 2
KINDS = ("person", "unknown", "animal")


@dataclass(frozen=True, slots=True)
class Crossing:
    """Ground truth: one group crossing the line."""

    group_id: str
    segment: str
    """The watch segment owning the crossing point (the one that should raise it)."""
    time: datetime
    """When the group reached the line, UTC."""
    lat: float
    lon: float
    group_size: int
    direction: str
    """``northbound`` or ``southbound`` (domain.Direction's values)."""
    along_line: bool
    """The group walked along the line across a cut before crossing."""


@dataclass(frozen=True)
class BorderLoad:
    """The load: wire objects in data-time order and the crossings they hold."""

    wires: list[dict[str, Any]]
    """Detection wire objects (adapters/sources/detection_wire.py), each with a unique
    ``id`` and ``"simulated": true``, in time order (ties in a random, seeded order)."""
    crossings: list[Crossing]
    seconds: NDArray[np.int64]
    """Each wire's data time in whole seconds after ``start``."""
    origin: NDArray[np.int64]
    """Each wire's group (index into ``group_ids``), or -1 for clutter."""
    group_ids: tuple[str, ...]
    """Every group, in the order of ``origin`` (each crosses once: ``crossings[i]``)."""
    segments: tuple[str, ...]
    start: datetime
    duration_s: int
    seed: int

    @property
    def clutter(self) -> int:
        return int(np.count_nonzero(self.origin < 0))


@dataclass
class _Walks:
    """Every group's walk as columns: two straight legs from a start point (metres)."""

    lon0: NDArray[np.float64]
    north0: NDArray[np.float64]
    leg1: NDArray[np.float64]  # (n, 2): unit vector east, north
    leg1_m: NDArray[np.float64]
    leg2: NDArray[np.float64]
    speed: NDArray[np.float64]
    path_m: NDArray[np.float64]
    cross_m: NDArray[np.float64]
    """Distance walked when the group reaches the line."""
    size: NDArray[np.int64]
    along: NDArray[np.bool_]


def border_load(
    seed: int,
    *,
    groups: int,
    segments: Sequence[str] = ("spw", "hvm", "gfn"),
    duration_s: int,
    clutter_per_s: float,
    near_cut: int = 2,
    detection_probability: float = 0.95,
    noise_m: float = 8.0,
    approach_m: tuple[float, float] = (150.0, 400.0),
    beyond_m: float = 150.0,
    start: datetime = START,
    id_prefix: str = "bl",
    watch: Segments | None = None,
) -> BorderLoad:
    """The load for ``seed`` (the same seed and arguments give the same load).

    ``groups`` walk straight across in the ``segments`` given (watch segment codes, which
    must reach the bundled line: blw, spw, hvm, gfn), ``near_cut`` more at each cut between
    two of them; every walk fits in ``duration_s`` seconds of data from ``start``.
    ``id_prefix`` starts every detection id (``bl7-00000001`` for seed 7)."""
    watch = watch or Segments.bundled()
    codes = _check(seed, groups, segments, duration_s, clutter_per_s, near_cut,
                   detection_probability, noise_m, approach_m, beyond_m, watch)
    rng = np.random.default_rng(seed)
    runs = _line_runs(watch, codes)
    cuts = _shared_cuts(watch, codes)
    walks = _join(_straight(rng, groups, codes, runs, approach_m, beyond_m),
                  _along(rng, near_cut, cuts, beyond_m))
    need = _longest_walk_s(approach_m, beyond_m, near_cut if cuts else 0)
    if need > duration_s:
        raise InputError("duration_s", f"must be at least {need} s so that every walk "
                         f"fits, got {duration_s}")
    frames = np.floor(walks.path_m / walks.speed).astype(np.int64) + 1
    first = rng.integers(0, duration_s - frames + 1)
    crossings = _crossings(walks, first, watch, start)
    t, lat, lon, kind, count, origin = _observe(rng, walks, frames, first,
                                                detection_probability, noise_m)
    ct, clat, clon, ckind = _clutter(rng, runs, codes, duration_s, clutter_per_s)
    t = np.concatenate([t, ct])
    lat = np.concatenate([lat, clat])
    lon = np.concatenate([lon, clon])
    kind = np.concatenate([kind, ckind])
    count = np.concatenate([count, np.ones(len(ct), np.int64)])
    origin = np.concatenate([origin, np.full(len(ct), -1, np.int64)])
    order = np.lexsort((rng.random(len(t)), t))
    t, lat, lon, kind, count, origin = (a[order] for a in (t, lat, lon, kind, count, origin))
    wires = _wires(t, lat, lon, kind, count, start, duration_s, noise_m,
                   f"{id_prefix}{seed}-")
    return BorderLoad(wires=wires, crossings=crossings, seconds=t, origin=origin,
                      group_ids=tuple(c.group_id for c in crossings),
                      segments=codes, start=start, duration_s=int(duration_s), seed=seed)


def _check(seed: object, groups: object, segments: Sequence[str], duration_s: object,
           clutter_per_s: object, near_cut: object, detection_probability: float,
           noise_m: float, approach_m: tuple[float, float], beyond_m: float,
           watch: Segments) -> tuple[str, ...]:
    for name, value, low in (("seed", seed, 0), ("groups", groups, 0),
                             ("duration_s", duration_s, 1), ("near_cut", near_cut, 0)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise InputError(name, f"must be an integer >= {low}, got {value!r}")
    if not (isinstance(clutter_per_s, int | float) and 0 <= clutter_per_s < math.inf):
        raise InputError("clutter_per_s", f"must be a number >= 0, got {clutter_per_s!r}")
    if not 0 < detection_probability <= 1:
        raise InputError("detection_probability",
                         f"must be in (0, 1], got {detection_probability!r}")
    if not 0 < noise_m < math.inf:
        raise InputError("noise_m", f"must be a number > 0, got {noise_m!r}")
    if not 0 < approach_m[0] <= approach_m[1] < math.inf:
        raise InputError("approach_m", f"must be (near, far) metres, 0 < near <= far, got "
                         f"{approach_m!r}")
    if not 0 < beyond_m < math.inf:
        raise InputError("beyond_m", f"must be a number > 0, got {beyond_m!r}")
    if isinstance(segments, str) or not segments:
        raise InputError("segments", "give one or more watch segment codes, e.g. ('hvm',)")
    codes = tuple(segments)
    if len(set(codes)) != len(codes):
        raise InputError("segments", f"each segment once, got {list(codes)}")
    unknown = [code for code in codes if code not in watch.codes]
    if unknown:
        raise InputError("segments", f"unknown watch segment(s) {unknown}; known: "
                         f"{', '.join(watch.codes)}")
    return codes


def _line_runs(watch: Segments, codes: tuple[str, ...]) -> dict[str, list[tuple[float, float]]]:
    """Where each segment's groups may start: the stretches of its core on the bundled
    line (which runs along 49 N), clear of the cuts by the margin and 1 km, and of the
    line's ends by 2 km."""
    pieces = sorted((min(lon for _, lon in s.coords), max(lon for _, lon in s.coords))
                    for s in Boundary.bundled().segments)
    line: list[list[float]] = []
    for west, east in pieces:
        if line and west <= line[-1][1] + 1e-9:
            line[-1][1] = max(line[-1][1], east)
        else:
            line.append([west, east])
    cut_clear = (watch.margin_km * 1000.0 + 1000.0) / M_PER_DEG_LON
    end_clear = 2000.0 / M_PER_DEG_LON
    runs: dict[str, list[tuple[float, float]]] = {}
    for code in codes:
        seg = watch.get(code)
        west, east = seg.west_lon + cut_clear, seg.east_lon - cut_clear
        runs[code] = [(max(west, a + end_clear), min(east, b - end_clear)) for a, b in line
                      if min(east, b - end_clear) - max(west, a + end_clear) > end_clear]
        if not runs[code]:
            raise InputError("segments", f"{code!r} does not reach the bundled line "
                             f"(49 N from {line[0][0]} to {line[-1][1]}); choose among "
                             "blw, spw, hvm, gfn")
    return runs


def _shared_cuts(watch: Segments, codes: tuple[str, ...]) -> list[float]:
    """The cuts between two chosen neighbours (where groups walk along the line)."""
    chosen = sorted(watch.index(c) for c in codes)
    return [watch.segments[i + 1].west_lon for i in chosen if i + 1 in chosen]


def _uniform_on(rng: np.random.Generator, runs: list[tuple[float, float]],
                n: int) -> NDArray[np.float64]:
    """``n`` longitudes uniform over the runs' total length."""
    lengths = np.array([b - a for a, b in runs])
    at = rng.uniform(0.0, float(lengths.sum()), n)
    edges = np.concatenate([[0.0], np.cumsum(lengths)])
    which = np.clip(np.searchsorted(edges, at, side="right") - 1, 0, len(runs) - 1)
    west = np.array([a for a, _ in runs])
    return np.asarray(west[which] + at - edges[which], float)


def _lanes(rng: np.random.Generator, runs: list[tuple[float, float]],
           n: int) -> NDArray[np.float64]:
    """Start longitudes for ``n`` groups: each in a lane of its own, ``LANE_M`` wide, while
    the runs have lanes enough (then lanes are shared, and two groups may meet)."""
    lane_deg = LANE_M / M_PER_DEG_LON
    west = np.concatenate([a + lane_deg * np.arange(int((b - a) // lane_deg))
                           for a, b in runs])
    if n == 0:
        return np.zeros(0)
    if len(west) == 0:  # a stretch shorter than a lane: one lane, shared
        west = np.array([runs[0][0]])
        lane_deg = runs[0][1] - runs[0][0]
    picks = np.concatenate([rng.permutation(len(west))
                            for _ in range(-(-n // len(west)))])[:n]
    jitter = rng.uniform(0.5 - LANE_JITTER, 0.5 + LANE_JITTER, n)
    return np.asarray(west[picks] + jitter * lane_deg, float)


def _straight(rng: np.random.Generator, groups: int, codes: tuple[str, ...],
              runs: dict[str, list[tuple[float, float]]], approach_m: tuple[float, float],
              beyond_m: float) -> _Walks:
    segment = rng.permutation(np.arange(groups) % len(codes))
    lon0 = np.empty(groups)
    for i, code in enumerate(codes):
        mine = segment == i
        lon0[mine] = _lanes(rng, runs[code], int(mine.sum()))
    side = rng.choice(np.array([-1.0, 1.0]), groups)
    distance = rng.uniform(*approach_m, groups)
    angle = rng.uniform(-MAX_ANGLE_RAD, MAX_ANGLE_RAD, groups)
    heading = np.column_stack([np.sin(angle), -side * np.cos(angle)])
    return _Walks(lon0=lon0, north0=side * distance, leg1=np.zeros((groups, 2)),
                  leg1_m=np.zeros(groups), leg2=heading,
                  speed=rng.uniform(*WALK_SPEED_MS, groups),
                  path_m=(distance + beyond_m) / np.cos(angle),
                  cross_m=distance / np.cos(angle),
                  size=rng.integers(1, 10, groups), along=np.zeros(groups, bool))


def _along(rng: np.random.Generator, per_cut: int, cuts: list[float],
           beyond_m: float) -> _Walks:
    """Groups walking along the line across a cut. At one cut they turn on alternate sides
    of it, each pair ``ALONG_SPACING_M`` further out than the last, so that no two cross
    within 300 m of each other: the watch would take the later for a repeat of the
    earlier (docs/gotchas.md, "A repeat incident must be the same group")."""
    n = per_cut * len(cuts)
    rank = np.tile(np.arange(per_cut), len(cuts))
    cut = np.repeat(np.asarray(cuts, float), per_cut)
    east = np.where(rank % 2 == 0, 1.0, -1.0)  # +1: walks east, from the west of the cut
    side = rng.choice(np.array([-1.0, 1.0]), n)
    offset = rng.uniform(*ALONG_OFFSET_M, n)
    before = rng.uniform(*ALONG_CUT_M, n)
    after = rng.uniform(*ALONG_CUT_M, n) + ALONG_SPACING_M * (rank // 2)
    return _Walks(lon0=cut - east * before / M_PER_DEG_LON, north0=side * offset,
                  leg1=np.column_stack([east, np.zeros(n)]), leg1_m=before + after,
                  leg2=np.column_stack([np.zeros(n), -side]),
                  speed=rng.uniform(*ALONG_SPEED_MS, n),
                  path_m=before + after + offset + beyond_m,
                  cross_m=before + after + offset,
                  size=rng.integers(1, 10, n), along=np.ones(n, bool))


def _join(a: _Walks, b: _Walks) -> _Walks:
    return _Walks(**{name: np.concatenate([getattr(a, name), getattr(b, name)])
                     for name in a.__dataclass_fields__})


def _longest_walk_s(approach_m: tuple[float, float], beyond_m: float, near_cut: int) -> int:
    straight = (approach_m[1] + beyond_m) / math.cos(MAX_ANGLE_RAD) / WALK_SPEED_MS[0]
    farthest = ALONG_SPACING_M * ((near_cut - 1) // 2) if near_cut else 0.0
    along = ((2 * ALONG_CUT_M[1] + farthest + ALONG_OFFSET_M[1] + beyond_m)
             / ALONG_SPEED_MS[0])
    return math.ceil(max(straight, along)) + 1


def _position(walks: _Walks, walk: NDArray[np.int64],
              walked: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Metres east of the start point and north of the line after ``walked`` metres."""
    on_leg1 = np.minimum(walked, walks.leg1_m[walk])
    on_leg2 = np.maximum(walked - walks.leg1_m[walk], 0.0)
    east = walks.leg1[walk, 0] * on_leg1 + walks.leg2[walk, 0] * on_leg2
    north = walks.north0[walk] + walks.leg1[walk, 1] * on_leg1 + walks.leg2[walk, 1] * on_leg2
    return east, north


def _crossings(walks: _Walks, first: NDArray[np.int64], watch: Segments,
               start: datetime) -> list[Crossing]:
    index = np.arange(len(walks.speed))
    east, _ = _position(walks, index, walks.cross_m)
    lon = walks.lon0 + east / M_PER_DEG_LON
    owners = watch.owners(np.full(len(lon), LINE_LAT), lon)
    seconds = first + walks.cross_m / walks.speed
    return [
        Crossing(group_id=f"group-{g + 1:05d}", segment=watch.segments[int(o)].code,
                 time=start + timedelta(seconds=float(s)), lat=LINE_LAT, lon=float(x),
                 group_size=int(n), direction="southbound" if north0 > 0 else "northbound",
                 along_line=bool(a))
        for g, (o, s, x, n, north0, a) in enumerate(zip(
            owners.tolist(), seconds.tolist(), lon.tolist(), walks.size.tolist(),
            walks.north0.tolist(), walks.along.tolist(), strict=True))
    ]


def _observe(rng: np.random.Generator, walks: _Walks, frames: NDArray[np.int64],
             first: NDArray[np.int64], detection_probability: float,
             noise_m: float) -> tuple[NDArray[Any], ...]:
    """One report per group per second it is on the ground, when seen."""
    walk = np.repeat(np.arange(len(frames)), frames)
    step = np.arange(len(walk)) - np.repeat(np.cumsum(frames) - frames, frames)
    seen = rng.random(len(walk)) < detection_probability
    walk, step = walk[seen], step[seen]
    east, north = _position(walks, walk, walks.speed[walk] * step)
    east = east + rng.normal(0.0, noise_m, len(walk))
    north = north + rng.normal(0.0, noise_m, len(walk))
    kind = np.where(rng.random(len(walk)) < PERSON_LABEL_SHARE, 0, 1)
    return (first[walk] + step, LINE_LAT + north / M_PER_DEG_LAT,
            walks.lon0[walk] + east / M_PER_DEG_LON, kind, walks.size[walk],
            walk.astype(np.int64))


def _clutter(rng: np.random.Generator, runs: dict[str, list[tuple[float, float]]],
             codes: tuple[str, ...], duration_s: int,
             clutter_per_s: float) -> tuple[NDArray[Any], ...]:
    n = int(rng.poisson(clutter_per_s * duration_s))
    segment = rng.integers(0, len(codes), n)
    lon = np.empty(n)
    for i, code in enumerate(codes):
        mine = segment == i
        lon[mine] = _uniform_on(rng, runs[code], int(mine.sum()))
    north = rng.uniform(-CLUTTER_DEPTH_M, CLUTTER_DEPTH_M, n)
    kind = np.where(rng.random(n) < ANIMAL_CLUTTER_SHARE, 2, 1)
    return (rng.integers(0, duration_s, n).astype(np.int64), LINE_LAT + north / M_PER_DEG_LAT,
            lon, kind)


def _wires(t: NDArray[np.int64], lat: NDArray[np.float64], lon: NDArray[np.float64],
           kind: NDArray[Any], count: NDArray[np.int64], start: datetime, duration_s: int,
           noise_m: float, prefix: str) -> list[dict[str, Any]]:
    """The wire objects, field for field as detection_wire.detection_to_wire writes them
    (same order, rounding and time format: a test checks it)."""
    stamps = [format_time(start + timedelta(seconds=s)) for s in range(duration_s)]
    sensor_index = np.floor((lon + 180.0) * M_PER_DEG_LON / SENSOR_SPACING_M).astype(np.int64)
    names = {int(i): f"radar-{int(i):04d}" for i in np.unique(sensor_index)}
    sigma = round(noise_m, SIGMA_M_DIGITS)
    return [
        {"time": stamps[s], "sensor_id": names[r], "lat": round(y, 7), "lon": round(x, 7),
         "sigma_m": sigma, "kind": KINDS[k], "count": c, "id": f"{prefix}{n:08d}",
         "simulated": True}
        for n, (s, r, y, x, k, c) in enumerate(zip(
            t.tolist(), sensor_index.tolist(), lat.tolist(), lon.tolist(), kind.tolist(),
            count.tolist(), strict=True))
    ]
