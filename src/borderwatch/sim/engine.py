"""Run a scenario: true paths, sensor detections, ground-truth crossings and events.

``simulate`` is pure given the scenario (its seed fixes every random draw) and the boundary.
Everything it produces is marked simulated (DESIGN.md: simulated data is marked as such in
every output, so it can never be mistaken for a real event).
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from borderwatch.domain import Detection, Direction, Kind
from borderwatch.geo import Boundary
from borderwatch.sim.movers import Clock, MoverPath, animal_path, group_path, vehicle_path
from borderwatch.sim.scenario import Camera, Drone, Scenario
from borderwatch.sim.sensors import (
    KINDS,
    NOT_JUDGED,
    Observations,
    camera_observations,
    drone_observations,
    plan_flight,
)
from borderwatch.sources.wire import detection_to_wire, epoch_to_datetime, format_time

POSITION_EVERY_S = 10
"""Truth position records are written every this many seconds per mover."""


@dataclass(frozen=True)
class TruthCrossing:
    """A mover's true passage over the line, from its 1 s path."""

    entity_id: str
    kind: Kind
    group_size: int
    epoch_s: float
    lat: float
    lon: float
    """The point on the line (where the straight 1 s move met it)."""
    direction: Direction
    segment: str


@dataclass(frozen=True)
class SimEvent:
    """Something that happened in the scenario besides movement: a tip, a drone launch."""

    epoch_s: float
    kind: str
    """``tip``, ``drone_launch``, ``drone_on_station``, ``drone_off_station``."""
    text: str
    sensor_id: str | None = None


@dataclass(eq=False)
class SimulationResult:
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


def simulate(scenario: Scenario, boundary: Boundary | None = None) -> SimulationResult:
    """Simulate the scenario on ``boundary`` (default: the scenario's own boundary file if it
    names one, else the bundled Canada-US line)."""
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
    for sensor in scenario.sensors:
        if isinstance(sensor, Camera):
            observations.append(camera_observations(sensor, paths, clock, frame, seed))
        else:
            observations.append(_fly(sensor, scenario, line, paths, clock, events))
    detections = _tip_detections(scenario)
    for obs in observations:
        detections += _to_detections(obs, line)
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
        truth=_truth_records(scenario, paths, clock, line, crossings, events),
        crossings=crossings,
        events=events,
        boundary=line,
        paths={p.entity_id: p for p in paths},
        clock=clock,
    )


def _fly(
    drone: Drone,
    scenario: Scenario,
    line: Boundary,
    paths: Sequence[MoverPath],
    clock: Clock,
    events: list[SimEvent],
) -> Observations:
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
    return drone_observations(drone, flight, paths, clock, scenario.seed)


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


def _to_detections(obs: Observations, line: Boundary) -> list[Detection]:
    lat, lon = line.frame.to_geo(obs.east, obs.north)
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
            id=f"{obs.sensor_id}-{i:06d}",
            children=None if obs.children[i] == NOT_JUDGED else int(obs.children[i]),
            simulated=True,
        )
        for i in range(len(obs.epoch_s))
    ]


def truth_crossings(path: MoverPath, clock: Clock, line: Boundary) -> list[TruthCrossing]:
    """Where the 1 s path changed sides, with the point from ``Boundary.crossing_local``.

    Only moves between two samples where the mover is in the scene count. A sample exactly
    on the line belongs to neither side: the crossing is the move from the last sample on
    one side to the next on the other (when they are not adjacent, the first on-line
    sample is the crossing point)."""
    signed, _ = line.signed_distance_local(path.east, path.north)
    side = np.sign(signed)
    out: list[TruthCrossing] = []
    last: int | None = None  # last present sample strictly on one side
    for k in np.nonzero(path.present & (side != 0))[0].tolist():
        if last is not None and side[k] != side[last] and path.present[last : k + 1].all():
            out.append(_crossing(path, clock, line, last, k, side[k] > 0))
        last = k
    return out


