"""Why the field streams' crossings are missed, raised twice, raised falsely or raised late:
one line per such crossing with what the group tracks did around it. TUNING AND DIAGNOSTIC
SEEDS ONLY.

    .venv/bin/python bench/diagnose_field.py [--split tuning|diagnostic] [--hours 1]
        [--cache DIR] [--slow 20] [--seeds ...]

Runs each field stream of the split (``sim.field_streams.TUNING_SEEDS``, 1101-1104, or
``DIAGNOSTIC_SEEDS``, 3101-3112) through the default
pipeline, recording its group-track batches (``--cache DIR`` keeps them in DIR and replays
the watch stage alone on later runs: the watch rules do not change what the tracker does),
scores the incidents (``sim.crossing_suite.score``) and prints:

* every **miss**: the truth (group, size, direction, time), how long the group was hidden
  after the line (first report after it), and each group track within 400 m and 240 s of the
  crossing point: serial, identity, first and last update, signed distance to the line at
  both ends, speed, kind, head count, whether it continued a lost group (its
  predecessor), and the crossing incidents it raised (in any direction);
* every **false** or **duplicate** crossing incident: its track, kind, speed, head count,
  signed distance, and the tracks around it;
* every found crossing whose incident's head count is off by more than one (**count**):
  what it was raised with and from when the track following it counted the group;
* every crossing raised more than ``--slow`` seconds after the truth, split into the
  hidden part (truth to first report after the line) and the rest (first report to the
  incident), with the track that raised it: was it across the line at birth (a
  continuation) or tracked across.

There is no held-out choice: held-out seeds are never diagnosed (bench/README.md, "Tuning and
held-out splits"). Every stream is simulated.
"""

from __future__ import annotations

import argparse
import pickle
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from borderwatch.domain import Incident, IncidentType
from borderwatch.geo import Boundary
from borderwatch.pipeline import build_pipeline
from borderwatch.sim.crossing_suite import score
from borderwatch.sim.evaluation.crossings import evaluate
from borderwatch.sim.field_streams import (
    DIAGNOSTIC_SEEDS,
    TUNING_SEEDS,
    FieldStreamSpec,
    generate_field_stream,
)
from borderwatch.tracking import TrackBatch
from borderwatch.watch import (
    ApproachRule,
    CrossingRule,
    IncidentFactory,
    RiskModel,
    Watch,
    incident_from_wire,
    incident_to_wire,
)

SPLITS = {"tuning": TUNING_SEEDS, "diagnostic": DIAGNOSTIC_SEEDS}
"""The splits that may be traced; held-out is deliberately absent."""


def _record(
    seed: int, hours: float, cache: Path | None, boundary: Boundary
) -> tuple[object, list[TrackBatch]]:
    path = cache / f"field-{seed}-{hours:g}h.pickle" if cache else None
    if path is not None and path.exists():
        with path.open("rb") as f:
            cached: tuple[object, list[TrackBatch]] = pickle.load(f)  # our own cache
            return cached
    stream = generate_field_stream(FieldStreamSpec(hours=hours, seed=seed))
    batches: list[TrackBatch] = []
    build_pipeline(boundary, route=False, track_listeners=[batches.append]).feed_all(
        stream.detections
    )
    if path is not None:
        with path.open("wb") as f:
            pickle.dump((stream, batches), f)
    return stream, batches


class _Log:
    """Each track's updates as the watch saw them, with identity and predecessor."""

    def __init__(self) -> None:
        self.rows: dict[int, list[tuple[float, float, float, float, float, int, int, int]]] = (
            defaultdict(list)
        )
        self.identity: dict[int, int] = {}
        self.predecessor: dict[int, int] = {}


def _replay(boundary: Boundary, batches: list[TrackBatch]) -> tuple[list[Incident], _Log]:
    factory = IncidentFactory(boundary, RiskModel())
    watch = Watch(boundary, [CrossingRule(boundary, factory), ApproachRule(boundary, factory)])
    log = _Log()
    incidents: list[Incident] = []
    for batch in batches:
        prepared = watch.prepare(batch)
        g = prepared.geometry
        if g is not None:
            b = prepared.batch
            for row in range(len(b)):
                serial = int(b.serial[row])
                log.rows[serial].append(
                    (
                        float(b.epoch_s[row]),
                        float(b.east_m[row]),
                        float(b.north_m[row]),
                        float(g.signed_m[row]),
                        float(g.speed_ms[row]),
                        int(b.kind_code[row]),
                        int(b.group_size[row]),
                        int(b.confirmed[row]),
                    )
                )
                if g.identity is not None:
                    log.identity[serial] = int(g.identity[row])
                if g.predecessor is not None and int(g.predecessor[row]) >= 0:
                    log.predecessor[serial] = int(g.predecessor[row])
        incidents.extend(watch.judge(prepared))
    return incidents, log


