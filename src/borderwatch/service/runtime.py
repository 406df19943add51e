"""Composition of the service around one SQLite file: the detection log, API keys, the
alert stage (states, outbox, disclosure log), the case store and the live pipeline.

Configuration, not logic: `borderwatch serve`, the tests and the benchmark build it here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from borderwatch.alerts import SharingGate, SharingPolicy
from borderwatch.alerts.service import AlertService, open_alert_service
from borderwatch.geo import Boundary, Places
from borderwatch.service.hub import Hub
from borderwatch.service.live import LiveOps
from borderwatch.service.storage import DetectionLog, KeyStore
from borderwatch.service.views import Viewer
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
    live: LiveOps
    viewer: Viewer
    started_at: str = field(default_factory=lambda: format_time(datetime.now(UTC)))
    extras: dict[str, Any] = field(default_factory=dict)
    starters: list[Callable[[], None]] = field(default_factory=list)
    """Called once the service runs (e.g. a scenario replay)."""

    def start(self) -> None:
        self.live.start(self.log.replay)

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
        log=DetectionLog(config.db),
        alerts=alerts,
        cases=SqlCaseStore.at(config.db),
        hub=hub,
        live=live,
        viewer=Viewer(SharingGate(sharing, alerts.disclosures)),
    )
