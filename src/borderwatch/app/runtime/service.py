"""The running service: what the HTTP side holds (the detection log, API keys, the alert
stage, the case store, the live tracker, the feed's hub) and the two steps every producer
goes through, ``start`` and ``accept``. It is built by ``app/bootstrap.py``."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from borderwatch.adapters.sqlite.detections import StoredBefore
from borderwatch.app.http.hub import Hub
from borderwatch.app.http.views import Viewer
from borderwatch.app.runtime.alert_service import AlertService
from borderwatch.app.runtime.config import ServiceConfig
from borderwatch.app.runtime.disclosures import DisclosureWriter
from borderwatch.app.runtime.health import Health, HealthMonitor, Reading
from borderwatch.app.runtime.officers import OfficerDesk
from borderwatch.app.runtime.picture import LiveTracker, SensorSeen
from borderwatch.app.runtime.release import QuietRelease
from borderwatch.app.runtime.responders import ResponderDesk
from borderwatch.app.runtime.sensor_meter import SensorMeter
from borderwatch.cases.base import CaseStore
from borderwatch.domain import Detection
from borderwatch.domain.access import Principal
from borderwatch.domain.evidence import Snapshot
from borderwatch.domain.time import format_time
from borderwatch.geo import Boundary, Places
from borderwatch.ports.storage import ApiKeys, Detections, EvidenceStore


class IntakeUnavailable(RuntimeError):
    """The bus did not acknowledge a batch: the client must send it again (safe: the same
    batch is de-duplicated on the bus, and ids are stored and tracked once)."""


class Intake(Protocol):
    """Where accepted detections go instead of this process's log and tracker: the bus
    of a cluster (app/cluster/intake.py). For each, whether it was new."""

    def accept(self, stored: Sequence[tuple[str | None, bytes | dict[str, Any]]],
               detections: Sequence[Detection]) -> list[bool]: ...


@dataclass
class Service:
    """What the HTTP side holds of the running service (built by app/bootstrap.py)."""

    config: ServiceConfig
    boundary: Boundary
    places: Places
    keys: ApiKeys
    log: Detections
    alerts: AlertService
    cases: CaseStore
    hub: Hub
    live: LiveTracker
    viewer: Viewer
    started_at: str = field(default_factory=lambda: format_time(datetime.now(UTC)))
    extras: dict[str, Any] = field(default_factory=dict)
    starters: list[Callable[[], None]] = field(default_factory=list)
    """Called once the service runs (e.g. a scenario replay)."""
    stoppers: list[Callable[[], None]] = field(default_factory=list)
    """Called first when the service closes, before the tracker stops (e.g. the MQTT
    intake of `serve --mqtt`: what it holds is stored or left with the broker)."""
    evidence: EvidenceStore | None = None
    """The frame crops behind detections (domain/evidence.py): a replay's simulated
    frame sensors keep them (``keep_evidence``); the HTTP side reads them."""
    checks: list[Callable[[], str | None]] = field(default_factory=list)
    """More of /healthz: each returns why the service is degraded, or None (e.g. the MQTT
    intake retrying a batch its store refused)."""
    accepting: threading.Lock = field(default_factory=threading.Lock)
    """Held from storing a batch to handing it to the tracker (ingest, a replay), and by
    a tracker (re)starting from the log's position: nothing is fed twice or skipped."""
    intake: Intake | None = None
    """A cluster's API process: detections go to the bus (the log and the tracking are
    the segments' workers'), and ``live`` mirrors the picture from the bus."""
    closers: list[object] = field(default_factory=list)
    """Closed last (e.g. a cluster's storage and bus connections)."""
    releases: QuietRelease | None = None
    """Releases the tracker's buffers when ingest has been quiet, recorded in the log so
    that a restart releases at the same places (release.py); None in a cluster's API
    process (the segment's worker ticks on the bus instead)."""
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    """When an operator acknowledges or resolves an alert: the wall clock, or in a
    scenario replay the replay's own (replay.Replay), so that the exercise's alert reads
    as one timeline (raised 06:21, acknowledged 06:23), not raised in the scenario's
    year and acknowledged in this one. Reads of personal data are always logged at the
    wall-clock time."""
    feed_disclosures: DisclosureWriter = field(init=False)
    """Writes the live feed's disclosures to ``alerts.disclosures``, off the event loop."""
    monotonic: Callable[[], float] = field(default=time.monotonic)
    """The clock /healthz measures windows and silences with (a test's own)."""
    sensors_lock: threading.Lock = field(default_factory=threading.Lock)
    """Held around the sensor registry's count of sensors per key (ingest threads)."""
    health_lock: threading.Lock = field(default_factory=threading.Lock)
    monitor: HealthMonitor = field(init=False)
    meter: SensorMeter = field(default_factory=SensorMeter)
    """Each sensor's reports taken and refused, for the sensor health panel (under
    ``health_lock``)."""
    responders: ResponderDesk | None = None
    """The field units, intercepts and intervention times (runtime/responders.py)."""
    officers: OfficerDesk | None = None
    """The screening officers' facts, decisions and returns (runtime/officers.py)."""

    def __post_init__(self) -> None:
        self.feed_disclosures = DisclosureWriter(self.alerts.disclosures)
        self.monitor = HealthMonitor(self.monotonic(), limits=self.config.health,
                                     expected=self.config.sensors.expected_intervals())

    def start(self) -> None:
        # The registry's sensors on the map (and told to every tracker started).
        for declared in self.config.sensors.sensors.values():
            self.live.declare_sensor(SensorSeen(declared.sensor_id, declared.lat,
                                                declared.lon, "", info=dict(declared.info)))
        # Before any request is served (the app's lifespan), and under ``accepting``:
        # nothing is accepted between reading the log's position and the tracker taking
        # work.
        with self.accepting:
            if self.intake is not None:
                self.live.start(None)
            else:
                self.live.start(StoredBefore(self.config.db, self.log.last()))
                if self.releases is not None:
                    self.releases.start()

    def accept(self, stored: Sequence[tuple[str | None, bytes | dict[str, Any]]],
               detections: Sequence[Detection]) -> list[bool]:
        """Store ``(id, wire object)`` pairs and hand the new ones' ``detections`` (same
        order) to the tracker, under ``accepting``: a tracker that restarts meanwhile
        replays the log up to a position and must be sent exactly what comes after it.
        For each, whether it was new (storage.DetectionLog.append)."""
        self._heard(detections)
        if self.intake is not None:
            try:
                return self.intake.accept(stored, detections)
            except Exception as err:  # a bus that refuses or does not answer in time
                raise IntakeUnavailable(f"{type(err).__name__}: {err}"[:300]) from err
        with self.accepting:
            fresh = self.log.append(stored)
            new = [d for d, is_new in zip(detections, fresh, strict=True) if is_new]
            self.live.submit(new, time.time())
            if new and self.releases is not None:
                self.releases.fed()
        return fresh

    def keep_evidence(self, snapshots: Sequence[Snapshot]) -> None:
        """Store crops before their detections are accepted: a crash in between leaves a
        crop with no detection yet (harmless), never a detection whose crop was lost."""
        if self.evidence is not None and snapshots:
            self.evidence.put(snapshots)

    def admit_sensor(self, sensor_id: str, who: Principal | None) -> str | None:
        """None if ``who`` may report for ``sensor_id``, else why not (the registry's
        decision, sources/registry.py); counted against the key's limit."""
        with self.sensors_lock:
            return self.config.sensors.admit(sensor_id, who)

    def health(self) -> Health:
        """What /healthz says besides a stopped tracker: ok or degraded, and why."""
        with self.health_lock:
            health = self.monitor.assess(self.monotonic(), self._reading(),
                                         max_pending=self.config.max_pending)
        more = tuple(reason for check in self.checks if (reason := check()) is not None)
        return Health("degraded", health.reasons + more) if more else health

    def _reading(self) -> Reading:
        live = self.live
        counters = live.counters
        return Reading(accepted=counters.accepted, refused=counters.rejected, late=live.late,
                       processed=counters.processed, pending=live.pending)

    def refused(self, sensor_ids: Sequence[str]) -> None:
        """Reports of these sensors were refused at ingest (one id per report)."""
        if not sensor_ids:
            return
        with self.health_lock:
            now = self.monotonic()
            for sensor_id, n in Counter(sensor_ids).items():
                self.meter.count(now, sensor_id, refused=n)

    def _heard(self, detections: Sequence[Detection]) -> None:
        if not detections:
            return
        with self.health_lock:
            now = self.monotonic()
            if self.monitor.expected:
                self.monitor.heard(now, {d.sensor_id for d in detections})
            self.monitor.observe(now, self._reading())
            for sensor_id, n in Counter(d.sensor_id for d in detections).items():
                self.meter.count(now, sensor_id, taken=n)

    def close(self) -> None:
        """Stop the producers and the tracker, then close the feed's bus and the stores."""
        for stop in self.stoppers:
            stop()
        if self.releases is not None:
            self.releases.stop()
        self.live.stop()
        self.hub.close()
        self.feed_disclosures.close()  # what was queued is written before its store closes
        self.alerts.close()
        for store in (self.log, self.keys, self.cases, *self.closers):
            close = getattr(store, "close", None)
            if close is not None:
                close()
