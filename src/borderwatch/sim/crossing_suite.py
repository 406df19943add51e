"""The crossing suite: hours of walking groups crossing the line and of Border Road traffic
along it, through the whole pipeline, scored against truth.

What it holds (``CrossingSuiteSpec``), on a stretch of the 49th parallel east of Coutts:

* **Walking groups** (1-9 people) start 300-900 m from the line on a random side and walk
  towards it at about 1 m/s, within 25 degrees of straight across, then 300 m on. A
  sensor reports each group once per second as one detection with a count, with
  probability 0.9 and 10 m noise: the tracker issue's hard-but-fair case.
* **Border Road traffic**: vehicles driving the gravel lane that runs along the line on
  the Canadian side, on a route 17.5 m north of the line that wanders by up to 11 m (6.5
  to 28.5 m north; the Coutts scenario's pickup), at 8-15 m/s, end to end. They never
  cross. Any crossing incident they raise is a false alarm.
* A little clutter anywhere in the strip.

Every detection is marked simulated. Positions are generated in metres from the line and
converted with a spherical approximation (this is the generator, not the system under
test; the pipeline uses its own projection).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

import numpy as np

from borderwatch.domain import Detection, Kind
from borderwatch.domain.time import epoch_to_datetime
from borderwatch.sim.evaluation.crossings import TruthCrossing
from borderwatch.sim.sphere import LINE_LAT, M_PER_DEG_LAT, ParallelStrip

if TYPE_CHECKING:
    from borderwatch.watch import IncidentRecord


@dataclass(frozen=True, kw_only=True)
class CrossingSuiteSpec(ParallelStrip):
    """What the suite holds: hours, the stretch of line, walking groups, Border Road
    traffic and the sensor's noise and detection probability (module docstring)."""

    hours: float = 1.0
    west_lon: float = -112.0
    east_lon: float = -111.75
    """About 18 km of line."""
    groups_per_hour: float = 30.0
    group_size: tuple[int, int] = (1, 9)
    walk_speed_ms: tuple[float, float] = (0.9, 1.1)
    start_distance_m: tuple[float, float] = (300.0, 900.0)
    beyond_m: float = 300.0
    max_angle_rad: float = math.radians(25)
    vehicles_per_hour: float = 20.0
    road_north_m: float = 17.5
    road_wander_m: float = 11.0
    drive_speed_ms: tuple[float, float] = (8.0, 15.0)
    noise_m: float = 10.0
    detection_probability: float = 0.9
    clutter_per_s: float = 0.5
    strip_half_depth_m: float = 1000.0
    start: datetime = datetime(2025, 2, 3, 6, 0, tzinfo=UTC)
    seed: int = 1


