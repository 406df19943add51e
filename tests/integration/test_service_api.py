"""The service over real HTTP on 127.0.0.1: ingest, the picture as GeoJSON, alerts, the
live feed, metrics. One service replays the Coutts night for each way of running the tracker."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from tests.service_helpers import Running, coutts_wire, post_all, running_service

GOOD = {"time": "2025-02-03T13:00:00Z", "sensor_id": "cam-x", "lat": 49.01, "lon": -111.9}


Night = tuple[Running, list[dict[str, Any]]]


@pytest.fixture(scope="module", params=["thread", "process"])
def night(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
          ) -> Iterator[Night]:
    """The night through the service, with the tracker in a thread of the HTTP process
    and in a process of its own (`borderwatch serve`'s default): the same API either way."""
    db = tmp_path_factory.mktemp("svc") / "service.db"
    with running_service(db, tracker_process=request.param == "process") as svc:
        operator = svc.key("RCMP-K", "operator")
        events: list[dict[str, Any]] = []
        ready = threading.Event()

        def listen() -> None:
            url = svc.url + "/v1/stream"
            try:
                with httpx.stream("GET", url, headers=operator, timeout=None) as r:
                    kind = ""
                    for line in r.iter_lines():
                        if line.startswith("event: "):
                            kind = line[7:]
                            ready.set()
                        elif line.startswith("data: "):
                            events.append({**orjson.loads(line[6:]), "sse": kind})
            except httpx.RemoteProtocolError:
                pass  # the server stopped (and cut the stream) at the end of the module

        threading.Thread(target=listen, daemon=True).start()
        assert ready.wait(10)
        with httpx.Client(base_url=svc.url, timeout=30) as client:
            post_all(client, coutts_wire(), operator)
        svc.wait_idle()
        yield svc, events


def test_ingest_reports_each_bad_item_and_keeps_the_good_ones(tmp_path: Path) -> None:
    with running_service(tmp_path / "s.db") as svc, httpx.Client(base_url=svc.url) as client:
        key = svc.key("RCMP-K", "operator")
        body = [
            {**GOOD, "id": "a"},
            {**GOOD, "lat": 91},
            {k: v for k, v in GOOD.items() if k != "time"},
            {**GOOD, "id": "b", "count": 0},
            {**GOOD, "id": "a"},
            {**GOOD, "id": "pole", "lat": -90.0},  # at infinity in the map frame
        ]
        r = client.post("/v1/detections", json=body, headers=key)
        assert r.status_code == 200
        answer = r.json()
        assert answer["accepted"] == 1
        assert answer["duplicates"] == [4]
        assert [(e["index"], e["field"]) for e in answer["errors"]] == [
            (1, "lat"), (2, "time"), (3, "count"), (5, "lat")]
        assert "91" in answer["errors"][0]["reason"]
        assert "map frame" in answer["errors"][3]["reason"]
        again = client.post("/v1/detections", json=[{**GOOD, "id": "a"}], headers=key).json()
        assert again == {"accepted": 0, "duplicates": [0], "errors": [], "simulated": False}
        assert svc.service.log.count() == 1
        assert client.post("/v1/detections", content=b"{not json", headers=key).status_code == 400
        assert client.post("/v1/detections", json={"a": 1}, headers=key).status_code == 422


def test_back_pressure_is_429_with_retry_after_and_stores_nothing(tmp_path: Path) -> None:
    with running_service(tmp_path / "s.db", max_pending=3, max_batch=5) as svc, \
            httpx.Client(base_url=svc.url) as client:
        key = svc.key("RCMP-K", "operator")
        svc.service.live.stop()  # the pipeline stops taking work: the queue cannot drain
        items = [{**GOOD, "id": f"d{i}"} for i in range(4)]
        r = client.post("/v1/detections", json=items, headers=key)
        assert r.status_code == 429
        assert r.headers["Retry-After"] == "1"
        assert svc.service.log.count() == 0
        big = client.post("/v1/detections", json=[GOOD] * 6, headers=key)
        assert big.status_code == 413


def test_keys_and_roles_gate_every_endpoint(night: tuple[Running, list[Any]]) -> None:
    svc, _ = night
    with httpx.Client(base_url=svc.url) as client:
        assert client.get("/v1/tracks").status_code == 401
        assert client.get("/v1/tracks", headers={"X-API-Key": "bw_wrong"}).status_code == 401
        viewer = svc.key("RCMP-K", "viewer")
        r = client.post("/v1/detections", json=[GOOD], headers=viewer)
        assert r.status_code == 403
        assert client.get("/v1/cases/AB-2025-0203-001", headers=viewer).status_code == 403


def test_the_night_as_geojson(night: tuple[Running, list[Any]]) -> None:
    svc, _ = night
    key = svc.key("RCMP-K", "viewer")
    with httpx.Client(base_url=svc.url) as client:
        incidents = client.get("/v1/incidents", headers=key)
        assert incidents.headers["content-type"] == "application/geo+json"
        fc = incidents.json()
        assert fc["type"] == "FeatureCollection" and fc["simulated"] is True
        crossings = [f for f in fc["features"] if f["properties"]["type"] == "crossing"]
        assert len(crossings) == 1
        props = crossings[0]["properties"]
        lon, lat = crossings[0]["geometry"]["coordinates"]
        assert (lat, lon) == (props["lat"], props["lon"])  # GeoJSON is [lon, lat]
        assert props["direction"] == "northbound" and props["group_size"] == 9
        assert props["simulated"] is True
        near = client.get("/v1/incidents", params={"bbox": "-111.95,48.95,-111.85,49.05"},
                          headers=key).json()
        assert len(near["features"]) == len(fc["features"])
        far = client.get("/v1/incidents", params={"bbox": "-100,40,-99,41"}, headers=key).json()
        assert far["features"] == []
        later = client.get("/v1/incidents", params={"since": "2025-02-03T13:10:00Z"},
                           headers=key).json()
        assert [f["properties"]["type"] for f in later["features"]] == ["crossing"]
        bad = client.get("/v1/incidents", params={"bbox": "1,2,3"}, headers=key)
        assert bad.status_code == 422 and "bbox" in bad.text
        sensors = client.get("/v1/sensors", headers=key).json()
        assert {f["properties"]["sensor_id"] for f in sensors["features"]} >= {"cam-n1"} or \
            sensors["features"]
        tracks = client.get("/v1/tracks", headers=key).json()
        assert tracks["type"] == "FeatureCollection"


def test_alerts_ack_and_resolve_over_http(night: tuple[Running, list[Any]]) -> None:
    svc, events = night
    operator = svc.key("RCMP-K", "operator")
    other = svc.key("RCMP-D", "operator")
    with httpx.Client(base_url=svc.url) as client:
        alerts = client.get("/v1/alerts", headers=operator).json()["alerts"]
        crossing = next(a for a in alerts if a["facts"]["type"] == "crossing"
                        and a["unit"]["unit_id"] == "RCMP-K-IBET")
        aid = crossing["alert_id"]
        assert client.post(f"/v1/alerts/{aid}/ack", headers=other).status_code == 403
        too_long = client.post(f"/v1/alerts/{aid}/ack", headers=operator,
                               params={"by": "Cpl. Tremblay", "note": "x" * 501})
        assert too_long.status_code == 422
        assert too_long.json()["detail"][0]["loc"] == ["query", "note"]
        acked = client.post(f"/v1/alerts/{aid}/ack", headers=operator,
                            params={"by": "Cpl. Tremblay", "note": "team en route"})
        assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"
        # The person's name, and beside it the key that authenticated the request.
        assert acked.json()["acknowledged_by"].startswith("Cpl. Tremblay, RCMP-K (")
        assert acked.json()["acknowledged_note"] == "team en route"
        again = client.post(f"/v1/alerts/{aid}/ack", headers=operator)  # idempotent
        assert again.status_code == 200 and again.json()["status"] == "acknowledged"
        assert again.json()["acknowledged_note"] == "team en route"
        resolved = client.post(f"/v1/alerts/{aid}/resolve", headers=operator,
                               params={"by": "Sgt. Roy", "note": "group intercepted"})
        assert resolved.json()["status"] == "resolved"
        assert resolved.json()["resolved_by"].startswith("Sgt. Roy, RCMP-K (")
        assert resolved.json()["reason"] == "group intercepted"
        assert client.post(f"/v1/alerts/{aid}/ack", headers=operator).status_code == 409
        assert client.post("/v1/alerts/nope/ack", headers=operator).status_code == 404
    assert any(e["sse"] == "incident" for e in events)
    assert eventually(lambda: {"acknowledged", "resolved"} <= {
        e["alert"]["status"] for e in list(events) if e["sse"] == "alert"})
    assert any(e["sse"] == "tracks" and e["features"] for e in events)
    assert all(e["simulated"] is True for e in events if e["sse"] in ("incident", "alert"))


def eventually(condition: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_metrics_health_and_openapi(night: tuple[Running, list[Any]]) -> None:
    svc, _ = night
    with httpx.Client(base_url=svc.url) as client:
        assert client.get("/healthz").json()["status"] == "ok"
        # /metrics needs a key of a role that may read it (docs/security/sharing.md).
        assert client.get("/metrics").status_code == 401
        text = client.get("/metrics", headers=svc.key("RCMP-K", "monitor")).text
        # Every detection of the night was posted and valid (its count depends on what the
        # scenario's frame sensors find: read, not written here).
        assert f"borderwatch_detections_accepted_total {len(coutts_wire())}" in text
        assert "borderwatch_incidents_total" in text
        assert "borderwatch_detections_late_total 0" in text
        assert "borderwatch_detections_unplaceable_total 0" in text
        assert "borderwatch_pipeline_failures_total 0" in text
        doc = client.get("/openapi.json").json()
        assert "/v1/detections" in doc["paths"] and "Detection" in doc["components"]["schemas"]
        assert client.get("/docs").status_code == 200
        assert "Borderwatch" in client.get("/").text
