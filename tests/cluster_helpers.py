"""An in-process cluster for tests: the real intake, runners and workers on the bus and
storage fakes (LocalBus, InMemoryStorage, MemoryCoordination), driven step by step from
the test's thread, so that every interleaving is chosen, not timed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from borderwatch.adapters.bus.local import LocalBus
from borderwatch.adapters.sources.detection_wire import detection_to_wire
from borderwatch.app.bootstrap import alert_stage
from borderwatch.app.cluster.intake import BusIntake, OneByOne
from borderwatch.app.cluster.runner import SegmentRunner, segment_page_scope
from borderwatch.app.cluster.track_worker import TrackWorker
from borderwatch.app.runtime.config import Delivery
from borderwatch.domain import Detection, Kind
from borderwatch.domain.time import epoch_to_datetime
from borderwatch.geo import Boundary, Places
from borderwatch.geo.segments import Segments
from borderwatch.ports.coordination_fake import MemoryCoordination
from borderwatch.ports.storage_fake import InMemoryStorage


@dataclass
class MiniCluster:
    segments: Segments = field(default_factory=Segments.bundled)
    boundary: Boundary = field(default_factory=Boundary.bundled)
    publish_soon: Any = None
    """Given to each runner (runner.PublishSoon): tracks leave as they are made."""
    delivery: Delivery = field(default_factory=Delivery)
    """The alert stage's policy and channels (nothing configured: the bundled policy)."""

    def __post_init__(self) -> None:
        self.bus = LocalBus(max_msgs=1_000_000)
        self.live: list[dict[str, Any]] = []
        self.storage = InMemoryStorage()
        self.coordination = MemoryCoordination(storage=self.storage)
        self.intake = BusIntake(OneByOne(self.bus), self.segments)
        self.places = Places.bundled()
        self.workers: list[TrackWorker] = []

    def post(self, wires: Sequence[dict[str, Any]], batch: int = 500) -> None:
        from borderwatch.adapters.sources.detection_wire import parse_detection

        for start in range(0, len(wires), batch):
            chunk = wires[start:start + batch]
            self.intake.accept([(w.get("id"), orjson.dumps(w)) for w in chunk],
                               [parse_detection(w) for w in chunk])

    def runner(self, code: str) -> SegmentRunner:
        alerts = alert_stage(self.storage, self.delivery, self.boundary, self.places, send=False,
                             page_scope=segment_page_scope(self.segments, code))
        return SegmentRunner(code, segments=self.segments, boundary=self.boundary,
                             bus=self.bus, storage=self.storage, center=alerts.center,
                             progress=self.coordination, publish=self.live.extend,
                             publish_soon=self.publish_soon, idle_flush_s=0.0)

    def worker(self, worker_id: str) -> TrackWorker:
        worker = TrackWorker(worker_id, self.segments.codes,
                             leases=self.coordination.leases(worker_id),
                             membership=self.coordination, make_runner=self.runner)
        self.workers.append(worker)
        return worker

    def drain(self, *workers: TrackWorker, quiet_rounds: int = 3) -> None:
        """Step the workers until nothing is left (ticks released the buffers)."""
        quiet = 0
        while quiet < quiet_rounds:
            done = sum(w.work_once() for w in workers)
            quiet = 0 if done else quiet + 1

    def incidents(self) -> list[dict[str, Any]]:
        """The raised incidents on the feed (revisions: :meth:`revisions`)."""
        return [e["incident"] for e in self.live
                if e["type"] == "incident" and not e["incident"].get("revision")]

    def revisions(self) -> list[dict[str, Any]]:
        """The revisions of raised incidents on the feed (watch/revision.py)."""
        return [e["incident"] for e in self.live
                if e["type"] == "incident" and e["incident"].get("revision")]


def essence(incident: dict[str, Any]) -> tuple[Any, ...]:
    """What must match between two layouts: not the ids, which carry the segment."""
    return (incident["type"], incident["time"], round(incident["lat"], 4),
            round(incident["lon"], 4), incident["group_size"], incident.get("revision", 0))


def walkers_along_the_line(cut_lon: float, *, start_km: float, cross_km: float,
                           people: int = 3, prefix: str = "w") -> list[dict[str, Any]]:
    """A group walking east along the line, 300 m north of it, from ``start_km`` east of
    ``cut_lon`` to ``cross_km``, then south across it: one detection per person per second
    from a ground radar, marked simulated."""
    km_per_deg = 111.32 * 0.6561  # cos(49 deg)
    t0 = datetime(2025, 2, 3, 6, 0, tzinfo=UTC)
    speed = 1.4 / 1000  # km/s
    out: list[dict[str, Any]] = []
    east_s = int((cross_km - start_km) / speed)
    south_s = int(0.7 / speed)  # 300 m north to 400 m south
    for second in range(east_s + south_s):
        east = start_km + min(second, east_s) * speed
        north_km = 0.3 - max(0, second - east_s) * speed
        for person in range(people):
            lat = 49.0 + (north_km + 0.004 * person) / 111.2
            lon = cut_lon + east / km_per_deg
            time = t0 + timedelta(seconds=second)
            det = Detection(time=time, epoch_s=time.timestamp(), sensor_id="radar-1", lat=lat,
                            lon=lon, sigma_m=8.0, kind=Kind.PERSON,
                            id=f"{prefix}-{second}-{person}", simulated=True)
            out.append(detection_to_wire(det))
    return out


__all__ = ["MiniCluster", "epoch_to_datetime", "essence", "walkers_along_the_line"]
