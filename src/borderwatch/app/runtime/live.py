"""The live operations picture: the pipeline running in one worker thread, fed from the
durable detection log, and what operators see of it (tracks with trails, incidents,
alert changes), published to live-feed subscribers.

Ingest never blocks on the tracker: accepted detections are committed to SQLite, queued,
and the worker folds them into the pipeline in arrival order. The queue is bounded; when
it is full the ingest endpoint answers 429 with ``Retry-After`` before storing anything.
After a restart, the stored detections are replayed through the same pipeline first: the
tracks and incidents come back, and alert ids are deterministic, so the alert stage
recognises what it already raised and notifies nobody twice.

The tracker decides nothing by the wall clock: the buffers are released where the service
says (:meth:`ThreadTracker.release`, recorded in the log first: release.py), and the
alert stage is ticked at each scan's data time, so the same stored stream gives the same
tracks, incidents and alerts live, after a restart, and in the tracker process.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import numpy as np

from borderwatch.adapters.sources.detection_wire import parse_stored
from borderwatch.adapters.sqlite.alerts import state_to_json
from borderwatch.adapters.sqlite.detections import StoredRun
from borderwatch.alerts import AlertEvent
from borderwatch.app.runtime.alert_service import AlertService
from borderwatch.app.runtime.picture import SensorSeen, TrackerState
from borderwatch.domain import Alert, Detection, Incident
from borderwatch.domain.time import epoch_to_datetime, format_time
from borderwatch.geo import Boundary
from borderwatch.pipeline import Pipeline, build_pipeline
from borderwatch.sources import ReorderBuffer
from borderwatch.tracking import TrackBatch, track_id
from borderwatch.tracking.kind_evidence import kind_of
from borderwatch.watch import ConditionsProvider, incident_to_wire
from borderwatch.watch.risk import UNKNOWN_CONDITIONS

Event = dict[str, Any]
Publish = Callable[[Event], None]
DRAIN_MAX = 5_000
"""Most detections the worker takes from its queue at once."""
RELEASE = None
"""In the worker's queue: release the buffers here (:meth:`ThreadTracker.release`)."""
Queued = tuple[float, list[Detection]] | None


