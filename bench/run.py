"""End-to-end throughput of ``borderwatch run`` on one core, against just parsing the file.

    .venv/bin/python bench/run.py [--detections 1000000] [--seed 7] [--keep]

Generates a seeded stream in the DESIGN.md wire format: a 22 km strip of the Alberta-Montana
line (the 49th parallel, lon -112.2 to -111.9, 1 km either side) watched by 10 ground radars
at 1 Hz, ~1,000 simultaneous targets (walkers, groups, vehicles on roads parallel to the
line, animals; a share of the people heading across the line), detection probability 0.9,
5-15 m position noise, label confusion, 20-30 % clutter, a few hundred reports delivered
1-3 s late (inside the reorder window). Every record is marked ``"simulated": true``.

Then, in the same process and on the same file:

1. the baseline: iterate ``JsonlDetectionSource`` to the end (read, JSON-decode and validate
   every line into a ``Detection``), nothing else;
2. ``run_file``: the same parsing, then reorder, scans, tracker, watch rules, incidents out.

Prints both rates and their ratio (run seconds / parse seconds). The LAST line is a
one-line summary in a fixed format (``summary_line``) for scripts to pick up.
"""

from __future__ import annotations

import os

if __name__ == "__main__":
    # One core, one thread. Set before numpy is imported (BLAS thread pools start on import).
    # Only when run as a script: importing this module (the smoke test) must not pin pytest.
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = "1"
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

import argparse
import gc
import math
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import numpy as np
import orjson
from rich.console import Console
from rich.table import Table

from borderwatch.adapters.sources.jsonl import JsonlDetectionSource
from borderwatch.app.batch import RunReport, run_file
from borderwatch.geo import Boundary
from borderwatch.sim.evaluation.crossings import Evaluation, TruthCrossing, evaluate, load_incidents
from borderwatch.sim.sphere import LINE_LAT, M_PER_DEG_LAT, ParallelStrip

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"  # git-ignored

# Truth classes (index into the mix) and wire kinds (index into KIND_NAMES).
WALKER, GROUP, VEHICLE, ANIMAL = 0, 1, 2, 3
CLASS_NAMES = ("walker", "group", "vehicle", "animal")
KIND_NAMES = ("person", "vehicle", "animal", "unknown")
PERSON_K, VEHICLE_K, ANIMAL_K, UNKNOWN_K = 0, 1, 2, 3
CLUTTER = -1

CONFUSION = np.array(
    [  # reported person, vehicle, animal, unknown; one row per truth class
        [0.80, 0.02, 0.04, 0.14],  # walker
        [0.82, 0.02, 0.03, 0.13],  # group
        [0.03, 0.85, 0.00, 0.12],  # vehicle
        [0.06, 0.00, 0.76, 0.18],  # animal
    ]
)
CONFUSION_CUM = np.cumsum(CONFUSION, axis=1)


@dataclass(frozen=True)
class Shape(ParallelStrip):
    """What the generated stream looks like. Defaults are the benchmark's scenario."""

    targets: int = 1000
    """Simultaneous targets (a target leaving the strip is replaced by a new one)."""
    radars: int = 10
    west_lon: float = -112.2
    east_lon: float = -111.9
    half_depth_m: float = 1000.0
    """The strip reaches this far north and south of the line."""
    overlap_m: float = 50.0
    """Neighbouring radars both see this much either side of their common edge."""
    rate_hz: float = 1.0
    pd: float = 0.9
    sigma_m: tuple[float, float] = (5.0, 15.0)
    clutter_share: tuple[float, float] = (0.2, 0.3)
    """Each radar's clutter share of its own detections is drawn from this range."""
    mix: tuple[float, float, float, float] = (0.55, 0.25, 0.12, 0.08)
    """Shares of walkers, groups (2-9 people, one detection with a count), vehicles, animals."""
    crossing_share: float = 0.12
    """Share of people (walkers and groups) whose heading crosses the line."""
    crossing_start_m: tuple[float, float] = (100.0, 900.0)
    """A crossing target starts this far from the line, on a random side."""
    roads_m: tuple[float, ...] = (-650.0, -25.0, 400.0, 850.0)
    """Roads parallel to the line (metres north of it; -25 m is a border road)."""
    walk_speed_ms: tuple[float, float] = (0.5, 1.5)
    drive_speed_ms: tuple[float, float] = (8.0, 15.0)
    turn_tau_s: float = 20.0
    """Correlation time of a walker's turn rate (smooth turns, not a jittery heading)."""
    turn_sigma_rad_s: float = 0.04
    delayed_share: float = 3e-4
    """Share of reports delivered late by ``delay_s`` (a few hundred in a million)."""
    min_delayed: int = 10
    delay_s: tuple[float, float] = (1.0, 3.0)
    start: datetime = datetime(2025, 2, 3, 6, 0, tzinfo=UTC)
    """Stream start (23:00 MST, a winter night)."""


