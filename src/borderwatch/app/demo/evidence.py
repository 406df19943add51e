"""The demo's evidence: the thermal crops near the crossing, written where an operator of
the night would have looked at them before sending the team (domain/evidence.py)."""

from __future__ import annotations

from pathlib import Path

from borderwatch.domain import Incident
from borderwatch.domain.evidence import AFTER, BEFORE, LIMIT, RADIUS_M, Snapshot, nearest
from borderwatch.sim import SimulationResult

EVIDENCE_DIR = "evidence"


def crossing_evidence(sim: SimulationResult, crossing: Incident) -> list[Snapshot]:
    """The crops the service would list for ``crossing`` (GET /v1/incidents/{id}/evidence:
    the same window, radius and order)."""
    start, end = crossing.time - BEFORE, crossing.time + AFTER
    kept = [Snapshot(d.id, d.sensor_id, d.time, d.lat, d.lon, sim.evidence[d.id],
                     simulated=True)
            for d in sim.detections
            if d.id is not None and d.id in sim.evidence and start <= d.time <= end]
    return nearest(kept, crossing.lat, crossing.lon, crossing.time, radius_m=RADIUS_M,
                   limit=LIMIT)


def write_evidence(out: Path, snapshots: list[Snapshot]) -> str:
    """The crops as ``evidence/<detection id>.png``; the timeline's line about them."""
    folder = out / EVIDENCE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for snapshot in snapshots:
        (folder / f"{snapshot.detection_id}.png").write_bytes(snapshot.png)
    if not snapshots:
        return "evidence: no thermal crop near the crossing"
    sensors = ", ".join(sorted({s.sensor_id for s in snapshots}))
    return (f"evidence for the operator: {len(snapshots)} thermal crop(s) from {sensors} "
            f"near the crossing ({EVIDENCE_DIR}/; GET /v1/incidents/ID/evidence in the service)")
