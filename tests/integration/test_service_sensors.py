"""Declared sensors and the truth of /healthz, through the real API: an undeclared sensor
is refused per item and never tracked, /v1/sensors answers a page at a time, and
/healthz says degraded, and why, on a made-up clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from tests.service_helpers import running_service

from borderwatch.sources.registry import DeclaredSensor, SensorRegistry


def _item(n: int, sensor_id: str) -> dict[str, Any]:
    return {"time": f"2025-02-03T06:{n // 60:02d}:{n % 60:02d}Z", "sensor_id": sensor_id,
            "lat": 49.0005, "lon": -111.96, "id": f"{sensor_id}-{n}"}


def _declared(n: int, **kw: Any) -> list[DeclaredSensor]:
    return [DeclaredSensor(sensor_id=f"cam-{i:05d}", lat=49.0 + i * 1e-5, lon=-111.96,
                           kind="camera", agency="RCMP-K", **kw) for i in range(n)]


def test_an_undeclared_sensor_is_refused_per_item_and_never_tracked(tmp_path: Path) -> None:
    registry = SensorRegistry(_declared(2), max_sensors_per_key=2)
    with running_service(tmp_path / "s.db", sensors=registry) as svc, \
            httpx.Client(base_url=svc.url, timeout=30) as client:
        rcmp, usbp = svc.key("RCMP-K", "operator"), svc.key("USBP-HVM", "operator")
        body = [_item(0, "cam-00000"), _item(1, "flood-1"), _item(2, "cam-00001")]
        r = client.post("/v1/detections", json=body, headers=rcmp)
        assert r.status_code == 200, r.text
        assert r.json()["accepted"] == 2
        assert r.json()["errors"] == [{"index": 1, "field": "sensor_id", "reason":
                                       "is not a declared sensor (declare it in the sensor "
                                       "registry)"}]
        # Another agency's key may not report for RCMP's cameras.
        r = client.post("/v1/detections", json=[_item(3, "cam-00000")], headers=usbp)
        assert r.json()["accepted"] == 0
        assert r.json()["errors"][0]["reason"].startswith("this key (agency USBP-HVM)")
        svc.wait_idle()
        assert svc.service.log.count() == 2
        seen = {s.sensor_id for s in svc.service.live.snapshot_sensors()}
        assert seen == {"cam-00000", "cam-00001"}


def test_with_undeclared_allowed_a_key_still_cannot_flood_the_picture(tmp_path: Path) -> None:
    registry = SensorRegistry(allow_undeclared=True, max_sensors_per_key=100)
    with running_service(tmp_path / "s.db", sensors=registry) as svc, \
            httpx.Client(base_url=svc.url, timeout=30) as client:
        key = svc.key("RCMP-K", "operator")
        r = client.post("/v1/detections", json=[_item(n, f"s-{n}") for n in range(150)],
                        headers=key)
        assert r.status_code == 200 and r.json()["accepted"] == 100
        assert {e["index"] for e in r.json()["errors"]} == set(range(100, 150))
        assert all(e["field"] == "sensor_id" for e in r.json()["errors"])
        svc.wait_idle()
        assert len(svc.service.live.snapshot_sensors()) == 100


def test_sensors_are_read_a_bounded_page_at_a_time(tmp_path: Path) -> None:
    with running_service(tmp_path / "s.db", sensors=SensorRegistry(_declared(2500))) as svc, \
            httpx.Client(base_url=svc.url, timeout=30) as client:
        key = svc.key("RCMP-K", "viewer")
        ids: list[str] = []
        pages = 0
        cursor = None
        while True:
            params = {"cursor": cursor} if cursor else {}
            r = client.get("/v1/sensors", headers=key, params=params)
            assert r.status_code == 200
            page = r.json()
            assert len(page["features"]) <= 1000
            ids += [f["id"] for f in page["features"]]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == 3 and ids == [f"cam-{i:05d}" for i in range(2500)]
        r = client.get("/v1/sensors", headers=key, params={"limit": 10})
        assert len(r.json()["features"]) == 10 and r.json()["next_cursor"] == "cam-00009"
        assert client.get("/v1/sensors", headers=key, params={"limit": 5000}).status_code == 422
        # Another agency is told of no sensor, not even how many pages there would be.
        other = client.get("/v1/sensors", headers=svc.key("USBP-HVM", "viewer")).json()
        assert other["features"] == [] and other["next_cursor"] is None


def test_healthz_degrades_with_its_reasons(tmp_path: Path) -> None:
    registry = SensorRegistry(_declared(2, expected_interval_s=3600))
    with running_service(tmp_path / "s.db", sensors=registry) as svc, \
            httpx.Client(base_url=svc.url, timeout=30) as client:
        now = [svc.service.monotonic()]
        svc.service.monotonic = lambda: now[0]
        svc.wait_idle()
        assert client.get("/healthz").json()["status"] == "ok"
        key = svc.key("RCMP-K", "operator")
        # cam-00000 reports; 40 reports from sensors nobody declared are refused.
        body = [_item(0, "cam-00000")] + [_item(n, f"x-{n}") for n in range(1, 41)]
        assert client.post("/v1/detections", json=body, headers=key).json()["accepted"] == 1
        now[0] += 3601  # an hour on: cam-00001 has never reported
        health = client.get("/healthz")
        assert health.status_code == 200
        assert health.json()["status"] == "degraded"
        reasons = health.json()["reasons"]
        assert reasons[0].startswith("98% of the 41 detections received in the last 300 s "
                                     "were refused or late")
        assert reasons[1].startswith("2 declared sensor(s) silent: cam-00000 for 3601 s")
        assert client.get("/healthz", params={"strict": "true"}).status_code == 503
        # Both reporting again, the refusals out of the window: ok again.
        body = [_item(n, f"cam-0000{n % 2}") for n in range(50, 90)]
        assert client.post("/v1/detections", json=body, headers=key).json()["accepted"] == 40
        svc.wait_idle()
        now[0] += 301
        health = client.get("/healthz").json()
        assert (health["status"], health["reasons"]) == ("ok", []), health


def test_the_sensor_health_panel_counts_each_sensor(tmp_path: Path) -> None:
    registry = SensorRegistry(_declared(2, expected_interval_s=600))
    with running_service(tmp_path / "s.db", sensors=registry) as svc, \
            httpx.Client(base_url=svc.url, timeout=30) as client:
        now = [svc.service.monotonic()]
        svc.service.monotonic = lambda: now[0]
        key = svc.key("RCMP-K", "operator")
        # cam-00000 sends 30 reports, one of them refused (no position); an undeclared
        # sensor is refused twice; cam-00001 never reports.
        body = [_item(n, "cam-00000") for n in range(29)]
        body += [{**_item(29, "cam-00000"), "lat": None}, _item(30, "x-1"), _item(31, "x-1")]
        r = client.post("/v1/detections", json=body, headers=key)
        assert r.json()["accepted"] == 29 and len(r.json()["errors"]) == 3
        svc.wait_idle()
        now[0] += 120
        page = client.get("/v1/sensors/health", headers=key).json()
        assert page["window_s"] == 300 and page["next_cursor"] is None
        rows = {row["sensor_id"]: row for row in page["sensors"]}
        assert list(rows) == ["cam-00000", "cam-00001", "x-1"]
        cam = rows["cam-00000"]
        assert (cam["declared"], cam["detections"], cam["refused"]) == (True, 29, 1)
        assert cam["per_minute"] == 5.8  # 29 taken in the 5-minute window
        assert cam["last_report_s_ago"] == 120.0 and cam["silent"] is False
        assert cam["last_report"] == "2025-02-03T06:00:28.000Z"
        quiet = rows["cam-00001"]
        assert (quiet["last_report"], quiet["silent"], quiet["per_minute"]) == (None, True, 0.0)
        assert (rows["x-1"]["declared"], rows["x-1"]["refused_total"]) == (False, 2)
        now[0] += 600  # ten minutes on: cam-00000 is silent past its interval too
        later = {r["sensor_id"]: r for r in client.get(
            "/v1/sensors/health", headers=key).json()["sensors"]}
        assert later["cam-00000"]["silent"] is True and later["cam-00000"]["per_minute"] == 0
        assert later["x-1"]["refused"] == 0 and later["x-1"]["refused_total"] == 2
        one = client.get("/v1/sensors/health", headers=key, params={"limit": 1}).json()
        assert [r["sensor_id"] for r in one["sensors"]] == ["cam-00000"]
        assert one["next_cursor"] == "cam-00000"
        # Another agency is told nothing of RCMP's sensors.
        other = client.get("/v1/sensors/health", headers=svc.key("USBP-HVM", "viewer")).json()
        assert other["sensors"] == [] and other["next_cursor"] is None