@dataclass
class GenStats:
    detections: int = 0
    target_detections: int = 0
    clutter: int = 0
    delayed: int = 0
    seconds_of_data: int = 0
    targets: int = 0
    spawned: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    """Targets spawned per class over the run (initial ones and replacements)."""
    crossers_spawned: int = 0
    truth_crossings: list[tuple[float, float, int, int, int]] = field(default_factory=list)
    """True line crossings: (seconds from start, metres east, +1 north / -1 south, class,
    head count). Animals' are kept too: they must not alarm."""
    bytes: int = 0
    gen_seconds: float = 0.0

    @property
    def clutter_share(self) -> float:
        return self.clutter / self.detections if self.detections else float("nan")


class Targets:
    """Truth: every target's state as arrays; one ``step`` moves all of them by ``dt``."""

    def __init__(self, shape: Shape, rng: np.random.Generator, stats: GenStats) -> None:
        self.shape, self.rng, self.stats = shape, rng, stats
        n = shape.targets
        self.cls = rng.choice(4, n, p=np.asarray(shape.mix) / sum(shape.mix))
        self.x = np.zeros(n)
        self.y = np.zeros(n)
        self.speed = np.zeros(n)
        self.heading = np.zeros(n)  # radians, 0 = east, pi/2 = north
        self.turn = np.zeros(n)  # rad/s
        self.turn_sigma = np.zeros(n)
        self.size = np.ones(n, np.int64)
        self.crosser = np.zeros(n, bool)
        self.clock = 0.0
        """Seconds since the stream start at the end of the last step (stamps are ticks)."""
        self.spawn(np.arange(n), initial=True)

    def spawn(self, idx: np.ndarray, *, initial: bool) -> None:
        s, rng = self.shape, self.rng
        n = len(idx)
        if n == 0:
            return
        cls = self.cls[idx]
        length = s.length_m
        x = rng.uniform(0, length, n)
        y = rng.uniform(-s.half_depth_m, s.half_depth_m, n)
        heading = rng.uniform(-np.pi, np.pi, n)
        speed = rng.uniform(*s.walk_speed_ms, n)
        turn_sigma = np.full(n, s.turn_sigma_rad_s)
        size = np.ones(n, np.int64)
        people = (cls == WALKER) | (cls == GROUP)
        crosser = people & (rng.random(n) < s.crossing_share)
        group = cls == GROUP
        size[group] = rng.integers(2, 10, int(group.sum()))
        # Crossers: start on a random side, head for the line (within +-25 degrees).
        k = int(crosser.sum())
        side = rng.choice([-1.0, 1.0], k)
        y[crosser] = side * rng.uniform(*s.crossing_start_m, k)
        heading[crosser] = -side * np.pi / 2 + rng.uniform(-0.45, 0.45, k)
        speed[crosser] = rng.uniform(max(0.8, s.walk_speed_ms[0]), s.walk_speed_ms[1], k)
        turn_sigma[crosser] = s.turn_sigma_rad_s / 4
        # Vehicles: on a road, east- or westbound; new ones drive in from an end.
        vehicle = cls == VEHICLE
        k = int(vehicle.sum())
        eastbound = rng.random(k) < 0.5
        y[vehicle] = rng.choice(np.asarray(s.roads_m), k)
        heading[vehicle] = np.where(eastbound, 0.0, np.pi)
        speed[vehicle] = rng.uniform(*s.drive_speed_ms, k)
        turn_sigma[vehicle] = 0.0
        if not initial:
            x[vehicle] = np.where(eastbound, 1.0, length - 1.0)
        # Animals: slower, wander more; small herds.
        animal = cls == ANIMAL
        k = int(animal.sum())
        speed[animal] = rng.uniform(0.2, 1.2, k)
        turn_sigma[animal] = 2 * s.turn_sigma_rad_s
        size[animal] = rng.integers(1, 5, k)
        self.x[idx], self.y[idx], self.heading[idx], self.speed[idx] = x, y, heading, speed
        self.turn[idx] = 0.0
        self.turn_sigma[idx] = turn_sigma
        self.size[idx] = size
        self.crosser[idx] = crosser
        for c, k in enumerate(np.bincount(cls, minlength=4).tolist()):
            self.stats.spawned[c] += k
        self.stats.crossers_spawned += int(crosser.sum())

    def step(self, dt: float) -> None:
        s, rng = self.shape, self.rng
        x0, y0 = self.x.copy(), self.y.copy()
        a = math.exp(-dt / s.turn_tau_s)
        # Turn rate is an Ornstein-Uhlenbeck process: smooth, bounded turns.
        self.turn = self.turn * a + self.turn_sigma * math.sqrt(1 - a * a) * rng.standard_normal(
            len(self.x)
        )
        self.heading += self.turn * dt
        self.x += self.speed * np.cos(self.heading) * dt
        self.y += self.speed * np.sin(self.heading) * dt
        gone = (self.x < 0) | (self.x > s.length_m) | (np.abs(self.y) > s.half_depth_m)
        # Ground truth: a sign change of y (metres north of the line) is a crossing.
        crossed = np.flatnonzero((np.sign(y0) != np.sign(self.y)) & (y0 != 0) & ~gone)
        for i in crossed.tolist():
            f = y0[i] / (y0[i] - self.y[i])
            self.stats.truth_crossings.append(
                (
                    self.clock + f * dt,
                    float(x0[i] + f * (self.x[i] - x0[i])),
                    1 if self.y[i] > 0 else -1,
                    int(self.cls[i]),
                    int(self.size[i]),
                )
            )
        self.clock += dt
        self.spawn(np.flatnonzero(gone), initial=False)


