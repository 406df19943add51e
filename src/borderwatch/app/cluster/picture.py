"""The operations picture of a cluster's API process, fed from the bus: every tracker
worker publishes its segment's track updates, incidents and alert changes on the live
stream (wire.py), and each API process reads them all (deliver "new") into its picture
and its feed's hub. It is the :class:`~borderwatch.app.runtime.picture.LiveTracker` the
HTTP side reads; operators' acknowledgements and resolutions go to the shared alert
store directly (the alert stage on PostgreSQL), and the dispatchers send what they
enqueue.

What it does not know: detections still on their way through the bus (``pending`` is 0),
and the picture before it started (tracks come back as they move; incidents from the
store)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import orjson

from borderwatch.adapters.sqlite.alerts import state_to_json
from borderwatch.adapters.sqlite.detections import StoredRun
from borderwatch.app.runtime.alert_service import AlertService
from borderwatch.app.runtime.picture import SensorSeen, TrackerState
from borderwatch.domain import Detection
from borderwatch.ports.bus import Bus, BusClosedError, Subscription

log = logging.getLogger(__name__)
Event = dict[str, Any]
FEED_TYPES = frozenset({"tracks", "incident", "alert"})


class BusPicture(TrackerState):
    """A :class:`LiveTracker` mirrored from the live stream (module docstring)."""

    def __init__(self, alerts: AlertService, live: Bus, *,
                 publish: Callable[[Event], None]) -> None:
        super().__init__(alerts)
        self.live = live
        self.publish = publish
        self.workers: dict[str, dict[str, Any]] = {}
        """The latest status event of each tracker worker, by worker id."""
        self._stop = threading.Event()
        self._subscription: Subscription | None = None
        self._thread = threading.Thread(target=self._run, name="borderwatch-bus-picture",
                                        daemon=True)

    def start(self, stored: Callable[[], Iterator[StoredRun]] | None = None) -> None:
        self._subscription = self.live.subscribe(">", deliver="new")
        self.recovering = False
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        if self._subscription is not None:
            self._subscription.close()

    def _run(self) -> None:
        assert self._subscription is not None
        while not self._stop.is_set():
            try:
                messages = self._subscription.fetch(batch=256, timeout=0.25)
            except BusClosedError:
                return
            except Exception as err:  # the bus reconnects; the picture waits for it
                self.note_failure(err, "live stream")
                self._stop.wait(0.5)
                continue
            for message in messages:
                try:
                    self.take(orjson.loads(message.data))
                except Exception as err:  # one bad event must not stop the picture
                    self.note_failure(err, f"live event {message.seq}")
                message.ack()

    def take(self, event: Event) -> None:
        """Fold one live event into the picture, and pass it on to the feed."""
        kind = event.get("type")
        if kind == "worker":
            self.workers[str(event["worker_id"])] = event
            self.counters.processed = sum(int(w.get("processed", 0))
                                          for w in self.workers.values())
            return
        if kind == "tracks":
            self.picture.apply_tracks(event["tracks"], event["ended"])
        elif kind == "incident":
            self.picture.add_incident(event["incident"])
            if not event["incident"].get("revision"):  # a revision is not a new incident
                self.counters.incidents += 1
        elif kind == "alert" and event.get("event") == "notified":
            self.counters.alerts_notified += 1
        if event.get("simulated"):
            self.simulated_seen = True
        if kind in FEED_TYPES:
            self.publish(event)

    # -- the LiveTracker the HTTP side reads ---------------------------------------------

    @property
    def pending(self) -> int:
        return 0

    @property
    def dirty(self) -> bool:
        return False

    def has_room(self, n: int) -> bool:
        return True  # the bus refuses (and ingest answers 503) when it cannot store

    def submit(self, detections: list[Detection], received_at: float) -> None:
        """Nothing: the intake published them (Service.intake)."""

    def declare_sensor(self, sensor: SensorSeen) -> None:
        self.picture.put_sensor(sensor)

    def acknowledge(self, alert_id: str, by: str, at: datetime,
                    note: str = "") -> dict[str, Any]:
        with self.alert_lock:
            return state_to_json(self.alerts.center.acknowledge(alert_id, by, at, note))

    def resolve(self, alert_id: str, by: str, at: datetime, reason: str) -> dict[str, Any]:
        with self.alert_lock:
            return state_to_json(self.alerts.center.resolve(alert_id, by, at, reason))

    def snapshot_tracks(self) -> list[dict[str, Any]]:
        return self.picture.snapshot_tracks()

    @property
    def late(self) -> int:
        return sum(int(w.get("late", 0)) for w in self.workers.values())

    @property
    def unplaceable(self) -> int:
        return 0

    @property
    def track_count(self) -> int:
        return len(self.picture.tracks)

    @property
    def stopped(self) -> str | None:
        return None