@dataclass
class CrossingSuite:
    detections: list[Detection]
    crossings: list[TruthCrossing]
    vehicles: int
    groups: int
    seconds: int
    group_paths: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Group id -> (first and last second it was on the ground)."""


def _to_geo(spec: CrossingSuiteSpec, east: np.ndarray, north: np.ndarray) -> tuple[
    np.ndarray, np.ndarray
]:
    return LINE_LAT + north / M_PER_DEG_LAT, spec.west_lon + east / spec.m_per_deg_lon


def generate(spec: CrossingSuiteSpec) -> CrossingSuite:
    """The suite's detections (time order) and true crossings. Seeded."""
    rng = np.random.default_rng(spec.seed)
    seconds = round(spec.hours * 3600)
    base = spec.start.timestamp()
    rows: list[tuple[float, str, float, float, Kind, int]] = []
    # rows: (time, entity, east, north, kind reported, count) before noise and detection.
    truths: list[TruthCrossing] = []
    paths: dict[str, tuple[float, float]] = {}
    # ---- walking groups ----
    n_groups = rng.poisson(spec.groups_per_hour * spec.hours)
    margin = 1500.0
    for g in range(n_groups):
        gid = f"group-{g + 1:04d}"
        size = int(rng.integers(spec.group_size[0], spec.group_size[1] + 1))
        side = rng.choice([-1.0, 1.0])
        d0 = rng.uniform(*spec.start_distance_m)
        angle = rng.uniform(-spec.max_angle_rad, spec.max_angle_rad)
        speed = rng.uniform(*spec.walk_speed_ms)
        heading_n = -side * math.cos(angle)  # toward the line
        heading_e = math.sin(angle)
        path_len = (d0 + spec.beyond_m) / math.cos(angle)
        duration = int(path_len / speed)
        t0 = int(rng.uniform(0, max(1, seconds - duration)))
        e0 = rng.uniform(margin, spec.length_m - margin)
        n0 = side * d0
        t = np.arange(duration)
        east = e0 + heading_e * speed * t
        north = n0 + heading_n * speed * t
        paths[gid] = (float(base + t0), float(base + t0 + duration - 1))
        # True crossing: where the path meets north = 0.
        tc = d0 / math.cos(angle) / speed
        if tc < duration - 1:
            lat, lon = _to_geo(spec, np.array([e0 + heading_e * speed * tc]), np.array([0.0]))
            truths.append(
                TruthCrossing(
                    gid,
                    "person",
                    "northbound" if side < 0 else "southbound",
                    epoch_to_datetime(base + t0 + tc),
                    float(lat[0]),
                    float(lon[0]),
                    size,
                )
            )
        seen = rng.random(duration) < spec.detection_probability
        extra = rng.random(duration) < 0.05
        counts = np.clip(rng.binomial(size, 0.85, duration) + extra, 1, None)
        labels = rng.random(duration) < 0.85
        for i in np.flatnonzero(seen).tolist():
            rows.append(
                (
                    base + t0 + i,
                    gid,
                    float(east[i]),
                    float(north[i]),
                    Kind.PERSON if labels[i] else Kind.UNKNOWN,
                    int(counts[i]),
                )
            )
    # ---- Border Road traffic ----
    n_vehicles = rng.poisson(spec.vehicles_per_hour * spec.hours)
    for v in range(n_vehicles):
        vid = f"vehicle-{v + 1:04d}"
        speed = rng.uniform(*spec.drive_speed_ms)
        duration = int(spec.length_m / speed)
        t0 = int(rng.uniform(-duration / 2, seconds))
        eastbound = rng.random() < 0.5
        t = np.arange(duration)
        east = speed * t if eastbound else spec.length_m - speed * t
        # The lane wanders smoothly (a sum of two slow sines), within +-road_wander_m.
        phase = rng.uniform(0, 2 * np.pi, 2)
        wander = 0.5 * spec.road_wander_m * (
            np.sin(east / 300.0 + phase[0]) + np.sin(east / 170.0 + phase[1])
        )
        north = spec.road_north_m + wander
        seen = rng.random(duration) < spec.detection_probability
        labels = rng.random(duration) < 0.85
        for i in np.flatnonzero(seen).tolist():
            when = t0 + i
            if 0 <= when < seconds:
                rows.append(
                    (
                        base + when,
                        vid,
                        float(east[i]),
                        float(north[i]),
                        Kind.VEHICLE if labels[i] else Kind.UNKNOWN,
                        1,
                    )
                )
    # ---- clutter ----
    n_clutter = rng.poisson(spec.clutter_per_s * seconds)
    c_t = np.sort(rng.integers(0, seconds, n_clutter))
    c_e = rng.uniform(0, spec.length_m, n_clutter)
    c_n = rng.uniform(-spec.strip_half_depth_m, spec.strip_half_depth_m, n_clutter)
    for tt, ee, nn in zip(c_t.tolist(), c_e.tolist(), c_n.tolist(), strict=True):
        rows.append((base + tt, "clutter", ee, nn, Kind.UNKNOWN, 1))
    rows.sort(key=lambda r: (r[0], r[1]))
    if not rows:
        return CrossingSuite([], truths, n_vehicles, n_groups, seconds, paths)
    t_arr = np.array([r[0] for r in rows])
    e_arr = np.array([r[2] for r in rows]) + rng.normal(0, spec.noise_m, len(rows))
    n_arr = np.array([r[3] for r in rows]) + rng.normal(0, spec.noise_m, len(rows))
    lat, lon = _to_geo(spec, e_arr, n_arr)
    times: dict[float, datetime] = {}
    detections = [
        Detection(
            time=times.setdefault(t, epoch_to_datetime(t)),
            epoch_s=t,
            sensor_id="suite-radar",
            lat=float(la),
            lon=float(lo),
            sigma_m=spec.noise_m,
            kind=r[4],
            count=r[5],
            simulated=True,
        )
        for r, t, la, lo in zip(rows, t_arr.tolist(), lat.tolist(), lon.tolist(), strict=True)
    ]
    return CrossingSuite(detections, truths, n_vehicles, n_groups, seconds, paths)


