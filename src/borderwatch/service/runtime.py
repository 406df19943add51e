"""Composition of the service around one SQLite file: the detection log, API keys, the
alert stage (states, outbox, disclosure log), the case store and the live pipeline.

Configuration, not logic: `borderwatch serve`, the tests and the benchmark build it here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from borderwatch.alerts import SharingGate, SharingPolicy
from borderwatch.alerts.service import AlertService, open_alert_service
from borderwatch.domain import Detection
from borderwatch.geo import Boundary, Places
from borderwatch.service.hub import Hub
from borderwatch.service.live import LiveOps
from borderwatch.service.picture import Live
from borderwatch.service.storage import DetectionLog, KeyStore, StoredBefore
from borderwatch.service.views import Viewer
from borderwatch.service.worker import TrackerProcess
from borderwatch.sources.wire import format_time
from borderwatch.store import SqlCaseStore
from borderwatch.watch import ConditionsProvider
from borderwatch.watch.risk import UNKNOWN_CONDITIONS


@dataclass
class ServiceConfig:
    db: Path
    """One SQLite file for everything the service stores."""
    reorder_window_s: float = 5.0
    max_pending: int = 200_000
    """Detections accepted but not yet tracked; beyond this, ingest answers 429."""
    max_batch: int = 10_000
    idle_flush_s: float = 2.0
    conditions: ConditionsProvider = UNKNOWN_CONDITIONS
    boundary: Boundary | None = None
    places: Places | None = None
    replay: str | None = None
    """A bundled scenario being replayed into the service (shown on the dashboard)."""
    tracker_process: bool = False
    """Run the tracker in a process of its own (worker.py), as `borderwatch serve` does;
    otherwise in a thread of this one (simpler to debug and to test)."""


@dataclass
class Service:
    config: ServiceConfig
    boundary: Boundary
    places: Places
    keys: KeyStore
    log: DetectionLog
    alerts: AlertService
    cases: SqlCaseStore
    hub: Hub
    live: Live
    viewer: Viewer
    started_at: str = field(default_factory=lambda: format_time(datetime.now(UTC)))
    extras: dict[str, Any] = field(default_factory=dict)
    starters: list[Callable[[], None]] = field(default_factory=list)
    """Called once the service runs (e.g. a scenario replay)."""
    accepting: threading.Lock = field(default_factory=threading.Lock)
    """Held from storing a batch to handing it to the tracker (ingest, a replay), and by
    a tracker (re)starting from the log's position: nothing is fed twice or skipped."""
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    """When an operator acknowledges or resolves an alert: the wall clock, or in a
    scenario replay the replay's own (replay.Replay), so that the exercise's alert reads
    as one timeline (raised 06:21, acknowledged 06:23), not raised in the scenario's
    year and acknowledged in this one. Reads of personal data are always logged at the
    wall-clock time."""

    def start(self) -> None:
        # Before any request is served (the app's lifespan), and under ``accepting``:
        # nothing is accepted between reading the log's position and the tracker taking
        # work.
        with self.accepting:
            self.live.start(StoredBefore(self.config.db, self.log.last()))

    def accept(self, stored: Sequence[tuple[str | None, bytes | dict[str, Any]]],
               detections: Sequence[Detection]) -> list[bool]:
        """Store ``(id, wire object)`` pairs and hand the new ones' ``detections`` (same
        order) to the tracker, under ``accepting``: a tracker that restarts meanwhile
        replays the log up to a position and must be sent exactly what comes after it.
        For each, whether it was new (storage.DetectionLog.append)."""
        with self.accepting:
            fresh = self.log.append(stored)
            self.live.submit([d for d, new in zip(detections, fresh, strict=True) if new],
                             time.time())
        return fresh

    def close(self) -> None:
        self.live.stop()
        self.alerts.close()
        self.log.close()
        self.keys.close()
        self.cases.close()


def build_service(config: ServiceConfig) -> Service:
    boundary = config.boundary or Boundary.bundled()
    places = config.places or Places.bundled()
    sharing = SharingPolicy.bundled()
    hub = Hub()
    # Nothing is sent anywhere from the service yet: no channel is configured, so the
    # alert stage stores states and decisions and discloses nothing (alert-policy.md).
    alerts = open_alert_service(config.db, boundary=boundary, places=places, sharing=sharing)
    log = DetectionLog(config.db)
    accepting = threading.Lock()
    live: Live
    if config.tracker_process:
        live = TrackerProcess(config, alerts, publish=hub.publish, position=log.last,
                              accepting=accepting)
    else:
        live = LiveOps(
            boundary,
            alerts,
            publish=hub.publish,
            conditions=config.conditions,
            reorder_window_s=config.reorder_window_s,
            max_pending=config.max_pending,
            idle_flush_s=config.idle_flush_s,
        )
    return Service(
        config=config,
        boundary=boundary,
        places=places,
        keys=KeyStore(config.db),
        log=log,
        alerts=alerts,
        cases=SqlCaseStore.at(config.db),
        hub=hub,
        live=live,
        viewer=Viewer(SharingGate(sharing, alerts.disclosures)),
        accepting=accepting,
    )


def settle_collector() -> None:
    """Keep the cyclic garbage collector off the hot path of a long-running service.

    Everything built at start-up (the boundary, the policies, FastAPI's routes) is moved
    out of the collector's sight (``gc.freeze``), and a young-generation pass runs after
    50,000 new containers instead of 700: a second of a thousand tracks builds some
    20,000 dicts and lists, and with the default threshold the collector ran dozens of
    times a second, a quarter of the service's time (docs/gotchas.md). Reference
    counting still frees everything that is not in a cycle at once."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 10)