def _crossing(
    path: MoverPath, clock: Clock, line: Boundary, before: int, after: int, northbound: bool
) -> TruthCrossing:
    start = (float(path.east[before]), float(path.north[before]))
    end = (float(path.east[after]), float(path.north[after]))
    point = line.crossing_local(start, end) if after == before + 1 else None
    if point is not None:
        epoch, lat, lon, segment = (
            clock.t0 + before + point.fraction,
            point.lat,
            point.lon,
            point.segment_id,
        )
    else:  # on the line at sample before + 1 (or a numerical miss): use that sample
        on = before + 1
        lat, lon = line.frame.point_to_geo(float(path.east[on]), float(path.north[on]))
        epoch, segment = clock.t0 + on, line.segment_id_near(lat, lon)
    return TruthCrossing(
        entity_id=path.entity_id,
        kind=path.kind,
        group_size=path.group_size,
        epoch_s=epoch,
        lat=lat,
        lon=lon,
        direction=Direction.NORTHBOUND if northbound else Direction.SOUTHBOUND,
        segment=segment,
    )


def _truth_records(
    scenario: Scenario,
    paths: Sequence[MoverPath],
    clock: Clock,
    line: Boundary,
    crossings: Sequence[TruthCrossing],
    events: Sequence[SimEvent],
) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = [
        {
            "type": "scenario",
            "name": scenario.name,
            "title": scenario.title,
            "start": format_time(scenario.start),
            "end": format_time(scenario.end),
            "timezone": scenario.timezone,
            "seed": scenario.seed,
            "assumptions": [
                {"field": a.field, "value": a.value, "reason": a.reason}
                for a in scenario.assumptions
            ],
            "simulated": True,
        }
    ]
    groups = {g.entity_id: g for g in scenario.groups}
    species = {a.entity_id: a.species for a in scenario.animals}
    for path in paths:
        entity: dict[str, Any] = {
            "type": "entity",
            "entity_id": path.entity_id,
            "kind": path.kind.value,
            "group_size": path.group_size,
        }
        if path.entity_id in groups:
            group = groups[path.entity_id]
            entity["members"] = [
                {
                    "member_id": m.member_id,
                    "age": m.age,
                    "nationality": m.nationality,
                    "sex": m.sex,
                    "assumed": list(m.assumed),
                }
                for m in group.members
            ]
            entity["relations"] = [list(r) for r in group.relations]
            entity["relations_assumed"] = group.relations_assumed
        if path.entity_id in species:
            entity["species"] = species[path.entity_id]
        records.append({**entity, "simulated": True})
    timed: list[tuple[float, int, dict[str, Any]]] = []
    for c in crossings:
        timed.append(
            (
                c.epoch_s,
                0,
                {
                    "type": "crossing",
                    "entity_id": c.entity_id,
                    "kind": c.kind.value,
                    "group_size": c.group_size,
                    "time": _time(c.epoch_s),
                    "lat": round(c.lat, 7),
                    "lon": round(c.lon, 7),
                    "direction": c.direction.value,
                    "segment": c.segment,
                    "simulated": True,
                },
            )
        )
    for e in events:
        timed.append(
            (
                e.epoch_s,
                1,
                {
                    "type": "event",
                    "time": _time(e.epoch_s),
                    "kind": e.kind,
                    "text": e.text,
                    "sensor_id": e.sensor_id,
                    "simulated": True,
                },
            )
        )
    every = np.arange(clock.steps) % POSITION_EVERY_S == 0
    for path in paths:
        rows = np.nonzero(every & path.present)[0]
        lat, lon = line.frame.to_geo(path.east[rows], path.north[rows])
        for k, la, lo in zip(rows.tolist(), lat.tolist(), lon.tolist(), strict=True):
            epoch = clock.t0 + k
            timed.append(
                (
                    epoch,
                    2,
                    {
                        "type": "position",
                        "entity_id": path.entity_id,
                        "kind": path.kind.value,
                        "time": _time(epoch),
                        "lat": round(la, 7),
                        "lon": round(lo, 7),
                        "simulated": True,
                    },
                )
            )
    timed.sort(key=lambda item: (item[0], item[1]))
    return records + [record for _, _, record in timed]


def _time(epoch_s: float) -> str:
    return format_time(epoch_to_datetime(epoch_s))
