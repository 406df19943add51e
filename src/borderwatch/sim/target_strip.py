"""A synthetic border strip in local metres, for tracker benchmarks and tracker tests.

The strip is the setting of the tracker issue's reference measurements: a band
``length_m`` long and ``width_m`` deep (20 km x 2 km), one scan per second, every person
detected separately with probability ``detection_probability`` and Gaussian position noise
``noise_m``, plus ``clutter`` false reports per scan uniform over the strip.

People walk alone or in groups. A group walks in file, ``spacing_m`` apart along its
heading, each member a little to the side of the path (a fixed offset per member), so
members are separate people about 2 m apart: the hard case for trackers of individuals.
Walkers and groups turn slowly (the heading drifts) and turn back at the strip's edges.

Everything here is truth-generation, vectorised over all targets, seeded, and marked
simulated by the scans built from it (``to_scan``). This is not the scenario simulator of
``sim.simulator`` (which speaks latitude/longitude and sensors); it is a fixture-sized world
where the tracker can be measured by itself, the same input fed to any tracker.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from borderwatch.domain import Kind
from borderwatch.tracking.base import FloatArray, IntArray, Scan
from borderwatch.tracking.kind_evidence import label_codes

CLUTTER = -1
"""Truth id of a false report."""


@dataclass(frozen=True, kw_only=True)
class StripSpec:
    """What the strip holds. Defaults are the tracker issue's reference strip."""

    length_m: float = 20_000.0
    width_m: float = 2_000.0
    """The strip spans north -width/2 .. +width/2 (the line would be north = 0)."""
    targets: int = 500
    """People in the strip (all of them, singles and group members)."""
    group_share: float = 0.0
    """Share of the people who walk in groups of ``group_size``."""
    group_size: int = 5
    spacing_m: float = 2.0
    """Distance between consecutive members of a group along its path."""
    lateral_m: float = 0.5
    """1-sigma of each member's fixed sideways offset from the group's path."""
    speed_ms: tuple[float, float] = (0.8, 1.4)
    """Walking speeds, drawn uniformly per group (or single)."""
    turn_sigma_rad: float = 0.02
    """1-sigma of each second's change of heading."""
    noise_m: float = 5.0
    detection_probability: float = 0.9
    clutter: int = 50
    """False reports per scan (uniform over the strip)."""
    scan_s: float = 1.0
    start_epoch_s: float = 1_738_540_800.0
    """2025-02-03T00:00:00Z: the reference night."""
    seed: int = 1


@dataclass(frozen=True)
class StripScan:
    """One scan: the reports, and the truth at the scan's time."""

    epoch_s: float
    east_m: FloatArray
    north_m: FloatArray
    truth_id: IntArray
    """Person behind each report (``CLUTTER`` for false reports)."""
    truth_east_m: FloatArray
    truth_north_m: FloatArray
    """Every person's true position (index = person id)."""
    noise_m: float

    def to_scan(self, sensor: str = "strip-radar") -> Scan:
        """The reports as a tracker ``Scan`` (kind unknown, one person each, simulated)."""
        n = len(self.east_m)
        return Scan(
            detections=(),
            sensor_names=(sensor,),
            sensor_index=np.zeros(n, np.intp),
            epoch_s=np.full(n, self.epoch_s),
            east_m=self.east_m,
            north_m=self.north_m,
            sigma_m=np.full(n, self.noise_m),
            kind_code=np.full(n, label_codes([Kind.UNKNOWN])[0], np.intp),
            count=np.ones(n, np.intp),
            children=np.full(n, -1, np.intp),
            simulated=np.ones(n, np.intp),
        )


class Strip:
    """The strip's people; ``scans()`` moves them and yields what the sensor reports."""

    def __init__(self, spec: StripSpec) -> None:
        if spec.targets < 0 or spec.group_size < 1:
            raise ValueError("targets must be >= 0 and group_size >= 1")
        self.spec = spec
        self.rng = np.random.default_rng(spec.seed)
        rng = self.rng
        grouped = round(spec.targets * spec.group_share / spec.group_size)
        singles = spec.targets - grouped * spec.group_size
        if singles < 0:
            raise ValueError("group_share * targets exceeds targets")
        # Walkers: one per group and one per single; people point at their walker.
        sizes = np.concatenate(
            [np.full(grouped, spec.group_size, np.intp), np.ones(singles, np.intp)]
        )
        self.group_of: IntArray = np.repeat(np.arange(len(sizes)), sizes)
        """Walker (group) index of each person."""
        self.rank: IntArray = np.concatenate([np.arange(k) for k in sizes]).astype(np.intp)
        """Position of each person in their file (0 leads)."""
        n = len(sizes)
        half = spec.width_m / 2
        self.east = rng.uniform(0.0, spec.length_m, n)
        self.north = rng.uniform(-half * 0.9, half * 0.9, n)
        self.heading = rng.uniform(-np.pi, np.pi, n)
        self.speed = rng.uniform(*spec.speed_ms, n)
        self.lateral = rng.normal(0.0, spec.lateral_m, len(self.group_of))
        self.lateral[self.rank == 0] = 0.0
        self.epoch_s = spec.start_epoch_s

    @property
    def people(self) -> int:
        return len(self.group_of)

    def positions(self) -> tuple[FloatArray, FloatArray]:
        """Every person's true position now: behind their leader along the heading."""
        g = self.group_of
        back = self.rank * self.spec.spacing_m
        cos, sin = np.cos(self.heading[g]), np.sin(self.heading[g])
        east = self.east[g] - back * cos - self.lateral * sin
        north = self.north[g] - back * sin + self.lateral * cos
        return east, north

    def step(self) -> None:
        spec, rng = self.spec, self.rng
        dt = spec.scan_s
        self.heading += rng.normal(0.0, spec.turn_sigma_rad * np.sqrt(dt), len(self.heading))
        self.east += self.speed * np.cos(self.heading) * dt
        self.north += self.speed * np.sin(self.heading) * dt
        # Turn back at the edges (reflect the heading, keep inside).
        half = spec.width_m / 2
        out_n = np.abs(self.north) > half
        self.heading[out_n] = -self.heading[out_n]
        self.north = np.clip(self.north, -half, half)
        out_e = (self.east < 0) | (self.east > spec.length_m)
        self.heading[out_e] = np.pi - self.heading[out_e]
        self.east = np.clip(self.east, 0.0, spec.length_m)
        self.epoch_s += dt

    def observe(self) -> StripScan:
        spec, rng = self.spec, self.rng
        east, north = self.positions()
        seen = np.flatnonzero(rng.random(len(east)) < spec.detection_probability)
        k = len(seen)
        clutter = spec.clutter
        half = spec.width_m / 2
        report_e = np.concatenate(
            [east[seen] + rng.normal(0, spec.noise_m, k), rng.uniform(0, spec.length_m, clutter)]
        )
        report_n = np.concatenate(
            [north[seen] + rng.normal(0, spec.noise_m, k), rng.uniform(-half, half, clutter)]
        )
        truth = np.concatenate([seen, np.full(clutter, CLUTTER)]).astype(np.intp)
        # Sensors do not report in truth order.
        order = rng.permutation(len(truth))
        return StripScan(
            epoch_s=self.epoch_s,
            east_m=report_e[order],
            north_m=report_n[order],
            truth_id=truth[order],
            truth_east_m=east,
            truth_north_m=north,
            noise_m=spec.noise_m,
        )

    def scans(self, count: int) -> Iterator[StripScan]:
        """``count`` scans, one per ``scan_s``; the first at the start time."""
        for i in range(count):
            if i:
                self.step()
            yield self.observe()
