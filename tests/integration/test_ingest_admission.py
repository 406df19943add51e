"""Admission at the edge over HTTP (issue 17): a report dated ahead is refused per item and
cannot blind the live tracker, not even from the log after a restart; out-of-range dates
are 4xx (never a 500) in the body and in ``since``/``until``; the body is limited while it
is read."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
from tests.service_helpers import running_service

from borderwatch.adapters.sqlite.detections import DetectionLog
from borderwatch.app.bootstrap import build_service
from borderwatch.app.http.api import create_app
from borderwatch.app.runtime.config import ServiceConfig
from borderwatch.domain.access import Role

FUTURE = "2999-01-01T00:00:00Z"


def crossing(n: int = 5) -> list[dict[str, Any]]:
    """Real (recorded, so past) reports, one second apart."""
    return [{"time": f"2025-02-03T13:00:{s:02d}Z", "sensor_id": "cam-x", "lat": 49.0,
             "lon": -111.9, "sigma_m": 5.0, "kind": "person", "id": f"real-{s}"}
            for s in range(n)]


def test_a_report_dated_ahead_is_refused_and_does_not_blind_the_tracker(tmp_path: Path) -> None:
    with running_service(tmp_path / "s.db") as svc, httpx.Client(base_url=svc.url) as client:
        key = svc.key("RCMP-K", "operator")
        ahead = {**crossing(1)[0], "time": FUTURE, "id": "ahead"}
        r = client.post("/v1/detections", json=[ahead], headers=key)
        assert r.status_code == 422, r.text
        [error] = r.json()["errors"]
        assert error["index"] == 0 and error["field"] == "time"
        assert "1970-2099" in error["reason"]
        # Inside the years, but a minute ahead of the clock: refused for the skew.
        soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 60))
        r = client.post("/v1/detections", json=[{**ahead, "time": soon}, *crossing()],
                        headers=key)
        assert r.status_code == 200, r.text
        answer = r.json()
        assert answer["accepted"] == 5
        assert [(e["index"], e["field"]) for e in answer["errors"]] == [(0, "time")]
        assert "ahead of the service clock" in answer["errors"][0]["reason"]
        svc.wait_idle()
        assert svc.service.log.count() == 5
        assert svc.service.live.pipeline.reorder.report.late == 0  # type: ignore[attr-defined]


def test_a_far_future_report_stored_by_an_older_version_is_not_replayed(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    log = DetectionLog(db)  # what an older version accepted and stored
    log.append([("ahead", orjson.dumps({**crossing(1)[0], "time": FUTURE, "id": "ahead"})),
                ("long", orjson.dumps({**crossing(1)[0], "id": "x" * 5_000}))])
    log.close()
    with running_service(db) as svc, httpx.Client(base_url=svc.url) as client:
        key = svc.key("RCMP-K", "operator")
        r = client.post("/v1/detections", json=crossing(), headers=key)
        assert r.status_code == 200 and r.json()["accepted"] == 5
        svc.wait_idle()
        live = svc.service.live
        assert live.pipeline.reorder.report.late == 0  # type: ignore[attr-defined]
        assert live.failures == 2 and "stored detection skipped" in (live.last_failure or "")
        assert client.get("/healthz").json()["status"] == "ok"


def test_out_of_range_dates_are_refused_per_item_and_in_query_parameters(
        tmp_path: Path) -> None:
    with running_service(tmp_path / "s.db") as svc, httpx.Client(base_url=svc.url) as client:
        key = svc.key("RCMP-K", "operator")
        body = [{**crossing(1)[0], "time": "9999-12-31T23:59:59-01:00", "id": "a"},
                {**crossing(1)[0], "time": "0001-01-01T00:00:00+01:00", "id": "b"},
                {**crossing(1)[0], "time": "2025-W06-1T13:00:00Z", "id": "c"},
                crossing(1)[0]]
        r = client.post("/v1/detections", json=body, headers=key)
        assert r.status_code == 200, r.text
        assert r.json()["accepted"] == 1
        assert [(e["index"], e["field"]) for e in r.json()["errors"]] == [
            (0, "time"), (1, "time"), (2, "time")]
        for name in ("since", "until"):
            for value in ("9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00",
                          "2025-W06-1T13:00:00Z"):
                for path in ("/v1/tracks", "/v1/incidents", "/v1/sensors"):
                    r = client.get(path, params={name: value}, headers=key)
                    assert r.status_code == 422, (path, name, value, r.text)
                    [problem] = r.json()["detail"]
                    assert problem["loc"] == ["query", name]


def test_a_body_over_the_limit_is_413_before_it_is_read(tmp_path: Path) -> None:
    limit = 4_096
    service = build_service(ServiceConfig(db=tmp_path / "s.db", max_body_bytes=limit))
    service.start()  # the app's lifespan does this; httpx's ASGI transport runs none
    key, _ = service.keys.create("RCMP-K", Role.OPERATOR)
    pulled = 0
    chunk = b" " * 1_024

    async def body() -> AsyncIterator[bytes]:  # 1 MB, one chunk at a time, counted
        nonlocal pulled
        for _ in range(1_024):
            pulled += len(chunk)
            yield chunk

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(service))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post("/v1/detections", content=body(),
                                     headers={"X-API-Key": key})

    try:
        r = asyncio.run(post())
    finally:
        service.close()
    assert r.status_code == 413
    assert str(limit) in r.json()["detail"]
    assert pulled <= limit + 2 * len(chunk)  # stopped at the limit, not after 1 MB


def test_a_declared_length_over_the_limit_is_413_on_a_real_server(tmp_path: Path) -> None:
    with running_service(tmp_path / "s.db", max_body_bytes=1_000) as svc, \
            httpx.Client(base_url=svc.url) as client:
        key = svc.key("RCMP-K", "operator")
        r = client.post("/v1/detections", content=orjson.dumps(crossing(20)), headers=key)
        assert r.status_code == 413 and "1000 bytes" in r.json()["detail"]
        assert svc.service.log.count() == 0
        r = client.post("/v1/detections", json=crossing(2), headers=key)  # under: taken
        assert r.status_code == 200 and r.json()["accepted"] == 2
