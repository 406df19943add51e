"""The operations picture as the HTTP side reads it: live tracks with their trails, the
incidents raised, the sensors heard from. Safe to read from any thread.

The tracker (live.ThreadTracker) writes one. When the tracker runs in a process of its own
(worker.py), the HTTP process keeps the incidents and sensors in one of its own, written
from the tracker's messages. :class:`TrackerState` is what both layouts keep alike.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from borderwatch.adapters.sqlite.alerts import state_to_json
from borderwatch.adapters.sqlite.detections import StoredRun
from borderwatch.app.runtime.alert_service import AlertService
from borderwatch.app.runtime.history import TrackHistory, epoch_of
from borderwatch.domain import Detection, Incident

TRAIL_POINTS = 120
"""Positions kept per track for its trail on the map (two minutes at 1 Hz)."""
LATENCIES_KEPT = 10_000
"""Alert latencies kept for /metrics (the most recent)."""


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

    def add_alert_latencies(self, seconds: list[float]) -> None:
        """Keep these too, and only the latest :data:`LATENCIES_KEPT` of all."""
        self.alert_latency_s.extend(seconds)
        del self.alert_latency_s[:-LATENCIES_KEPT]


@dataclass
class SensorSeen:
    """A sensor as the picture shows it: where it is, when it last reported, how much."""

    sensor_id: str
    lat: float
    lon: float
    last_seen: str
    detections: int = 0
    simulated: bool = False
    info: dict[str, Any] = field(default_factory=dict)
    """Declared properties (kind, azimuth_deg, fov_deg, range_m) from a sensor registry or
    scenario; empty for a sensor known only from its reports."""


class Picture:
    """Tracks (with trails), incidents and sensors under one lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tracks: dict[str, dict[str, Any]] = {}
        """Each confirmed track's latest state (live.TRACK_FIELDS), by track id."""
        self.trails: dict[str, deque[tuple[float, float]]] = {}
        self.incidents: list[dict[str, Any]] = []
        """Incidents in the order raised, in the wire format (watch.incident_to_wire)."""
        self.sensors: dict[str, SensorSeen] = {}
        self.history = TrackHistory()
        """Every track's past states, for the dashboard's timeline (history.py)."""

    def apply_tracks(self, updated: list[dict[str, Any]], ended: list[str]) -> None:
        """A track update as the live feed carries it: GeoJSON features of the tracks
        that moved, and the ids of the tracks that ended."""
        with self.lock:
            trails = self.trails
            for feature in updated:
                tid = feature["id"]
                state = feature["properties"]
                trail = trails.get(tid)
                if trail is None:
                    trail = trails[tid] = deque(maxlen=TRAIL_POINTS)
                trail.append((state["lon"], state["lat"]))
                self.tracks[tid] = state
                self.history.record(state, epoch_of(state))
            for tid in ended:
                self.tracks.pop(tid, None)
                trails.pop(tid, None)
                self.history.end(tid)

    def add_incident(self, wire: dict[str, Any]) -> None:
        """A raised incident, or a revision of one (same ``incident_id``, a firmer head
        count: watch/revision.py), which takes its place: the picture shows the latest."""
        with self.lock:
            if wire.get("revision"):
                for n, known in enumerate(self.incidents):
                    if known.get("incident_id") == wire["incident_id"]:
                        self.incidents[n] = wire
                        return
            self.incidents.append(wire)

    def set_incidents(self, incidents: list[dict[str, Any]]) -> None:
        """All of them at once (a tracker that recovered raised them again)."""
        with self.lock:
            self.incidents = list(incidents)

    def put_sensor(self, sensor: SensorSeen) -> None:
        with self.lock:
            self.sensors[sensor.sensor_id] = sensor

    def snapshot_tracks(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {**t, "trail": [list(p) for p in self.trails.get(tid, ())]}
                for tid, t in self.tracks.items()
            ]

    def snapshot_incidents(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.incidents)

    def tracks_at(self, epoch: float) -> list[dict[str, Any]]:
        with self.lock:
            return self.history.at(epoch)

    def history_span(self) -> tuple[float, float] | None:
        with self.lock:
            return self.history.span()

    def snapshot_sensors(self) -> list[SensorSeen]:
        with self.lock:
            return list(self.sensors.values())


