"""Run a scenario: true paths, sensor detections, ground-truth crossings and events.

``simulate`` is pure given the scenario (its seed fixes every random draw) and the boundary.
Everything it produces is marked simulated, so it can never be mistaken for a real event
(docs/references.md, "Conventions").
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from borderwatch.adapters.sources.detection_wire import detection_to_wire
from borderwatch.domain import Detection
from borderwatch.domain.detection import MAX_COUNT
from borderwatch.domain.time import epoch_to_datetime
from borderwatch.geo import Boundary
from borderwatch.sim.frame_sensors import FrameJob, run_frame_jobs
from borderwatch.sim.movers import Clock, MoverPath, animal_path, group_path, vehicle_path
from borderwatch.sim.scenario import Camera, Drone, Scenario
from borderwatch.sim.sensors import (
    KINDS,
    NOT_JUDGED,
    DroneFlight,
    FrameProgress,
    IntArray,
    Observations,
    camera_observations,
    drone_observations,
    plan_flight,
)
from borderwatch.sim.truth import SimEvent, TruthCrossing, truth_crossings, truth_records

__all__ = ["FrameProgress", "SimEvent", "SimulationResult", "TruthCrossing", "simulate"]


@dataclass(eq=False)
class SimulationResult:
    """A simulated run: the detections the sensors reported, the truth (records, crossings,
    events) and every mover's true path, so a result can be scored and replayed."""

    scenario: Scenario
    detections: list[Detection]
    """Sorted by time; every one ``simulated=True`` with a unique ``id``."""
    truth: list[dict[str, Any]]
    """JSON-ready records (docs/scenario-format.md, "Outputs")."""
    crossings: list[TruthCrossing]
    events: list[SimEvent]
    boundary: Boundary
    paths: dict[str, MoverPath] = field(repr=False)
    clock: Clock = field(repr=False)
    evidence: dict[str, bytes] = field(default_factory=dict, repr=False)
    """The frame crops (PNG) behind some detections, by detection id (frame sensors)."""

    def position_at(self, entity_id: str, epoch_s: float) -> tuple[float, float]:
        """True (lat, lon) of a mover at a time (linear between 1 s samples). Before the run
        it is where the run starts, after it where the run ends; before a mover enters the
        scene it is at its first waypoint (or start), after its route at its last."""
        if entity_id not in self.paths:
            raise KeyError(f"no mover {entity_id!r}; movers: {', '.join(self.paths)}")
        east, north, _ = self.paths[entity_id].at(np.array([float(epoch_s)]), self.clock)
        return self.boundary.frame.point_to_geo(float(east[0]), float(north[0]))

    def write(self, detections_path: Path, truth_path: Path) -> None:
        """Both files as JSONL. Each is written to a temporary file beside it and renamed into
        place only when both are complete, so a reader never sees half a file."""
        detections = (detection_to_wire(d) for d in self.detections)
        staged = [_stage(Path(detections_path), detections), _stage(Path(truth_path), self.truth)]
        for temp, final in staged:
            os.replace(temp, final)


def _stage(path: Path, records: Iterable[dict[str, Any]]) -> tuple[str, Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "wb", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    ) as handle:
        try:
            for record in records:
                handle.write(orjson.dumps(record) + b"\n")
        except BaseException:
            handle.close()
            os.unlink(handle.name)
            raise
    return handle.name, path


@functools.lru_cache(maxsize=4)
def _load_boundary(path: Path | None) -> Boundary:
    # The bundled line takes most of a second to index; a demo simulates more than once.
    return Boundary.bundled() if path is None else Boundary.load(path)