def _serial(track: str) -> int:
    return int(track.split("-")[1])


def _around(
    log: _Log, east: float, north: float, t: float, radius: float = 400.0, window: float = 240.0
) -> list[int]:
    out = []
    for serial, rows in log.rows.items():
        arr = np.array([(r[0], r[1], r[2]) for r in rows])
        near = (np.abs(arr[:, 0] - t) <= window) & (
            np.hypot(arr[:, 1] - east, arr[:, 2] - north) <= radius
        )
        if near.any():
            out.append(serial)
    return sorted(out, key=lambda s: log.rows[s][0][0])


def _describe(log: _Log, serial: int, t0: float, raised: dict[int, list[str]]) -> str:
    rows = log.rows[serial]
    first, last = rows[0], rows[-1]
    speeds = [r[4] for r in rows]
    kinds = sorted({r[5] for r in rows})
    conf = next((r[0] for r in rows if r[7]), None)
    return (
        f"    trk {serial} id {log.identity.get(serial, serial)} "
        f"pred {log.predecessor.get(serial, '-')} "
        f"t {first[0] - t0:+.0f}..{last[0] - t0:+.0f} s "
        f"d {first[3]:+.0f}..{last[3]:+.0f} m n={len(rows)} "
        f"v med {np.median(speeds):.1f} m/s kind {kinds} size {rows[-1][6]} "
        f"conf@{'-' if conf is None else f'{conf - t0:+.0f}'} "
        f"raised {raised.get(serial, [])}"
    )


