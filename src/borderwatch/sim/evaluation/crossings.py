"""Crossing detection quality against ground truth: recall, false crossings, latency.

A truth crossing by people or a vehicle is **alarmable**; an animal's is not. An incident
of type ``crossing`` matches an alarmable truth crossing of the same direction when it is
within ``max_time_s`` of it and its point within ``max_distance_m``; each truth crossing is
matched at most once, nearest in time first. Unmatched crossing incidents are **false
crossings** (including any raised by an animal). Latency is ``detected_at`` minus the true
crossing time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from borderwatch.adapters.sources.jsonl import read_jsonl
from borderwatch.domain import InputError, Kind, check_lat_lon
from borderwatch.domain.time import parse_time
from borderwatch.geo.measure import great_circle_m
from borderwatch.watch import IncidentRecord, incident_from_wire

ALARMABLE = frozenset({"person", "vehicle", "unknown"})
_KINDS = frozenset(k.value for k in Kind)


@dataclass(frozen=True)
class TruthCrossing:
    entity_id: str
    kind: str
    direction: str
    time: datetime
    lat: float
    lon: float
    group_size: int | None


@dataclass(frozen=True)
class Match:
    truth: TruthCrossing
    incident: IncidentRecord
    latency_s: float
    time_error_s: float
    point_error_m: float


@dataclass
class Evaluation:
    """The outcome of :func:`evaluate`: matches, missed truth crossings and false
    crossings, with recall, latency percentiles and a JSON-ready ``summary``; NaN (None in
    the summary) where there is nothing to measure."""

    truth_alarmable: int
    truth_animal: int
    matches: list[Match] = field(default_factory=list)
    missed: list[TruthCrossing] = field(default_factory=list)
    false_crossings: list[IncidentRecord] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return len(self.matches) / self.truth_alarmable if self.truth_alarmable else math.nan

    def latency(self, q: float) -> float:
        if not self.matches:
            return math.nan
        return float(np.percentile([m.latency_s for m in self.matches], q))

    def summary(self) -> dict[str, object]:
        return {
            "truth_crossings": self.truth_alarmable,
            "truth_animal_crossings": self.truth_animal,
            "detected": len(self.matches),
            "recall": round(self.recall, 3) if self.truth_alarmable else None,
            "false_crossings": len(self.false_crossings),
            "latency_median_s": _round(self.latency(50)),
            "latency_p95_s": _round(self.latency(95)),
            "point_error_median_m": _round(
                float(np.median([m.point_error_m for m in self.matches])) if self.matches else None
            ),
            "time_error_median_s": _round(
                float(np.median([m.time_error_s for m in self.matches])) if self.matches else None
            ),
        }


def _round(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else round(value, 1)


def load_truth_crossings(path: str | Path) -> list[TruthCrossing]:
    """The crossings of a ground-truth JSONL file (from ``simulate``), each field checked:
    a bad one is an :class:`InputError` naming the file, line, field and reason, so a
    misspelt ``kind`` is refused rather than scored as an animal."""
    out = []
    for line, obj in read_jsonl(path):
        if obj.get("type") != "crossing":
            continue
        try:
            out.append(_truth_crossing(obj))
        except InputError as err:
            raise err.at(line=line, source=str(path)) from None
    return out


def _truth_crossing(obj: dict[str, Any]) -> TruthCrossing:
    for key in ("entity_id", "direction", "time", "lat", "lon"):
        if obj.get(key) is None:
            raise InputError(key, "is required")
    kind = obj.get("kind", "unknown")
    if not isinstance(kind, str) or kind not in _KINDS:
        raise InputError("kind", f"must be one of {', '.join(sorted(_KINDS))}, got {kind!r}")
    direction = obj["direction"]
    if direction not in ("northbound", "southbound"):
        raise InputError("direction", f"must be northbound or southbound, got {direction!r}")
    group_size = obj.get("group_size")
    if group_size is not None and (type(group_size) is not int or group_size < 1):
        raise InputError("group_size", f"must be an integer >= 1 or null, got {group_size!r}")
    lat, lon = check_lat_lon(obj["lat"], obj["lon"])
    return TruthCrossing(
        entity_id=str(obj["entity_id"]),
        kind=kind,
        direction=direction,
        time=parse_time(obj["time"]),
        lat=lat,
        lon=lon,
        group_size=group_size,
    )


def load_incidents(path: str | Path) -> list[IncidentRecord]:
    out = []
    for line, obj in read_jsonl(path):
        try:
            out.append(incident_from_wire(obj))
        except InputError as err:
            raise err.at(line=line, source=str(path)) from None
    return out


def evaluate(
    incidents: list[IncidentRecord],
    truth: list[TruthCrossing],
    *,
    max_time_s: float = 300.0,
    max_distance_m: float = 500.0,
) -> Evaluation:
    """Match crossing incidents to the alarmable truth crossings (rules in the module
    docstring: same direction, within ``max_time_s`` and ``max_distance_m``, nearest in
    time, each used once) and return the :class:`Evaluation`."""
    alarmable = [t for t in truth if t.kind in ALARMABLE]
    result = Evaluation(truth_alarmable=len(alarmable), truth_animal=len(truth) - len(alarmable))
    # A revision (its head count firmed up: watch/revision.py) is the same incident again,
    # never a crossing of its own.
    crossings = [i for i in incidents if i.type == "crossing" and i.revision == 0]
    used: set[int] = set()
    for t in sorted(alarmable, key=lambda x: x.time):
        best: tuple[float, int, float] | None = None
        for k, inc in enumerate(crossings):
            if k in used or inc.direction is None or inc.direction.value != t.direction:
                continue
            dt = abs((inc.time - t.time).total_seconds())
            dist = great_circle_m(t.lat, t.lon, inc.lat, inc.lon)
            if dt <= max_time_s and dist <= max_distance_m and (best is None or dt < best[0]):
                best = (dt, k, dist)
        if best is None:
            result.missed.append(t)
            continue
        _, k, dist = best
        used.add(k)
        inc = crossings[k]
        result.matches.append(
            Match(
                truth=t,
                incident=inc,
                latency_s=(inc.detected_at - t.time).total_seconds(),
                time_error_s=(inc.time - t.time).total_seconds(),
                point_error_m=dist,
            )
        )
    result.false_crossings = [inc for k, inc in enumerate(crossings) if k not in used]
    return result
