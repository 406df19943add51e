"""Frigate events from MQTT into the detection log: the subscriber (adapters/mqtt), the
translator (adapters/sources/frigate.py) and where accepted detections go, joined.

Where they go is a ``store`` function: the detection log of `borderwatch ingest mqtt`
(``log_store``), or a running service's ``Service.accept`` (`borderwatch serve --mqtt`),
the very step ``POST /v1/detections`` ends in, so the tracker, the feed and a restart's
replay see MQTT detections exactly as they see posted ones.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from borderwatch.adapters.mqtt.broker import Broker
from borderwatch.adapters.mqtt.subscriber import MqttSubscriber, Received
from borderwatch.adapters.sources.frigate import FrigateTranslator, Refusal, Translated
from borderwatch.adapters.sources.frigate_cameras import FrigateCamera
from borderwatch.domain import Detection
from borderwatch.ports.storage import Detections

if TYPE_CHECKING:
    from borderwatch.app.runtime.service import Service

DEFAULT_TOPIC = "frigate/events"
DEFAULT_CLIENT_ID = "borderwatch-frigate"
"""The persistent session's name at the broker: keep it fixed across restarts (and give
each Borderwatch that reads the same broker its own)."""
SERVICE_RETRY_MAX_S = 5.0
"""`serve --mqtt`: the longest wait between two tries of a batch the service refused
(e.g. its database locked or full); short, so the map catches up soon after."""
KEPT_REFUSALS = 20
"""The first refusals are kept verbatim for the report; the rest are only counted."""

Store = Callable[[Sequence[tuple[str | None, dict[str, Any]]], Sequence[Detection]],
                 list[bool]]
"""Stores ``(id, wire object)`` pairs with their detections; for each, whether it was new
(storage.Detections.append)."""


def log_store(log: Detections) -> Store:
    """Store into a detection log (no tracker behind it)."""

    def store(stored: Sequence[tuple[str | None, dict[str, Any]]],
              detections: Sequence[Detection]) -> list[bool]:
        return log.append(stored)

    return store


@dataclass
class FrigateIntake:
    """Frigate's events, from ``broker`` to ``store``: start, watch ``counts``, stop."""

    broker: Broker
    cameras: Mapping[str, FrigateCamera]
    store: Store
    topic: str = DEFAULT_TOPIC
    client_id: str = DEFAULT_CLIENT_ID
    max_ahead_s: float | None = None
    """Refuse events dated further ahead of this machine's clock (serve's --max-skew)."""
    retry_max_s: float | None = None
    """None: a failing store stops the intake (`borderwatch ingest mqtt` reports it and
    exits). A number: the batch is retried with back-off up to it (`serve --mqtt`)."""
    on_stored: Callable[[Sequence[Received], Translated, float], None] | None = None
    """Called after each stored batch with its messages, what they became and when they
    were stored (``time.time()``): the bench measures latency with it."""
    translator: FrigateTranslator = field(init=False)
    subscriber: MqttSubscriber = field(init=False)
    refusals: list[Refusal] = field(default_factory=list)
    log_duplicates: int = 0
    """Detections the store already had (a message sent again after a restart)."""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _unstored: tuple[Sequence[Received], Translated] | None = None
    """The batch whose store failed, with what it became (retried as it is)."""

    def __post_init__(self) -> None:
        self.translator = FrigateTranslator(self.cameras, max_ahead_s=self.max_ahead_s)
        self.subscriber = MqttSubscriber(self.broker, self.topic, self.client_id,
                                         self._handle, retry_max_s=self.retry_max_s)

    def start(self, wait_s: float | None = 10.0) -> None:
        self.subscriber.start(wait_s)

    def stop(self) -> None:
        self.subscriber.stop()

    @property
    def counts(self) -> Counter[str]:
        """``accepted`` (stored, new), ``ended``, each refusal's reason and ``duplicate``
        (including those the store already had)."""
        with self._lock:
            counts = Counter(self.translator.counts)
            counts["accepted"] -= self.log_duplicates
            counts["duplicate"] += self.log_duplicates
            return +counts

    def _handle(self, batch: Sequence[Received]) -> None:
        # A batch handed over again after its store failed is not translated again: the
        # translator already took its frame times, and would now refuse every message as
        # a duplicate (the subscriber hands over the very same list each try).
        if self._unstored is not None and self._unstored[0] is batch:
            out = self._unstored[1]
        else:
            out = self.translator.translate([item.payload for item in batch], time.time())
        self._unstored = (batch, out)
        fresh = self.store(out.stored, out.detections) if out.stored else []
        self._unstored = None
        stored_at = time.time()
        with self._lock:
            self.log_duplicates += fresh.count(False)
            room = KEPT_REFUSALS - len(self.refusals)
            if room > 0:
                self.refusals.extend(out.refused[:room])
        if self.on_stored is not None:
            self.on_stored(batch, out, stored_at)


def attach_to_service(service: Service, intake_settings: dict[str, Any]) -> FrigateIntake:
    """An intake feeding ``service`` (`borderwatch serve --mqtt`): started once the service
    runs, its cameras put on the map, stopped before the tracker stops. ``intake_settings``
    are FrigateIntake's fields but ``store``. Connecting does not hold the service up: a
    broker that is down is retried with back-off, and /healthz shows no Frigate detection."""
    from borderwatch.app.runtime.picture import SensorSeen

    intake = FrigateIntake(store=service.accept, max_ahead_s=service.config.max_skew_s,
                           retry_max_s=SERVICE_RETRY_MAX_S, **intake_settings)

    def start() -> None:
        for camera in intake.cameras.values():
            service.live.declare_sensor(SensorSeen(
                camera.sensor_id, camera.pose.lat, camera.pose.lon, "",
                simulated=camera.simulated,
                info={"kind": "camera", "azimuth_deg": camera.pose.azimuth_deg,
                      "fov_deg": round(camera.intrinsics.hfov_deg, 1), "frigate": camera.name}))
        intake.start(wait_s=None)

    def failing() -> str | None:
        status = intake.subscriber.status
        if not status.failing:
            return None
        return (f"Frigate intake: {status.last_error}; retrying (the broker holds the "
                "events not yet stored)")

    service.starters.append(start)
    service.stoppers.append(intake.stop)
    service.checks.append(failing)
    return intake
