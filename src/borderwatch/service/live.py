"""The live operations picture: the pipeline running in one worker thread, fed from the
durable detection log, and what operators see of it (tracks with trails, incidents,
alert changes), published to live-feed subscribers.

Ingest never blocks on the tracker: accepted detections are committed to SQLite, queued,
and the worker folds them into the pipeline in arrival order. The queue is bounded; when
it is full the ingest endpoint answers 429 with ``Retry-After`` before storing anything.
After a restart, the stored detections are replayed through the same pipeline first: the
tracks and incidents come back, and alert ids are deterministic, so the alert stage
recognises what it already raised and notifies nobody twice.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from borderwatch.alerts import AlertEvent
from borderwatch.alerts.alertdb import state_to_json
from borderwatch.alerts.service import AlertService
from borderwatch.domain import Alert, Detection, Incident
from borderwatch.geo import Boundary
from borderwatch.pipeline import Pipeline, build_pipeline
from borderwatch.sources.wire import epoch_to_datetime, format_time, parse_detection
from borderwatch.tracking import TrackBatch, track_id
from borderwatch.tracking.classify import kind_of
from borderwatch.watch import ConditionsProvider, incident_to_wire
from borderwatch.watch.risk import UNKNOWN_CONDITIONS

Event = dict[str, Any]
Publish = Callable[[Event], None]
TRAIL_POINTS = 120
"""Positions kept per track for its trail on the map (two minutes at 1 Hz)."""


@dataclass
class Counters:
    """What /metrics reports (Prometheus text format)."""

    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    throttled: int = 0
    processed: int = 0
    incidents: int = 0
    alerts_notified: int = 0
    alert_latency_s: list[float] = field(default_factory=list)
    """Wall seconds from receiving the batch that raised an incident to its alert being
    stored (and handed to its channels)."""


@dataclass
class SensorSeen:
    sensor_id: str
    lat: float
    lon: float
    last_seen: str
    detections: int = 0
    simulated: bool = False
    info: dict[str, Any] = field(default_factory=dict)
    """Declared properties (kind, azimuth_deg, fov_deg, range_m) from a sensor registry or
    scenario; empty for a sensor known only from its reports."""


class LiveOps:
    """The running pipeline and the picture derived from it (thread-safe reads)."""

    def __init__(
        self,
        boundary: Boundary,
        alerts: AlertService,
        *,
        publish: Publish,
        conditions: ConditionsProvider = UNKNOWN_CONDITIONS,
        reorder_window_s: float = 5.0,
        max_pending: int = 200_000,
        idle_flush_s: float = 2.0,
    ) -> None:
        self.boundary = boundary
        self.alerts = alerts
        self.publish = publish
        self.max_pending = max_pending
        self.idle_flush_s = idle_flush_s
        self.counters = Counters()
        self.lock = threading.RLock()
        self.alert_lock = threading.Lock()
        self.tracks: dict[str, dict[str, Any]] = {}
        self.trails: dict[str, deque[tuple[float, float]]] = {}
        self.incidents: list[dict[str, Any]] = []
        self.sensors: dict[str, SensorSeen] = {}
        self.simulated_seen = False
        self.data_time: datetime | None = None
        self.recovering = True
        self._incident_hooks: list[Callable[[Incident], None]] = []
        self._queue: deque[tuple[float, list[Detection]]] = deque()
        self._pending = 0
        self._wake = threading.Condition()
        self._stop = False
        self._received_at = 0.0
        self._dirty = False
        self._replaying = False
        self.failures = 0
        self.last_failure = ""
        alerts.center.listeners = (*alerts.center.listeners, self._on_alert_event)
        self.pipeline: Pipeline = build_pipeline(
            boundary,
            conditions=conditions,
            reorder_window_s=reorder_window_s,
            track_listeners=[self._on_tracks],
            incident_listeners=[self._on_incident_raised],
            alert_router=alerts.center,
        )
        self._worker = threading.Thread(target=self._run, name="borderwatch-live", daemon=True)

    # -- lifecycle -------------------------------------------------------------------

    def start(self, stored: Callable[[], Any] | None = None) -> None:
        """Start the worker; ``stored`` yields chunks of stored wire objects to replay first."""
        self._stored = stored
        self._worker.start()

    def stop(self) -> None:
        with self._wake:
            self._stop = True
            self._wake.notify()
        self._worker.join(timeout=10)

    # -- ingest ----------------------------------------------------------------------

    @property
    def pending(self) -> int:
        return self._pending

    def has_room(self, n: int) -> bool:
        return self._pending + n <= self.max_pending

    def submit(self, detections: list[Detection], received_at: float) -> None:
        if not detections:
            return
        with self._wake:
            self._queue.append((received_at, detections))
            self._pending += len(detections)
            self._wake.notify()

    def add_incident_hook(self, hook: Callable[[Incident], None]) -> None:
        self._incident_hooks.append(hook)

    def declare_sensor(self, sensor: SensorSeen) -> None:
        with self.lock:
            self.sensors[sensor.sensor_id] = sensor

    # -- the worker ------------------------------------------------------------------

    def _run(self) -> None:
        if self._stored is not None:
            self._replaying = True
            for chunk in self._stored():
                for obj in chunk:
                    self._feed(parse_detection(obj))
                    self._dirty = True
            self._replaying = False
        self.recovering = False
        while True:
            with self._wake:
                if not self._queue and not self._stop:
                    self._wake.wait(timeout=self.idle_flush_s)
                if self._stop:
                    return
                item = self._queue.popleft() if self._queue else None
            if item is None:
                if self._dirty:  # quiet for a while: release what the buffers hold
                    self._dirty = False
                    with self.alert_lock:
                        self._guard(self.pipeline.finish)
                continue
            received_at, detections = item
            self._received_at = received_at
            with self.alert_lock:
                for det in detections:
                    self._feed(det)
                if self.data_time is not None:
                    self._guard(self._tick)
            self._dirty = True
            with self._wake:
                self._pending -= len(detections)
            self.counters.processed += len(detections)

    def _tick(self) -> None:
        if self.data_time is not None:
            self.alerts.center.tick(self.data_time)

    def _feed(self, det: Detection) -> None:
        self._note_sensor(det)
        self._guard(lambda: self.pipeline.feed(det))

    def _guard(self, step: Callable[[], object]) -> None:
        # One report the pipeline cannot take must not stop the picture for everyone; it
        # is counted (/metrics) and the last reason kept for /healthz.
        try:
            step()
        except Exception as err:
            self.failures += 1
            self.last_failure = f"{type(err).__name__}: {err}"[:300]

    def _note_sensor(self, det: Detection) -> None:
        seen = self.sensors.get(det.sensor_id)
        if seen is None:
            with self.lock:
                seen = self.sensors.setdefault(
                    det.sensor_id, SensorSeen(det.sensor_id, det.lat, det.lon, "")
                )
        if not seen.info:
            seen.lat, seen.lon = det.lat, det.lon
        seen.detections += 1
        seen.simulated = seen.simulated or det.simulated
        if det.simulated:
            self.simulated_seen = True
        seen.last_seen = format_time(det.time)

    # -- pipeline listeners (worker thread) ------------------------------------------

    def _on_tracks(self, batch: TrackBatch) -> None:
        updated: list[dict[str, Any]] = []
        ended = [track_id(int(s)) for s in batch.ended]
        with self.lock:
            for row in range(len(batch)):
                if not batch.confirmed[row]:
                    continue
                state = track_state(self.boundary, batch, row)
                tid = state["track_id"]
                trail = self.trails.setdefault(tid, deque(maxlen=TRAIL_POINTS))
                trail.append((state["lon"], state["lat"]))
                self.tracks[tid] = state
                updated.append(state)
            for tid in ended:
                self.tracks.pop(tid, None)
                self.trails.pop(tid, None)
            if len(batch):
                self.data_time = epoch_to_datetime(float(batch.epoch_s.max()))
        if (updated or ended) and not self._replaying:
            self.publish(
                {
                    "type": "tracks",
                    "tracks": [
                        {**t, "trail": [list(p) for p in self.trails.get(t["track_id"], ())]}
                        for t in updated
                    ],
                    "ended": ended,
                    "data_time": format_time(self.data_time) if self.data_time else None,
                    "simulated": any(t["simulated"] for t in updated),
                }
            )

    def _on_incident_raised(self, incident: Incident, alerts: list[Alert]) -> None:
        wire = incident_to_wire(incident)
        with self.lock:
            self.incidents.append(wire)
        self.counters.incidents += 1
        if not self._replaying:
            self.publish({"type": "incident", "incident": wire, "simulated": incident.simulated})
        for hook in self._incident_hooks:
            hook(incident)

    def _on_alert_event(self, event: AlertEvent) -> None:
        if event.kind == "notified":
            self.counters.alerts_notified += 1
            if self._received_at and not self._replaying:
                self.counters.alert_latency_s.append(time.time() - self._received_at)
                del self.counters.alert_latency_s[:-10_000]
        if self._replaying:
            return
        self.publish(
            {
                "type": "alert",
                "event": event.kind,
                "text": event.text,
                "alert": state_to_json(event.state),
                "simulated": event.state.simulated,
            }
        )

    # -- operators (HTTP threads) ----------------------------------------------------

    def acknowledge(self, alert_id: str, by: str) -> dict[str, Any]:
        with self.alert_lock:
            state = self.alerts.center.acknowledge(alert_id, by, datetime.now(UTC))
        return state_to_json(state)

    def resolve(self, alert_id: str, by: str, reason: str) -> dict[str, Any]:
        with self.alert_lock:
            state = self.alerts.center.resolve(alert_id, by, datetime.now(UTC), reason)
        return state_to_json(state)

    def alert_states(self) -> list[dict[str, Any]]:
        with self.alert_lock:
            return [state_to_json(s) for s in self.alerts.store.all_alerts()]

    def alert_state(self, alert_id: str) -> dict[str, Any] | None:
        with self.alert_lock:
            state = self.alerts.store.get(alert_id)
        return None if state is None else state_to_json(state)

    def snapshot_tracks(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {**t, "trail": [list(p) for p in self.trails.get(tid, ())]}
                for tid, t in self.tracks.items()
            ]

    def snapshot_incidents(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.incidents)

    def snapshot_sensors(self) -> list[SensorSeen]:
        with self.lock:
            return list(self.sensors.values())


def track_state(boundary: Boundary, batch: TrackBatch, row: int) -> dict[str, Any]:
    """What the picture shows of one confirmed track (its course is from grid north of
    the local frame, close to true north near the frame's centre)."""
    lat, lon = boundary.frame.point_to_geo(float(batch.east_m[row]), float(batch.north_m[row]))
    ve, vn = float(batch.velocity_east_ms[row]), float(batch.velocity_north_ms[row])
    return {
        "track_id": track_id(int(batch.serial[row])),
        "time": format_time(epoch_to_datetime(float(batch.epoch_s[row]))),
        "lat": round(lat, 7),
        "lon": round(lon, 7),
        "kind": kind_of(int(batch.kind_code[row])).value,
        "kind_probability": round(float(batch.kind_probability[row]), 3),
        "group_size": int(batch.group_size[row]),
        "speed_ms": round(math.hypot(ve, vn), 2),
        "heading_deg": round(math.degrees(math.atan2(ve, vn)) % 360, 1),
        "position_sigma_m": round(float(batch.position_sigma_m[row]), 1),
        "children": None if batch.children[row] < 0 else int(batch.children[row]),
        "simulated": bool(batch.simulated[row]),
    }
