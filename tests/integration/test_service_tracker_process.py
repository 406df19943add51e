"""The tracker in a process of its own (`borderwatch serve`'s default, service/worker.py):
it decides exactly what the in-process tracker decides, comes back after a restart of the
service, is restarted when it dies (replaying the log, nothing fed twice), and when it
keeps dying the service says so and stores nothing it would not track. (The API itself
is tested in both ways in test_service_api.py and test_service_roles.py; the HTTP
process's SIGKILL, which must take the tracker with it, in test_service_kill.py.)"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from tests.service_helpers import (
    Running,
    coutts_wire,
    final_state,
    lagging_walk,
    post_all,
    running_service,
)

from borderwatch.app.runtime.picture import SensorSeen


def _picture(svc: Running) -> dict[str, Any]:
    """What the night left, as the API shows it to an operator: every live track's whole
    state (id, time, position, kind, head count, speed, course, sigma, trail), the
    incidents, every alert's whole state, and the counters."""
    key = svc.key("RCMP-K", "operator")
    with httpx.Client(base_url=svc.url, timeout=30) as client:
        post_all(client, coutts_wire(), key)
        svc.wait_idle()
        incidents = client.get("/v1/incidents", headers=key).json()["features"]
        tracks = client.get("/v1/tracks", headers=key).json()["features"]
        alerts = client.get("/v1/alerts", headers=key).json()["alerts"]
        metrics = client.get("/metrics", headers=key).text
    return {
        "incidents": [f["properties"] for f in incidents],
        "tracks": sorted(tracks, key=lambda f: str(f["id"])),
        "alerts": sorted(alerts, key=lambda a: str(a["alert_id"])),
        "metrics": sorted(line for line in metrics.splitlines()
                          if line.startswith(("borderwatch_incidents_total",
                                              "borderwatch_tracks_active",
                                              "borderwatch_detections_processed_total",
                                              "borderwatch_alerts_notified_total"))),
    }


def test_the_tracker_process_decides_as_the_thread_does(tmp_path: Path) -> None:
    with running_service(tmp_path / "thread.db") as svc:
        in_thread = _picture(svc)
    with running_service(tmp_path / "process.db", tracker_process=True) as svc:
        in_process = _picture(svc)
        assert svc.service.live.failures == 0, svc.service.live.last_failure
    assert any(i["type"] == "crossing" for i in in_thread["incidents"])
    assert in_thread["tracks"] and in_thread["alerts"]
    assert in_process == in_thread


def _walk_with_a_quiet_spell(svc: Running) -> None:
    """The lagging walk, with ingest quiet (the buffers released) before second 40."""
    walk = lagging_walk()
    cut = next(i for i, r in enumerate(walk) if r["time"].endswith(":40Z"))
    key = svc.key("RCMP-K", "operator")
    with httpx.Client(base_url=svc.url, timeout=30) as client:
        post_all(client, walk[:cut], key)
        svc.wait_idle()
        post_all(client, walk[cut:], key)
    svc.wait_idle()


def test_the_tracker_process_after_a_restart_decides_as_the_thread_did(
        tmp_path: Path) -> None:
    # Across process counts and a restart at once: the tracker process, replaying the
    # log after the service restarted, ends where the thread tracker that ran the same
    # posts without a restart ended, quiet spell (and its late report) included.
    with running_service(tmp_path / "thread.db") as svc:
        _walk_with_a_quiet_spell(svc)
        in_thread = {**final_state(svc), "late": svc.service.live.late}
    db = tmp_path / "process.db"
    with running_service(db, tracker_process=True) as svc:
        _walk_with_a_quiet_spell(svc)
    with running_service(db, tracker_process=True) as svc:
        svc.wait_idle()
        in_process = {**final_state(svc), "late": svc.service.live.late}
    assert in_thread["tracks"] and in_thread["late"] == 1
    assert in_process == in_thread


def test_the_thread_tracker_is_not_idle_until_its_buffers_are_released(tmp_path: Path) -> None:
    # The cause of the comparison above going red under load: the thread layout said
    # idle (clean, nothing pending) as it *began* releasing what its buffers held, so a
    # reader that waited for idle could read the picture half-released. Here the
    # release is held open until the test has looked (no timing involved).
    with running_service(tmp_path / "s.db") as svc:
        live = svc.service.live
        releasing, go_on = threading.Event(), threading.Event()
        finish = live.pipeline.finish  # type: ignore[attr-defined]

        def held_finish() -> object:
            releasing.set()
            go_on.wait(60)
            return finish()

        live.pipeline.finish = held_finish  # type: ignore[attr-defined]
        key = svc.key("RCMP-K", "operator")
        walk = [{"time": f"2025-02-03T06:00:{s:02d}Z", "sensor_id": "cam-1",
                 "lat": 48.999 + s * 1e-5, "lon": -111.96, "id": f"walk-{s}"}
                for s in range(30)]
        with httpx.Client(base_url=svc.url, timeout=30) as client:
            post_all(client, walk, key)
        assert releasing.wait(60)
        try:
            assert not live.idle, "idle while the buffers are still being released"
        finally:
            go_on.set()
        svc.wait_idle()
        assert live.idle