@dataclass(frozen=True)
class SuiteScore:
    crossings: int
    found: int
    recall: float
    false_crossings: int
    """Crossing incidents that match no true crossing, duplicates not counted."""
    duplicates: int
    """Crossing incidents that match no true crossing but repeat a found one (same
    direction, within the matching window of it): the same group's crossing raised twice."""
    approach_duplicates: int
    """Approach warnings beyond the first for one true crossing (same direction, before
    it, within 1 km of its point)."""
    false_near_road: int
    """False crossings raised by a track at road speed (4 m/s or more) or judged a
    vehicle: Border Road traffic. (Counting those within 100 m of the line, as this did
    before, counted every one: a crossing's point is on the line.)"""
    latency_median_s: float
    latency_p90_s: float
    latency_p95_s: float
    approach_warned: int
    approach_share: float
    """Share of true crossings with an approach warning raised before the group reached
    the line (every group of the suite walks >= 300 m towards the line: seen coming)."""
    lead_median_s: float
    """Median time from the approach warning to the true crossing."""
    latencies_s: tuple[float, ...] = ()
    """Each found crossing's latency (incident raised minus true crossing time)."""
    evidence_latencies_s: tuple[float, ...] = ()
    """... and from the later of the true crossing and the first report of the group
    after it (streams that know it: sim.field_streams; else the same as latencies_s):
    the part of the delay that is the system's, not the terrain's."""
    head_counts: tuple[tuple[int, int, int, int], ...] = ()
    """Each found crossing's (true size, counted, range low, range high), where the truth
    knows the size: how far the incident's head count was off, and whether its range held
    the truth."""
    head_counts_revised: tuple[tuple[int, int, int, int], ...] = ()
    """The same, as last revised within ``REVISED_WITHIN_S`` of the raise
    (watch/revision.py; as raised when not revised by then)."""


REVISED_WITHIN_S = 60.0
"""A revision counts for the "as revised" head count only if it came within this long
(data time) of the incident being raised: the count an operator has while sending a team,
not one from long after (by then the team counts the group itself)."""


class ScoredStream(Protocol):
    """What scoring needs of a generated stream: its truth crossings and, per group, the
    first and last second it was on the ground."""

    @property
    def crossings(self) -> Sequence[TruthCrossing]: ...

    @property
    def group_paths(self) -> dict[str, tuple[float, float]]: ...