class ThreadTracker(TrackerState):
    """The running pipeline and the picture derived from it (thread-safe reads): a
    :class:`picture.LiveTracker` in a thread of this process."""

    def __init__(
        self,
        boundary: Boundary,
        alerts: AlertService,
        *,
        publish: Publish,
        conditions: ConditionsProvider = UNKNOWN_CONDITIONS,
        reorder_window_s: float = 5.0,
        max_pending: int = 200_000,
        max_skew_s: float = 2.0,
    ) -> None:
        super().__init__(alerts)
        self.max_skew_s = max_skew_s
        """Stored reports dated further after the clock than this are skipped on replay."""
        self.boundary = boundary
        self.publish = publish
        self.max_pending = max_pending
        self.cut_when_dry = reorder_window_s == 0
        self.sensors_changed: set[str] = set()
        """Sensors heard from since the worker process last reported them (worker.py)."""
        self.on_cycle: Callable[[], None] | None = None
        """Called by the worker thread after recovery and after each batch of work."""
        self.data_time: datetime | None = None
        self._queue: deque[Queued] = deque()
        self._ticked: datetime | None = None
        self._pending = 0
        self._wake = threading.Condition()
        self._stop = False
        self._received_at = 0.0
        self._dirty = False
        self._replaying = False
        alerts.center.listeners = (*alerts.center.listeners, self._on_alert_event)
        self.pipeline: Pipeline = build_pipeline(
            boundary,
            conditions=conditions,
            reorder_window_s=reorder_window_s,
            track_listeners=[self._on_tracks],
            incident_listeners=[self._on_incident_raised],
            revision_listeners=[self._on_incident_revised],
            alert_router=alerts.center,
        )
        # The detection log already refused every repeated id, across restarts too.
        self.pipeline.reorder = ReorderBuffer(reorder_window_s, remember_ids=0)
        self._worker = threading.Thread(target=self._run, name="borderwatch-live", daemon=True)

    # -- lifecycle -------------------------------------------------------------------

    def start(self, stored: Callable[[], Iterator[StoredRun]] | None = None) -> None:
        """Start the worker; ``stored`` yields the stored stream to replay first
        (:class:`~borderwatch.adapters.sqlite.detections.StoredRun`: wire objects, and
        where the live tracker released its buffers)."""
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

    def release(self) -> None:
        """Release what the buffers hold once everything handed over before is tracked
        (the service decided the stream went quiet and recorded it: release.py)."""
        with self._wake:
            self._queue.append(RELEASE)
            self._wake.notify()

    def declare_sensor(self, sensor: SensorSeen) -> None:
        self.picture.put_sensor(sensor)
        self.sensors_changed.add(sensor.sensor_id)

    # -- the worker ------------------------------------------------------------------

    def _run(self) -> None:
        if self._stored is not None:
            self._replaying = True
            run: StoredRun
            for run in self._stored():
                if run.release:  # where the live tracker released (release.py)
                    self._guard(self.pipeline.finish)
                    self._dirty = False
                    continue
                # What this version refuses (e.g. dated far ahead, stored by an older one)
                # is skipped and counted, not replayed first to blind the tracker again.
                detections, refused = parse_stored(run.detections, now_s=time.time(),
                                                   max_ahead_s=self.max_skew_s)
                for err in refused:
                    self.note_failure(err, "stored detection skipped")
                self._feed_many(detections)
                self._dirty = self._dirty or bool(detections)
            self._replaying = False
        self.recovering = False
        self._cycled()
        while True:
            with self._wake:
                while not self._queue and not self._stop:
                    self._wake.wait()
                if self._stop:
                    return
                # Everything queued meanwhile is taken at once (up to DRAIN_MAX, and up to
                # a release, which comes after what was queued before it).
                items: list[tuple[float, list[Detection]]] = []
                taken = 0
                release = False
                while self._queue and taken < DRAIN_MAX:
                    item = self._queue.popleft()
                    if item is RELEASE:
                        release = True
                        break
                    items.append(item)
                    taken += len(item[1])
            with self.alert_lock:
                last = len(items) - 1
                for n, (received_at, detections) in enumerate(items):
                    self._received_at = received_at
                    # No reorder window: nothing is waited for, so once the queue is dry
                    # the open second is tracked now, not when the next one arrives.
                    self._feed_many(detections, cut=self.cut_when_dry and n == last
                                    and not release and not self._queue)
                if release:
                    self._guard(self.pipeline.finish)
            # Clean only once released: ``idle`` (clean, nothing pending) must not be
            # seen while the release still changes the picture.
            self._dirty = not release and (self._dirty or taken > 0)
            with self._wake:
                self._pending -= taken
            self.counters.processed += taken
            self._cycled()

    def _cycled(self) -> None:
        if self.on_cycle is not None:
            self.on_cycle()

    def _tick(self) -> None:
        """The alert stage's clock (escalation pages due), at the data time of each scan
        tracked live: the same pages at the same times however the stream was batched
        (a tick per drained batch paged at times that depended on the queue)."""
        now = self.data_time
        if now is not None and (self._ticked is None or now > self._ticked):
            self._ticked = now
            self.alerts.center.tick(now)

    def _feed_many(self, detections: list[Detection], *, cut: bool = False) -> None:
        """Into the pipeline, in order, in one call; a time window the pipeline fails on
        is counted (as in :meth:`_guard`) and the rest go on."""
        self._note_sensors(detections)
        self.pipeline.feed_many(detections, cut=cut, on_error=self.note_failure)

    def _note_sensors(self, detections: list[Detection]) -> None:
        last: dict[str, Detection] = {}
        counts: dict[str, int] = {}
        simulated = False
        for det in detections:
            last[det.sensor_id] = det
            counts[det.sensor_id] = counts.get(det.sensor_id, 0) + 1
            simulated = simulated or det.simulated
        sensors = self.picture.sensors
        for sensor_id, det in last.items():
            self._note_sensor(det)
            sensors[sensor_id].detections += counts[sensor_id] - 1
        self.sensors_changed.update(last)
        if simulated:
            for det in detections:
                if det.simulated:
                    sensors[det.sensor_id].simulated = True
            self.simulated_seen = True

    def _guard(self, step: Callable[[], object]) -> None:
        # One report the pipeline cannot take must not stop the picture for everyone; it
        # is counted (/metrics) and the last reason kept for /healthz.
        try:
            step()
        except Exception as err:
            self.note_failure(err)

    def _note_sensor(self, det: Detection) -> None:
        seen = self.picture.sensors.get(det.sensor_id)
        if seen is None:
            with self.picture.lock:
                seen = self.picture.sensors.setdefault(
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
        # The live event carries each track's new position only (no trail): a client keeps
        # the trails it has drawn, and /v1/tracks returns them whole. With a thousand
        # tracks, sending and filtering every trail again every second was most of the
        # feed's latency (docs/gotchas.md).
        updated = track_features(self.boundary, batch)
        ended = [track_id(int(s)) for s in batch.ended]
        self.picture.apply_tracks(updated, ended)
        if len(batch):
            self.data_time = epoch_to_datetime(float(batch.epoch_s.max()))
        if not self._replaying:  # the replayed pages are in the alert store already
            self._guard(self._tick)
        if (updated or ended) and not self._replaying:
            self.publish(
                {
                    "type": "tracks",
                    "tracks": updated,
                    "ended": ended,
                    "data_time": format_time(self.data_time) if self.data_time else None,
                    "simulated": any(f["properties"]["simulated"] for f in updated),
                }
            )

    def _on_incident_raised(self, incident: Incident, alerts: list[Alert]) -> None:
        wire = incident_to_wire(incident)
        self.picture.add_incident(wire)
        self.counters.incidents += 1
        if not self._replaying:
            self.publish({"type": "incident", "incident": wire, "simulated": incident.simulated})
        self._incident_raised(incident)

    def _on_incident_revised(self, incident: Incident, alerts: list[Alert]) -> None:
        # The same incident with a firmer head count: it replaces the raised one on the
        # picture and the map (the dashboard keys incidents by id), and is not counted.
        wire = incident_to_wire(incident)
        self.picture.add_incident(wire)
        if not self._replaying:
            self.publish({"type": "incident", "incident": wire, "simulated": incident.simulated})

    def _on_alert_event(self, event: AlertEvent) -> None:
        if event.kind == "notified":
            self.counters.alerts_notified += 1
            if self._received_at and not self._replaying:
                self.counters.add_alert_latencies([time.time() - self._received_at])
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

    def acknowledge(self, alert_id: str, by: str, at: datetime,
                    note: str = "") -> dict[str, Any]:
        with self.alert_lock:
            state = self.alerts.center.acknowledge(alert_id, by, at, note)
        return state_to_json(state)

    def resolve(self, alert_id: str, by: str, at: datetime, reason: str) -> dict[str, Any]:
        with self.alert_lock:
            state = self.alerts.center.resolve(alert_id, by, at, reason)
        return state_to_json(state)

    def snapshot_tracks(self) -> list[dict[str, Any]]:
        return self.picture.snapshot_tracks()

    # -- what /healthz and /metrics report -------------------------------------------

    @property
    def dirty(self) -> bool:
        """Fed since the buffers were last released."""
        return self._dirty

    @property
    def late(self) -> int:
        return self.pipeline.reorder.report.late

    @property
    def unplaceable(self) -> int:
        return self.pipeline.scans.dropped

    @property
    def track_count(self) -> int:
        return len(self.picture.tracks)

    @property
    def stopped(self) -> str | None:
        """Why the tracker stopped while the service runs (None: it runs)."""
        return None


TRACK_FIELDS = (
    "track_id", "time", "lat", "lon", "kind", "kind_probability", "group_size",
    "group_size_range", "speed_ms", "heading_deg", "position_sigma_m", "simulated",
)
"""What a track state holds: measurements only, never a personal field (a test checks
this against sharing.PERSONAL_FIELDS), so the operators' view of a live update is the
feature as made here. A track's children count is one (a head count of minors in a
small group, sharing.py); no view shows it, so it is not kept."""


def track_features(boundary: Boundary, batch: TrackBatch) -> list[dict[str, Any]]:
    """Each confirmed track of a batch as a GeoJSON Feature (RFC 7946) whose properties
    are its state (:data:`TRACK_FIELDS`), computed column by column (one projection call
    for the whole batch). The live feed sends these as they are to every role but the
    partner's (views.Viewer.event); the picture keeps the properties as the track's
    state. The course is from grid north of the local frame, close to true north near
    the frame's centre."""
    rows = np.flatnonzero(batch.confirmed)
    if rows.size == 0:
        return []
    lat, lon = boundary.frame.to_geo(batch.east_m[rows], batch.north_m[rows])
    ve, vn = batch.velocity_east_ms[rows], batch.velocity_north_ms[rows]
    times: dict[float, str] = {}
    epochs = batch.epoch_s[rows].tolist()
    for epoch in set(epochs):
        times[epoch] = format_time(epoch_to_datetime(epoch))
    kinds = [kind_of(code).value for code in range(4)]
    columns = zip(
        batch.serial[rows].tolist(),
        epochs,
        np.round(lat, 7).tolist(),
        np.round(lon, 7).tolist(),
        batch.kind_code[rows].tolist(),
        np.round(batch.kind_probability[rows], 3).tolist(),
        batch.group_size[rows].tolist(),
        np.round(np.hypot(ve, vn), 2).tolist(),
        np.round(np.degrees(np.arctan2(ve, vn)) % 360, 1).tolist(),
        np.round(batch.position_sigma_m[rows], 1).tolist(),
        batch.simulated[rows].tolist(),
        strict=True,
    )
    low = (batch.group_size if batch.group_size_low is None else batch.group_size_low)[rows]
    high = (batch.group_size if batch.group_size_high is None else batch.group_size_high)[rows]
    ranges = zip(low.tolist(), high.tolist(), strict=True)
    features = []
    for (serial, epoch, la, lo, code, probability, size, speed, heading, sigma,
         simulated), (least, most) in zip(columns, ranges, strict=True):
        tid = track_id(serial)
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lo, la]},
            "properties": {
                "track_id": tid,
                "time": times[epoch],
                "lat": la,
                "lon": lo,
                "kind": kinds[min(code, 3)],
                "kind_probability": probability,
                "group_size": size,
                "group_size_range": [min(least, size), max(most, size)],
                "speed_ms": speed,
                "heading_deg": heading,
                "position_sigma_m": sigma,
                "simulated": bool(simulated),
            },
            "id": tid,
        })
    return features