def simulate(
    scenario: Scenario,
    boundary: Boundary | None = None,
    *,
    progress: FrameProgress | None = None,
) -> SimulationResult:
    """Simulate the scenario on ``boundary`` (default: the scenario's own boundary file if it
    names one, else the bundled Canada-US line). ``progress(sensor_id, done, total)`` is told
    how far each sensor with a ``frames`` block has got through its scans (they run in
    worker processes: ``sim/frame_sensors.py``)."""
    line = boundary if boundary is not None else _load_boundary(scenario.boundary)
    frame, seed = line.frame, scenario.seed
    clock = Clock.between(scenario.start, scenario.end)
    paths = [group_path(g, frame, clock, seed) for g in scenario.groups]
    paths += [vehicle_path(v, frame, clock, seed) for v in scenario.vehicles]
    paths += [animal_path(a, frame, clock, seed) for a in scenario.animals]
    events = [
        SimEvent(t.time.timestamp(), "tip", t.text, f"tip:{t.agency_unit}") for t in scenario.tips
    ]
    observations: list[Observations] = []
    jobs: list[FrameJob] = []
    for sensor in scenario.sensors:
        if isinstance(sensor, Camera) and sensor.frames is not None:
            jobs.append(FrameJob(sensor, None, scenario, tuple(paths), clock, frame))
        elif isinstance(sensor, Camera):
            observations.append(camera_observations(sensor, paths, clock, frame, seed))
        else:
            flight = _fly(sensor, scenario, line, events)
            if sensor.frames is not None:
                jobs.append(FrameJob(sensor, flight, scenario, tuple(paths), clock, frame))
            else:
                observations.append(drone_observations(sensor, flight, paths, clock, seed))
    observations += run_frame_jobs(jobs, progress)
    detections = _tip_detections(scenario)
    evidence: dict[str, bytes] = {}
    for obs in observations:
        detections += _to_detections(obs, line)
        evidence.update((_detection_id(obs.sensor_id, i), png)
                        for i, png in obs.snapshots.items())
    detections.sort(key=lambda d: (d.epoch_s, d.sensor_id, d.id or ""))
    events = sorted(
        (e for e in events if clock.t0 <= e.epoch_s <= clock.t_end), key=lambda e: e.epoch_s
    )
    crossings = sorted(
        (c for path in paths for c in truth_crossings(path, clock, line)),
        key=lambda c: c.epoch_s,
    )
    return SimulationResult(
        scenario=scenario,
        detections=detections,
        truth=truth_records(scenario, paths, clock, line, crossings, events),
        crossings=crossings,
        events=events,
        boundary=line,
        paths={p.entity_id: p for p in paths},
        clock=clock,
        evidence=evidence,
    )


def _fly(drone: Drone, scenario: Scenario, line: Boundary, events: list[SimEvent]) -> DroneFlight:
    """The drone's flight plan, and its launch and station events."""
    flight = plan_flight(drone, scenario.tips, line)
    lat, lon = flight.target_lat_lon
    toward = f"tip {drone.after_tip}" if drone.target is None else "its target"
    events.append(
        SimEvent(
            flight.launch_s,
            "drone_launch",
            f"{drone.sensor_id} launched from ({drone.base[0]:.4f}, {drone.base[1]:.4f}) toward "
            f"{toward} ({lat:.4f}, {lon:.4f}) at {drone.cruise_ms:g} m/s",
            drone.sensor_id,
        )
    )
    events.append(
        SimEvent(
            flight.on_station_s,
            "drone_on_station",
            f"{drone.sensor_id} on station over ({lat:.4f}, {lon:.4f}), orbit "
            f"{drone.orbit_radius_m:g} m, thermal footprint {drone.footprint_m:g} m",
            drone.sensor_id,
        )
    )
    if flight.off_station_s is not None:
        events.append(
            SimEvent(
                flight.off_station_s,
                "drone_off_station",
                f"{drone.sensor_id} leaves station (endurance {drone.endurance_s:g} s)",
                drone.sensor_id,
            )
        )
    return flight


def _tip_detections(scenario: Scenario) -> list[Detection]:
    """A tip is a sensor too: one detection. Its count stays 1, since a phone call gives no
    reliable head count (the text says what the caller said)."""
    return [
        Detection(
            time=tip.time,
            epoch_s=tip.time.timestamp(),
            sensor_id=f"tip:{tip.agency_unit}",
            lat=tip.position[0],
            lon=tip.position[1],
            sigma_m=tip.sigma_m,
            kind=tip.kind,
            count=1,
            confidence=tip.confidence,
            id=tip.tip_id,
            simulated=True,
        )
        for tip in scenario.tips
        if scenario.start <= tip.time <= scenario.end
    ]


def _detection_id(sensor_id: str, index: int) -> str:
    return f"{sensor_id}-{index:06d}"


def _to_detections(obs: Observations, line: Boundary) -> list[Detection]:
    lat, lon = line.frame.to_geo(obs.east, obs.north)
    low, high = _stated_range(obs)
    return [
        Detection(
            time=epoch_to_datetime(float(obs.epoch_s[i])),
            epoch_s=float(obs.epoch_s[i]),
            sensor_id=obs.sensor_id,
            lat=float(lat[i]),
            lon=float(lon[i]),
            sigma_m=float(obs.sigma_m[i]),
            kind=KINDS[int(obs.kind[i])],
            count=int(obs.count[i]),
            confidence=float(obs.confidence[i]),
            id=_detection_id(obs.sensor_id, i),
            children=None if obs.children[i] == NOT_JUDGED else int(obs.children[i]),
            simulated=True,
            count_low=None if low is None else int(low[i]),
            count_high=None if high is None else int(high[i]),
        )
        for i in range(len(obs.epoch_s))
    ]


def _stated_range(obs: Observations) -> tuple[IntArray | None, IntArray | None]:
    """The sensor's stated head-count range as the wire takes it, 1 <= low <= count <=
    high <= MAX_COUNT (the detector's range can start below a count it then rounded up)."""
    if obs.count_low is None or obs.count_high is None:
        return None, None
    low = np.clip(obs.count_low, 1, obs.count)
    high = np.clip(obs.count_high, obs.count, MAX_COUNT)
    return low, high