def score(suite: ScoredStream, incidents: list[object],
          revisions: Sequence[object] = ()) -> SuiteScore:
    """Crossings matched to truth (``evaluate``), duplicates told from false crossings, and
    approach warnings before each crossing (and repeated ones). ``revisions``: the
    revisions of those incidents (``Pipeline.revisions``), for the head count as revised;
    they are never matched or counted as incidents."""
    from borderwatch.domain import Incident, IncidentType
    from borderwatch.geo.measure import great_circle_m
    from borderwatch.sim.evaluation.crossings import evaluate
    from borderwatch.watch import incident_from_wire, incident_to_wire

    typed = [i for i in incidents if isinstance(i, Incident) and i.revision == 0]
    latest: dict[str, Incident] = {}
    raised_at = {i.incident_id: i.detected_at for i in typed}
    for r in revisions:
        if (isinstance(r, Incident) and r.incident_id in raised_at
                and ((r.revised_at or r.detected_at) - raised_at[r.incident_id]).total_seconds()
                <= REVISED_WITHIN_S):
            latest[r.incident_id] = r  # in order: the last within the window wins
    records = [incident_from_wire(incident_to_wire(i)) for i in typed]
    result = evaluate(records, list(suite.crossings))
    found_truth = [m.truth for m in result.matches]
    repeats = [
        r
        for r in result.false_crossings
        if any(
            r.direction is not None
            and r.direction.value == t.direction
            and abs((r.time - t.time).total_seconds()) <= 300.0
            and great_circle_m(r.lat, r.lon, t.lat, t.lon) <= 500.0
            for t in found_truth
        )
    ]
    false = [r for r in result.false_crossings if r not in repeats]
    by_id = {i.incident_id: i for i in typed}
    near_road = sum(
        1
        for r in false
        if by_id[r.incident_id].speed_ms >= 4.0 or by_id[r.incident_id].kind is Kind.VEHICLE
    )
    approaches = [i for i in typed if i.type == IncidentType.APPROACH]
    track_of = {i.incident_id: i.track_id for i in typed}
    crossing_track = {
        m.truth.entity_id: track_of.get(m.incident.incident_id) for m in result.matches
    }
    walked = {gid: end - start for gid, (start, end) in suite.group_paths.items()}
    # Each approach warning is for one true crossing: the nearest one of its direction
    # that it came before (within the group's walk), on the track that then crossed or
    # within 1 km of the crossing point. A second warning for one crossing is a repeat.
    for_crossing: dict[int, list[float]] = {}
    for a in approaches:
        best: tuple[float, int, float] | None = None
        for k, truth in enumerate(suite.crossings):
            if a.direction is not None and a.direction.value != truth.direction:
                continue
            lead = (truth.time - a.detected_at).total_seconds()
            if lead <= 0 or lead > walked.get(truth.entity_id, 1800.0):
                continue
            distance = great_circle_m(a.lat, a.lon, truth.lat, truth.lon)
            if a.track_id == crossing_track.get(truth.entity_id):
                distance = 0.0
            if distance <= 1000.0 and (best is None or distance < best[0]):
                best = (distance, k, lead)
        if best is not None:
            for_crossing.setdefault(best[1], []).append(best[2])
    warned = len(for_crossing)
    approach_repeats = sum(len(v) - 1 for v in for_crossing.values())
    leads = [max(v) for v in for_crossing.values()]
    latencies = [m.latency_s for m in result.matches]
    seen_after: dict[str, float] = getattr(suite, "seen_after", {})
    evidence = [
        (m.incident.detected_at.timestamp()
         - max(m.truth.time.timestamp(), seen_after.get(m.truth.entity_id, -math.inf)))
        for m in result.matches
    ]
    n = len(suite.crossings)
    return SuiteScore(
        crossings=n,
        found=len(result.matches),
        recall=len(result.matches) / n if n else 1.0,
        false_crossings=len(false),
        duplicates=len(repeats),
        approach_duplicates=approach_repeats,
        false_near_road=near_road,
        latency_median_s=float(np.median(latencies)) if latencies else float("nan"),
        latency_p90_s=float(np.percentile(latencies, 90)) if latencies else float("nan"),
        latency_p95_s=float(np.percentile(latencies, 95)) if latencies else float("nan"),
        approach_warned=warned,
        approach_share=warned / n if n else 1.0,
        lead_median_s=float(np.median(leads)) if leads else float("nan"),
        latencies_s=tuple(latencies),
        evidence_latencies_s=tuple(evidence),
        head_counts=tuple(
            (m.truth.group_size, int(m.incident.group_size or 0),
             *(m.incident.group_size_range or (m.incident.group_size or 0,) * 2))
            for m in result.matches if m.truth.group_size is not None
        ),
        head_counts_revised=tuple(
            (m.truth.group_size, *_count_of(latest.get(m.incident.incident_id), m.incident))
            for m in result.matches if m.truth.group_size is not None
        ),
    )


def _count_of(revised: object, raised: IncidentRecord) -> tuple[int, int, int]:
    """(count, range low, range high) as last revised, else as raised."""
    from borderwatch.domain import Incident

    if isinstance(revised, Incident):
        low, high = revised.group_size_range or (revised.group_size,) * 2
        return revised.group_size, low, high
    size = int(raised.group_size or 0)
    low, high = raised.group_size_range or (size, size)
    return size, low, high