def test_a_restarted_tracker_process_rebuilds_the_picture(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with running_service(db, tracker_process=True) as svc:
        key = svc.key("RCMP-K", "operator")

        def broken_hook(incident: object) -> None:
            raise RuntimeError("a hook that fails")

        svc.service.live.add_incident_hook(broken_hook)
        with httpx.Client(base_url=svc.url, timeout=30) as client:
            post_all(client, coutts_wire(), key)
        svc.wait_idle()
        before = svc.service.live.snapshot_incidents()
        # Counted (and kept across the tracker's status reports), and the rest went on.
        assert svc.service.live.failures == len(before) > 0
        assert svc.service.live.last_failure.startswith("mirror: RuntimeError")
        alerts_before = svc.service.live.alert_states()
        tracks_before = svc.service.live.snapshot_tracks()
    assert any(i["type"] == "crossing" for i in before)
    with running_service(db, tracker_process=True) as svc:
        svc.wait_idle()
        assert svc.service.live.snapshot_incidents() == before
        # Alert ids are deterministic: the replayed night raises nothing new.
        assert svc.service.live.alert_states() == alerts_before
        assert svc.service.live.snapshot_tracks() == tracks_before


def _tracker_pid(svc: Running) -> int:
    process = svc.service.live._process  # type: ignore[attr-defined]
    return int(process.pid)


def _post_through(client: httpx.Client, items: list[dict[str, Any]], key: dict[str, str]
                  ) -> int:
    """Post in batches of 500, sending a batch again after a 503 (nothing stored, the
    tracker restarting); how many 503 answers there were."""
    refused = 0
    for start in range(0, len(items), 500):
        while True:
            r = client.post("/v1/detections", json=items[start:start + 500], headers=key)
            if r.status_code != 503:
                break
            refused += 1
            time.sleep(float(r.headers["Retry-After"]) / 4)
        assert r.status_code == 200, r.text
    return refused


def test_a_dead_tracker_is_restarted_and_replays_the_log(tmp_path: Path) -> None:
    night = coutts_wire()
    half = len(night) // 2
    with running_service(tmp_path / "s.db", tracker_process=True) as svc, \
            httpx.Client(base_url=svc.url, timeout=30) as client:
        key = svc.key("RCMP-K", "operator")
        live = svc.service.live
        cone = {"kind": "camera", "azimuth_deg": 180.0, "fov_deg": 20.0, "range_m": 1500.0}
        live.declare_sensor(SensorSeen("cam-1", 49.0004, -111.93, "", simulated=True,
                                       info=cone))
        _post_through(client, night[:half], key)
        svc.wait_idle()
        first = _tracker_pid(svc)
        os.kill(first, signal.SIGKILL)
        # Ingest goes on while it restarts: a batch is stored and handed over, or refused
        # with 503 and nothing stored; either way nothing is lost or fed twice.
        _post_through(client, night[half:], key)
        svc.wait_idle()
        assert _tracker_pid(svc) != first and live.stopped is None
        assert client.get("/healthz").json()["status"] == "ok"
        assert svc.service.log.count() == len(night)
        incidents = live.snapshot_incidents()
        crossings = [i for i in incidents if i["type"] == "crossing"]
        assert len(crossings) == 1 and crossings[0]["group_size"] == 9, incidents
        assert len({i["incident_id"] for i in incidents}) == len(incidents)
        alerts = live.alert_states()
        assert alerts and len({a["alert_id"] for a in alerts}) == len(alerts)
        assert live.failures == 0, live.last_failure
        # A declared sensor keeps what was declared (its cone on the map) after the restart.
        cam = next(x for x in live.snapshot_sensors() if x.sensor_id == "cam-1")
        assert cam.info == cone and cam.detections > 0
        after_restart = _seen(svc)
    # The same decisions and the same final tracks as restarting the whole service at
    # that point (the in-process tracker recovering from the log), which feeds every
    # detection once. (The final tracks used to differ here from run to run: the
    # recovery released the buffers only at its end, not where the live run had; the
    # release points are in the log now, runtime/release.py.)
    db = tmp_path / "reference.db"
    with running_service(db) as svc, httpx.Client(base_url=svc.url, timeout=30) as client:
        _post_through(client, night[:half], svc.key("RCMP-K", "operator"))
        svc.wait_idle()
    with running_service(db) as svc, httpx.Client(base_url=svc.url, timeout=30) as client:
        _post_through(client, night[half:], svc.key("RCMP-K", "operator"))
        svc.wait_idle()
        assert _seen(svc) == after_restart


def _seen(svc: Running) -> dict[str, Any]:
    live = svc.service.live
    return {"incidents": live.snapshot_incidents(),
            "alerts": sorted(a["alert_id"] for a in live.alert_states()),
            "tracks": sorted(live.snapshot_tracks(), key=lambda t: str(t["track_id"]))}


def test_a_tracker_that_keeps_dying_is_reported_and_ingest_stores_nothing(
    tmp_path: Path, monkeypatch: Any
) -> None:
    from borderwatch.app.runtime import worker

    monkeypatch.setattr(worker, "RESTARTS", 1)
    monkeypatch.setattr(worker, "RESTART_PAUSE_S", 0.1)
    with running_service(tmp_path / "s.db", tracker_process=True) as svc, \
            httpx.Client(base_url=svc.url, timeout=30) as client:
        key = svc.key("RCMP-K", "operator")
        svc.wait_idle()
        first = _tracker_pid(svc)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while (_tracker_pid(svc) == first or not svc.service.live.idle) \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.get("/healthz").json()["status"] == "ok"  # restarted once
        os.kill(_tracker_pid(svc), signal.SIGKILL)
        while client.get("/healthz").status_code != 503 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # no second restart comes
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["status"] == "stopped"
        assert "restart the service" in health.json()["reason"]
        stored = svc.service.log.count()
        r = client.post("/v1/detections", json=coutts_wire(5), headers=key)
        assert r.status_code == 503 and "nothing" in r.json()["detail"]
        assert svc.service.log.count() == stored
        tracks = client.get("/v1/tracks", headers=key)
        assert tracks.status_code == 500 and tracks.json() == {"detail": "internal error"}