def _observe(
    shape: Shape,
    targets: Targets,
    rng: np.random.Generator,
    clutter_rate: np.ndarray,
) -> dict[str, np.ndarray]:
    """One radar sweep of every radar: detections of targets plus clutter, as columns."""
    s = shape
    width = s.length_m / s.radars
    x, y = targets.x, targets.y
    home = np.clip((x // width).astype(np.int64), 0, s.radars - 1)
    left = (x - home * width < s.overlap_m) & (home > 0)
    right = ((home + 1) * width - x < s.overlap_m) & (home < s.radars - 1)
    idx = np.concatenate([np.arange(len(x)), np.flatnonzero(left), np.flatnonzero(right)])
    radar = np.concatenate([home, home[left] - 1, home[right] + 1])
    seen = rng.random(len(idx)) < s.pd
    idx, radar = idx[seen], radar[seen]
    n = len(idx)
    sigma = rng.uniform(*s.sigma_m, n)
    cls = targets.cls[idx]
    kind = (rng.random(n)[:, None] > CONFUSION_CUM[cls]).sum(axis=1).clip(0, 3)
    size = targets.size[idx]
    # A group is one detection with a count: hidden members are missed, rarely one extra.
    count = np.where(size > 1, rng.binomial(size, 0.85) + (rng.random(n) < 0.05), 1).clip(1, None)
    confidence = rng.uniform(0.6, 0.99, n)
    # Clutter: uniform over each radar's own area, kind unknown, count 1.
    k_per = rng.poisson(clutter_rate)
    k = int(k_per.sum())
    c_radar = np.repeat(np.arange(s.radars), k_per)
    c_x = (c_radar + rng.random(k)) * width
    c_y = rng.uniform(-s.half_depth_m, s.half_depth_m, k)
    return {
        "radar": np.concatenate([radar, c_radar]),
        "x": np.concatenate([x[idx] + sigma * rng.standard_normal(n), c_x]),
        "y": np.concatenate([y[idx] + sigma * rng.standard_normal(n), c_y]),
        "sigma": np.concatenate([sigma, rng.uniform(*s.sigma_m, k)]),
        "kind": np.concatenate([kind, np.full(k, UNKNOWN_K)]),
        "count": np.concatenate([count, np.ones(k, np.int64)]),
        "confidence": np.concatenate([confidence, rng.uniform(0.2, 0.7, k)]),
        "truth": np.concatenate([cls, np.full(k, CLUTTER)]),
    }


def generate(
    path: str | Path, detections: int = 1_000_000, *, seed: int = 7, shape: Shape | None = None
) -> GenStats:
    """Write exactly ``detections`` wire-format lines to ``path``, sorted by time except for
    the deliberately delayed ones. Seeded: the same arguments give the same file."""
    s = shape or Shape()
    if s.rate_hz != 1.0:
        raise ValueError("time stamps are whole seconds plus each radar's phase: 1 Hz only")
    rng = np.random.default_rng(seed)
    stats = GenStats(targets=s.targets)
    started = time.perf_counter()
    dt = 1.0 / s.rate_hz
    targets = Targets(s, rng, stats)
    # Each radar's clutter rate: its clutter share of (its target detections + clutter).
    share = rng.uniform(*s.clutter_share, s.radars)
    per_radar = s.targets * s.pd / s.radars
    clutter_rate = per_radar * share / (1 - share)
    # Radars sweep at their own phase within a second (sorted: radar order is time order).
    phase_ms = np.sort(rng.choice(int(1000 * dt), s.radars, replace=False))
    suffix = [f".{int(ms):03d}Z" for ms in phase_ms]
    sensor = [f"radar-{r + 1:02d}" for r in range(s.radars)]
    base = s.start.timestamp()
    delayed_share = max(s.delayed_share, s.min_delayed / max(detections, 1))
    m_lon = s.m_per_deg_lon
    t_strings: dict[int, str] = {}

    def stamp(tick: int) -> str:
        text = t_strings.get(tick)
        if text is None:
            when = datetime.fromtimestamp(base + tick * dt, UTC)
            text = t_strings[tick] = when.strftime("%Y-%m-%dT%H:%M:%S")
        return text

    carry: dict[str, np.ndarray] | None = None
    written = tick = last_tick = 0
    chunk_ticks = 30
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        while written < detections:
            parts: list[dict[str, np.ndarray]] = [carry] if carry is not None else []
            for _ in range(chunk_ticks):
                targets.step(dt)
                obs = _observe(s, targets, rng, clutter_rate)
                n = len(obs["x"])
                # Within a sweep, reports come in random order; sweeps in radar (time) order.
                order = np.lexsort((rng.random(n), obs["radar"]))
                obs = {key: value[order] for key, value in obs.items()}
                obs["tick"] = np.full(n, tick, np.int64)
                delayed = rng.random(n) < delayed_share
                obs["delayed"] = delayed
                t = tick * dt + phase_ms[obs["radar"]] / 1000.0
                obs["emit"] = t + np.where(delayed, rng.uniform(*s.delay_s, n), 0.0)
                parts.append(obs)
                tick += 1
            chunk = {c: np.concatenate([p[c] for p in parts]) for c in parts[-1]}
            order = np.argsort(chunk["emit"], kind="stable")
            chunk = {c: v[order] for c, v in chunk.items()}
            if written + len(order) >= detections:
                take = detections - written  # the last chunk: stop at exactly `detections`
            else:
                # Everything due before the next chunk's first sweep can go out now; reports
                # delayed past that wait for the next chunk.
                take = int(np.searchsorted(chunk["emit"], tick * dt, side="left"))
            rows = {c: v[:take] for c, v in chunk.items()}
            carry = {c: v[take:] for c, v in chunk.items()}
            stats.bytes += _write(out, rows, m_lon, s, stamp, suffix, sensor)
            written += take
            stats.clutter += int((rows["truth"] == CLUTTER).sum())
            stats.delayed += int(rows["delayed"].sum())
            if take:
                last_tick = max(last_tick, int(rows["tick"].max()))
    stats.seconds_of_data = math.ceil((last_tick + 1) * dt)
    stats.detections = written
    stats.target_detections = written - stats.clutter
    stats.gen_seconds = time.perf_counter() - started
    return stats


def _write(
    out: BinaryIO,
    rows: dict[str, np.ndarray],
    m_lon: float,
    s: Shape,
    stamp: Callable[[int], str],
    suffix: Sequence[str],
    sensor: Sequence[str],
) -> int:
    lat = np.round(LINE_LAT + rows["y"] / M_PER_DEG_LAT, 7).tolist()
    lon = np.round(s.west_lon + rows["x"] / m_lon, 7).tolist()
    sigma = np.round(rows["sigma"], 1).tolist()
    confidence = np.round(rows["confidence"], 2).tolist()
    kinds = [KIND_NAMES[k] for k in rows["kind"].tolist()]
    dumps = orjson.dumps
    lines = [
        dumps(
            {
                "time": stamp(tick) + suffix[r],
                "sensor_id": sensor[r],
                "lat": la,
                "lon": lo,
                "sigma_m": sg,
                "kind": kd,
                "count": ct,
                "confidence": cf,
                "simulated": True,
            }
        )
        for tick, r, la, lo, sg, kd, ct, cf in zip(
            rows["tick"].tolist(),
            rows["radar"].tolist(),
            lat,
            lon,
            sigma,
            kinds,
            rows["count"].tolist(),
            confidence,
            strict=True,
        )
    ]
    if not lines:
        return 0
    blob = b"\n".join(lines) + b"\n"
    out.write(blob)
    return len(blob)


# ---- measurement -----------------------------------------------------------------------


def parse_only(path: str | Path) -> tuple[int, int, float]:
    """The baseline: read and validate every line. Returns (accepted, rejected, seconds)."""
    source = JsonlDetectionSource(path)
    accepted = 0
    started = time.perf_counter()
    for _ in source:
        accepted += 1
    return accepted, source.report.rejected, time.perf_counter() - started


def timed_run(
    path: str | Path, incidents: str | Path, boundary: Boundary | None = None
) -> tuple[RunReport, float]:
    """``run_file`` as ``borderwatch run`` calls it, timed from outside."""
    boundary = boundary or Boundary.bundled()
    started = time.perf_counter()
    report = run_file(path, incidents, boundary=boundary, strict=False, reorder_window_s=5.0)
    return report, time.perf_counter() - started


@dataclass
class Result:
    detections: int
    file_bytes: int
    parse_s: float
    run_s: float
    report: RunReport
    peak_rss_mb: float

    @property
    def parse_per_s(self) -> float:
        return self.detections / self.parse_s

    @property
    def run_per_s(self) -> float:
        return self.detections / self.run_s

    @property
    def ratio(self) -> float:
        return self.run_s / self.parse_s


def measure(path: Path, incidents: Path, *, warmup_lines: int = 2000) -> Result:
    """Warm up on the first lines (untimed), then time parse-only and run on the whole file."""
    boundary = Boundary.bundled()  # loaded once, outside both timings
    warm = path.with_name("warmup.jsonl")
    with path.open("rb") as src, warm.open("wb") as dst:
        for _, line in zip(range(warmup_lines), src, strict=False):
            dst.write(line)
    parse_only(warm)
    timed_run(warm, incidents.with_name("warmup-incidents.jsonl"), boundary)
    gc.collect()
    detections, rejected, parse_s = parse_only(path)
    gc.collect()
    report, run_s = timed_run(path, incidents, boundary)
    if rejected or report.rejected:
        raise SystemExit(f"generator wrote bad lines: {rejected} rejected by the parser")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return Result(detections, path.stat().st_size, parse_s, run_s, report, peak)


def crossing_quality(stats: GenStats, incidents: Path, shape: Shape | None = None) -> Evaluation:
    """The run's crossing incidents scored against the generator's true crossings (only
    those inside the data span; people and vehicles must be found, animals must not)."""
    s = shape or Shape()
    base = s.start.timestamp()
    kinds = {WALKER: "person", GROUP: "person", VEHICLE: "vehicle", ANIMAL: "animal"}
    truth = [
        TruthCrossing(
            entity_id=f"target@{t:.0f}s",
            kind=kinds[cls],
            direction="northbound" if direction > 0 else "southbound",
            time=datetime.fromtimestamp(base + t, UTC),
            lat=LINE_LAT,
            lon=s.west_lon + x / s.m_per_deg_lon,
            group_size=size,
        )
        for t, x, direction, cls, size in stats.truth_crossings
        if t <= stats.seconds_of_data - 60  # the last minute has no time to confirm
    ]
    return evaluate(load_incidents(incidents), truth)


def summary_line(result: Result) -> str:
    """The benchmark's last line; its format is fixed (scripts and the smoke test read it)."""
    return (
        f"run: detections={result.detections} parse_per_s={result.parse_per_s:.0f} "
        f"run_per_s={result.run_per_s:.0f} ratio={result.ratio:.2f}"
    )


def table(result: Result, stats: GenStats) -> Table:
    r = result.report
    out = Table(title="borderwatch run vs parse-only (one core)", show_header=True)
    out.add_column("measure")
    out.add_column("value", justify="right")
    out.add_row("detections", f"{result.detections:,}")
    out.add_row("  of which clutter", f"{stats.clutter:,} ({stats.clutter_share:.1%})")
    out.add_row("  data span", f"{r.data_span_s:,.0f} s ({stats.targets:,} targets)")
    out.add_row("file size", f"{result.file_bytes / 1e6:,.1f} MB")
    out.add_row("parse only", f"{result.parse_s:,.2f} s")
    out.add_row("parse only rate", f"{result.parse_per_s:,.0f} detections/s")
    out.add_row("run", f"{result.run_s:,.2f} s")
    out.add_row("run rate", f"{result.run_per_s:,.0f} detections/s")
    out.add_row("run / parse time", f"{result.ratio:.2f}")
    out.add_row("replay speed", f"{r.times_real_time:,.0f}x the data's clock")
    out.add_row("incidents", f"{r.incidents:,}")
    out.add_row("  crossings", f"{r.crossings:,}")
    out.add_row("  approaches", f"{r.approaches:,}")
    out.add_row("tracks started", f"{r.tracks_started:,}")
    out.add_row("late (delayed in file)", f"{r.late:,} ({stats.delayed:,})")
    out.add_row("rejected", f"{r.rejected:,}")
    out.add_row("peak RSS", f"{result.peak_rss_mb:,.0f} MB")
    return out


def _count(text: str) -> int:
    return int(text.replace("_", "").replace(",", ""))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--detections", type=_count, default=1_000_000, metavar="N")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--keep", action="store_true", help=f"write to {OUT_DIR} and keep the files"
    )
    args = parser.parse_args(argv)
    console = Console(stderr=False)
    if args.keep:
        folder = OUT_DIR
        folder.mkdir(parents=True, exist_ok=True)
    else:
        folder = Path(tempfile.mkdtemp(prefix="borderwatch-bench-"))
    try:
        path = folder / "detections.jsonl"
        console.print(f"generating {args.detections:,} detections (seed {args.seed}) ...")
        stats = generate(path, args.detections, seed=args.seed)
        console.print(
            f"  {stats.bytes / 1e6:,.0f} MB, {stats.seconds_of_data:,} s of data, "
            f"{stats.clutter_share:.1%} clutter, {stats.delayed} delayed, "
            f"{stats.crossers_spawned:,} crossing targets of {sum(stats.spawned):,} spawned, "
            f"in {stats.gen_seconds:.1f} s -> {path}",
            soft_wrap=True,
        )
        console.print("timing parse-only, then run ...")
        result = measure(path, folder / "incidents.jsonl")
        console.print(table(result, stats))
        quality = crossing_quality(stats, folder / "incidents.jsonl").summary()
        console.print(
            "crossings against the generator's truth: "
            f"{quality['detected']}/{quality['truth_crossings']} found "
            f"(recall {quality['recall']}), {quality['false_crossings']} false, "
            f"latency median {quality['latency_median_s']} s, p95 {quality['latency_p95_s']} s; "
            f"{quality['truth_animal_crossings']} animal crossings",
            soft_wrap=True,
        )
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    sys.stdout.flush()
    print(summary_line(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
