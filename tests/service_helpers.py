"""Run the real service (uvicorn on 127.0.0.1, an ephemeral port) for a test."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from borderwatch.app.bootstrap import build_service
from borderwatch.app.http.api import create_app
from borderwatch.app.runtime.config import ServiceConfig
from borderwatch.app.runtime.service import Service
from borderwatch.domain.access import Role
from borderwatch.sources.registry import SensorRegistry


@dataclass
class Running:
    url: str
    service: Service

    def key(self, agency: str, role: str) -> dict[str, str]:
        key, _ = self.service.keys.create(agency, Role(role))
        return {"X-API-Key": key}

    def wait_idle(self, timeout: float = 60.0) -> None:
        """Until every accepted detection went through the pipeline and was flushed."""
        live = self.service.live
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if live.idle:
                return
            time.sleep(0.05)
        raise AssertionError("the pipeline did not catch up")


@contextmanager
def running_service(db: Path, **config: Any) -> Iterator[Running]:
    # Tests post the scenarios' sensors undeclared, as `serve --allow-undeclared-sensors`.
    config.setdefault("sensors", SensorRegistry(allow_undeclared=True))
    service = build_service(ServiceConfig(db=db, idle_flush_s=0.3, **config))
    server = uvicorn.Server(uvicorn.Config(create_app(service), host="127.0.0.1", port=0,
                                           log_level="warning", lifespan="on",
                                           timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Running(f"http://127.0.0.1:{port}", service)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def coutts_wire(limit: int | None = None) -> list[dict[str, Any]]:
    """The Coutts night's detections in the wire format (simulated, with ids)."""
    return [dict(item) for item in _coutts_wire()[:limit]]


@functools.cache
def _coutts_wire() -> tuple[dict[str, Any], ...]:
    # Simulated once per test session: through the frame sensors this is the slow part.
    from borderwatch.adapters.sources.detection_wire import detection_to_wire
    from borderwatch.geo import Boundary
    from borderwatch.sim import bundled_scenario_path, load_scenario, simulate

    sim = simulate(load_scenario(bundled_scenario_path("coutts")), Boundary.bundled())
    return tuple(detection_to_wire(d) for d in sim.detections)


def post_all(client: httpx.Client, items: list[dict[str, Any]], headers: dict[str, str],
             batch: int = 1000) -> None:
    for start in range(0, len(items), batch):
        r = client.post("/v1/detections", json=items[start:start + batch], headers=headers)
        assert r.status_code == 200, r.text


def final_state(svc: Running) -> dict[str, Any]:
    """What the picture holds at the end: every live track's state and trail, the
    incidents in the order raised, every alert's state."""
    live = svc.service.live
    return {"tracks": sorted(live.snapshot_tracks(), key=lambda t: str(t["track_id"])),
            "incidents": live.snapshot_incidents(),
            "alerts": live.alert_states()}


def lagging_walk(seconds: int = 60, lag_s: int = 3) -> list[dict[str, Any]]:
    """A walker seen each second by two cameras, in the order the reports arrive: cam-b's
    reach the service ``lag_s`` late (within the 5 s reorder window), so they arrive
    after cam-a's of later seconds. Simulated."""
    arrivals = []
    for s in range(seconds):
        for sensor, lag, north in (("cam-a", 0, 0.0), ("cam-b", lag_s, 3e-6)):
            arrivals.append((s + lag, {
                "time": f"2025-02-03T06:{s // 60:02d}:{s % 60:02d}Z", "sensor_id": sensor,
                "lat": round(48.999 + s * 1e-5 + north, 7), "lon": -111.96,
                "id": f"{sensor}-{s}", "simulated": True}))
    return [report for _, report in sorted(arrivals, key=lambda a: a[0])]