def _wrong_count(log: _Log, incident: Incident, group: str, true_size: int) -> None:
    """A found crossing whose incident's head count is off by more than one: the count
    and range it was raised with, and what the group track following it counted later."""
    current = _serial(str(incident.extra.get("current_track_id", incident.track_id)))
    raised = incident.detected_at.timestamp()
    later = [(r[0] - raised, r[6]) for r in log.rows.get(current, []) if r[0] >= raised]
    firm = next((f"{t:+.0f} s" for t, size in later if abs(size - true_size) <= 1), "never")
    print(
        f"  COUNT {group} size {true_size}: raised as {incident.group_size} "
        f"{incident.group_size_range} on track {current}; its track within one of the "
        f"truth from {firm} after the raise, last count {later[-1][1] if later else '-'}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--slow", type=float, default=20.0)
    parser.add_argument("--split", choices=sorted(SPLITS), default="tuning")
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="*",
        default=None,
        help="a subset of the split's seeds (default: all of them)",
    )
    args = parser.parse_args(argv)
    allowed = SPLITS[args.split]
    if args.seeds is None:
        args.seeds = list(allowed)
    if not set(args.seeds) <= set(allowed):
        parser.error(
            f"{args.split} seeds only ({allowed[0]}-{allowed[-1]}): held-out "
            "streams are never diagnosed"
        )
    if args.cache:
        args.cache.mkdir(parents=True, exist_ok=True)
    boundary = Boundary.bundled()
    frame = boundary.frame
    totals = defaultdict(int)
    latencies: list[float] = []
    evidence: list[float] = []
    hidden_lat: list[float] = []
    visible_lat: list[float] = []
    moment: list[tuple[float, float]] = []
    """Crossings found after a gap: |estimated moment - true moment| and time_sigma_s."""
    for seed in args.seeds:
        stream, batches = _record(seed, args.hours, args.cache, boundary)
        incidents, log = _replay(boundary, batches)
        s = score(stream, list(incidents))
        latencies.extend(s.latencies_s)
        evidence.extend(s.evidence_latencies_s)
        for key in ("crossings", "found", "duplicates", "false_crossings", "false_near_road"):
            totals[key] += getattr(s, key)
        crossings = [i for i in incidents if i.type == IncidentType.CROSSING]
        records = [incident_from_wire(incident_to_wire(i)) for i in crossings]
        result = evaluate(records, list(stream.crossings))
        raised: dict[int, list[str]] = defaultdict(list)
        by_id = {i.incident_id: i for i in crossings}
        for i in crossings:
            current = str(i.extra.get("current_track_id", i.track_id))
            raised[_serial(current)].append(
                f"{i.incident_id[-4:]} {i.direction.value if i.direction else '?'}"
            )
        print(
            f"== seed {seed} ({stream.site}): {s.crossings} crossings, found {s.found}, "
            f"dup {s.duplicates}, false {s.false_crossings}"
        )
        for t in result.missed:
            tt = t.time.timestamp()
            e, n = frame.point_to_local(t.lat, t.lon)
            hidden = stream.seen_after.get(t.entity_id, np.inf) - tt
            print(
                f"  MISS {t.entity_id} size {t.group_size} {t.direction} hidden {hidden:.0f} s"
                f" at east {e:.0f}"
            )
            for serial in _around(log, e, n, tt):
                print(_describe(log, serial, tt, raised))
        for r in result.false_crossings:
            inc = by_id[r.incident_id]
            tt = inc.time.timestamp()
            e, n = frame.point_to_local(inc.lat, inc.lon)
            near = [
                t
                for t in stream.crossings
                if abs((t.time - inc.time).total_seconds()) <= 300
                and t.direction == (inc.direction.value if inc.direction else "")
            ]
            label = "DUP/FALSE"
            print(
                f"  {label} {inc.incident_id} {inc.direction} kind {inc.kind} "
                f"speed {inc.speed_ms:.1f} size {inc.group_size} track {inc.track_id} "
                f"now {inc.extra.get('current_track_id', '')} delay "
                f"{inc.detected_at.timestamp() - tt:.0f} s; truths near: "
                f"{[(x.entity_id, round((x.time - inc.time).total_seconds())) for x in near]}"
            )
            for serial in _around(log, e, n, tt, radius=300.0, window=180.0):
                print(_describe(log, serial, tt, raised))
        for m in result.matches:
            tt = m.truth.time.timestamp()
            seen = stream.seen_after.get(m.truth.entity_id, np.inf)
            (hidden_lat if seen - tt > 10.0 else visible_lat).append(m.latency_s)
            found = by_id[m.incident.incident_id]
            if found.extra.get("unseen_s") is not None:
                sigma = found.extra.get("time_sigma_s")
                error = abs(found.time.timestamp() - tt)
                moment.append((error, float(sigma) if isinstance(sigma, float | int) else 0.0))
            true_size = m.truth.group_size
            if true_size is not None and abs(int(found.group_size) - true_size) > 1:
                _wrong_count(log, found, m.truth.entity_id, true_size)
            if m.latency_s <= args.slow:
                continue
            inc = by_id[m.incident.incident_id]
            current = _serial(str(inc.extra.get("current_track_id", inc.track_id)))
            rows = log.rows[current]
            born_across = np.sign(rows[0][3]) != np.sign(rows[-1][3]) if rows else False
            print(
                f"  SLOW {m.truth.entity_id} size {m.truth.group_size} latency "
                f"{m.latency_s:.0f} s = hidden {max(0.0, seen - tt):.0f} + after report "
                f"{inc.detected_at.timestamp() - max(seen, tt):.0f}; raising track {current} "
                f"born {rows[0][0] - tt:+.0f} s at {rows[0][3]:+.0f} m "
                f"({'tracked across' if born_across else 'born across'}) "
                f"pred {log.predecessor.get(current, '-')}"
            )
    n = totals["crossings"]
    print(
        f"TOTAL {args.split}: {totals['found']} of {n} found, dup {totals['duplicates']}, false "
        f"{totals['false_crossings']} ({totals['false_near_road']} road), latency p50/p95 "
        f"{np.median(latencies):.1f}/{np.percentile(latencies, 95):.1f} s, from first report "
        f"{np.median(evidence):.1f}/{np.percentile(evidence, 95):.1f} s"
    )
    for name, values in (
        ("seen within 10 s of the line", visible_lat),
        ("hidden more than 10 s after the line", hidden_lat),
    ):
        if values:
            print(
                f"  found, {name}: {len(values)}, latency from the true crossing p50/p95 "
                f"{np.median(values):.1f}/{np.percentile(values, 95):.1f} s"
            )
    if moment:
        errors = np.array([e for e, _ in moment])
        within = np.mean([e <= 2.0 * sd for e, sd in moment])
        print(
            f"  found after a gap across the line: {len(moment)}, estimated moment of crossing "
            f"off by p50/p95 {np.median(errors):.1f}/{np.percentile(errors, 95):.1f} s, "
            f"within 2 time_sigma_s on {within:.1%}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
