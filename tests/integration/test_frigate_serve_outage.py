"""`serve --mqtt` through a storage outage, on a real Mosquitto: while the service
refuses to store, /healthz says degraded and why, the events stay unacknowledged with the
broker, and once it stores again every event is stored once and health is back to ok."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson
from tests.mqtt_fixtures import Publisher, wait_until
from tests.service_helpers import running_service

from borderwatch.adapters.mqtt.broker import parse_broker
from borderwatch.adapters.mqtt.server import Mosquitto
from borderwatch.adapters.sources.frigate_cameras import load_frigate_cameras
from borderwatch.app.runtime.frigate_intake import attach_to_service
from borderwatch.sim.frigate_events import CAMERAS_YAML, walkers


def test_a_storage_outage_degrades_health_and_loses_nothing(
        mosquitto: Mosquitto, tmp_path: Path) -> None:
    cameras = tmp_path / "cameras.yaml"
    cameras.write_text(CAMERAS_YAML)
    topic = "frigate-outage/events"
    with running_service(tmp_path / "s.db") as svc, \
            httpx.Client(base_url=svc.url, timeout=30) as client:
        service = svc.service
        accept = service.accept
        outage = {"on": True}

        def accept_unless_down(stored, detections):  # type: ignore[no-untyped-def]
            if outage["on"]:
                raise OSError("database or disk is full")
            return accept(stored, detections)

        service.accept = accept_unless_down  # type: ignore[method-assign]
        intake = attach_to_service(service, {
            "broker": parse_broker(mosquitto.url), "cameras": load_frigate_cameras(cameras),
            "topic": topic, "client_id": "bw-outage"})
        intake.start(wait_s=10)  # `serve` starts it with the service (a starter)
        publisher = Publisher(mosquitto.port, client_id="bw-outage-pub")
        try:
            publisher.publish([orjson.dumps(m) for m in walkers(300)], topic)
            publisher.wait()
            wait_until(lambda: intake.subscriber.status.failing, what="the outage")
            health = client.get("/healthz").json()
            assert health["status"] == "degraded"
            assert any(r.startswith("Frigate intake: the handler failed: OSError: database "
                                    "or disk is full") for r in health["reasons"])
            outage["on"] = False
            wait_until(lambda: intake.subscriber.status.handled >= 300, what="all handled")
            svc.wait_idle()
            assert service.live.counters.processed == 300  # each stored once, then tracked
            assert not any(r.startswith("Frigate intake")
                           for r in client.get("/healthz").json()["reasons"])
        finally:
            publisher.close()
            intake.stop()
