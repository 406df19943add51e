"""Ground truth: where each mover really crossed the line, and the JSON-ready records.

A crossing is found on the mover's 1 s path: consecutive samples on opposite sides
(``Boundary.signed_distance_local``, positive = north side), and the point where the straight
1 s move met the line (``Boundary.crossing_local``). Records are documented in
docs/scenario-format.md ("Outputs"); every one carries ``"simulated": true``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from borderwatch.domain import Direction, Kind
from borderwatch.domain.time import epoch_to_datetime, format_time
from borderwatch.geo import Boundary
from borderwatch.sim.movers import Clock, MoverPath
from borderwatch.sim.scenario import Scenario

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


def truth_records(
    scenario: Scenario,
    paths: Sequence[MoverPath],
    clock: Clock,
    line: Boundary,
    crossings: Sequence[TruthCrossing],
    events: Sequence[SimEvent],
) -> list[dict[str, Any]]:
    """The truth file's records (docs/scenario-format.md, "Outputs"): the scenario, then
    the entities, then crossings, events and 1 s positions merged in time order."""
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