class LiveTracker(Protocol):
    """What the HTTP side needs of the running tracker: live.ThreadTracker (a thread of this
    process) or worker.ProcessTracker (a process of its own), interchangeably."""

    counters: Counters
    recovering: bool
    simulated_seen: bool
    failures: int
    last_failure: str

    def start(self, stored: Callable[[], Iterator[StoredRun]] | None = None) -> None: ...
    def stop(self) -> None: ...
    @property
    def pending(self) -> int: ...
    @property
    def idle(self) -> bool: ...
    @property
    def late(self) -> int: ...
    @property
    def unplaceable(self) -> int: ...
    @property
    def track_count(self) -> int: ...
    @property
    def stopped(self) -> str | None: ...
    def has_room(self, n: int) -> bool: ...
    def submit(self, detections: list[Detection], received_at: float) -> None: ...
    def declare_sensor(self, sensor: SensorSeen) -> None: ...
    def add_incident_hook(self, hook: Callable[[Incident], None]) -> None: ...
    def acknowledge(self, alert_id: str, by: str, at: datetime,
                    note: str = "") -> dict[str, Any]: ...
    def resolve(self, alert_id: str, by: str, at: datetime, reason: str) -> dict[str, Any]: ...
    def alert_states(self) -> list[dict[str, Any]]: ...
    def alert_state(self, alert_id: str) -> dict[str, Any] | None: ...
    def snapshot_tracks(self) -> list[dict[str, Any]]: ...
    def tracks_at(self, epoch: float) -> list[dict[str, Any]]: ...
    def history_span(self) -> tuple[float, float] | None: ...
    def snapshot_incidents(self) -> list[dict[str, Any]]: ...
    def snapshot_sensors(self) -> list[SensorSeen]: ...


class TrackerState(ABC):
    """What both layouts of the live tracker (:class:`LiveTracker`) keep the same way: the
    counters, the picture, the status /healthz reads, the incident hooks, and the alert
    states read from the alert stage's store."""

    def __init__(self, alerts: AlertService) -> None:
        self.alerts = alerts
        self.counters = Counters()
        self.picture = Picture()
        self.recovering = True
        self.simulated_seen = False
        self.failures = 0
        self.last_failure = ""
        self.alert_lock = threading.Lock()
        """Held around the alert stage: the tracker's tick against an operator's change."""
        self._incident_hooks: list[Callable[[Incident], None]] = []

    @property
    @abstractmethod
    def pending(self) -> int:
        """Detections handed over and not yet tracked (each layout counts its own)."""

    @property
    @abstractmethod
    def dirty(self) -> bool:
        """Fed since the buffers were last released (each layout knows its own)."""

    @property
    def idle(self) -> bool:
        """Recovered, nothing queued, and the buffers released (quiet for a while)."""
        return not self.recovering and self.pending == 0 and not self.dirty

    def add_incident_hook(self, hook: Callable[[Incident], None]) -> None:
        """Call ``hook`` with each incident raised (e.g. a scenario replay opens a case)."""
        self._incident_hooks.append(hook)

    def _incident_raised(self, incident: Incident) -> None:
        for hook in self._incident_hooks:
            hook(incident)

    def note_failure(self, err: Exception, where: str = "") -> None:
        """Count a failure (/metrics) and keep its reason (/healthz); ``where`` prefixes it."""
        self.failures += 1
        prefix = f"{where}: " if where else ""
        self.last_failure = f"{prefix}{type(err).__name__}: {err}"[:300]

    def alert_states(self) -> list[dict[str, Any]]:
        """Every alert's state (JSON form), from the alert stage's store."""
        with self.alert_lock:
            return [state_to_json(s) for s in self.alerts.store.all_alerts()]

    def alert_state(self, alert_id: str) -> dict[str, Any] | None:
        """One alert's state (JSON form), None if there is none of that id."""
        with self.alert_lock:
            state = self.alerts.store.get(alert_id)
        return None if state is None else state_to_json(state)

    def snapshot_incidents(self) -> list[dict[str, Any]]:
        """The incidents raised, in order (wire format)."""
        return self.picture.snapshot_incidents()

    def tracks_at(self, epoch: float) -> list[dict[str, Any]]:
        """The tracks as they were at ``epoch`` (data time), with their trails then."""
        return self.picture.tracks_at(epoch)

    def history_span(self) -> tuple[float, float] | None:
        """The data times of the first and the latest track state kept."""
        return self.picture.history_span()

    def snapshot_sensors(self) -> list[SensorSeen]:
        """The sensors declared or heard from."""
        return self.picture.snapshot_sensors()
