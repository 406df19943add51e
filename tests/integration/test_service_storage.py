"""The service's detection log: what a 2xx stored, with duplicates recognised in one batch,
across batches and across a restart, and the picture rebuilt from it after a restart."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import orjson
from tests.service_helpers import coutts_wire, post_all, running_service

from borderwatch.adapters.sqlite.detections import DetectionLog


def test_append_reports_what_was_new_in_order(tmp_path: Path) -> None:
    log = DetectionLog(tmp_path / "s.db")
    first = [(f"d{i}", {"n": i}) for i in range(1200)]  # more than one insert statement
    assert log.append(first) == [True] * 1200
    again = [("d5", b'{"n":5}'), ("new", b'{"n":-1}'), ("new", b'{"n":-2}'), (None, b"{}"),
             (None, b"{}"), ("d1199", b"{}")]
    assert log.append(again) == [False, True, False, True, True, False]
    assert log.count() == 1203
    stored = [obj for chunk in log.replay(chunk=500) for obj in chunk]
    assert [o.get("n") for o in stored[:3]] == [0, 1, 2]
    assert stored[1200] == {"n": -1}
    log.close()
    reopened = DetectionLog(tmp_path / "s.db")
    assert reopened.append([("d0", b"{}"), ("d1200", b"{}")]) == [False, True]
    reopened.close()


def test_unknown_fields_are_not_stored(tmp_path: Path) -> None:
    item = {"time": "2025-02-03T13:00:00Z", "sensor_id": "cam-x", "lat": 49.01, "lon": -111.9,
            "id": "x1", "vendor_note": "kept out"}
    with running_service(tmp_path / "s.db") as svc, httpx.Client(base_url=svc.url) as client:
        r = client.post("/v1/detections", json=[item], headers=svc.key("RCMP-K", "operator"))
        assert r.json()["accepted"] == 1
        stored = [obj for chunk in svc.service.log.replay() for obj in chunk]
    assert stored == [{k: v for k, v in item.items() if k != "vendor_note"}]
    assert b"kept out" not in orjson.dumps(stored)


def test_a_restart_rebuilds_the_picture_from_the_log(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with running_service(db) as svc:
        key = svc.key("RCMP-K", "operator")
        with httpx.Client(base_url=svc.url, timeout=30) as client:
            post_all(client, coutts_wire(), key)
        svc.wait_idle()
        before = sorted((i["type"], i["direction"]) for i in svc.service.live.snapshot_incidents())
    assert ("crossing", "northbound") in before
    with running_service(db) as svc:
        svc.wait_idle()
        after = sorted((i["type"], i["direction"]) for i in svc.service.live.snapshot_incidents())
        key = svc.key("RCMP-K", "viewer")
        with httpx.Client(base_url=svc.url) as client:
            crossings = [f for f in client.get("/v1/incidents", headers=key).json()["features"]
                         if f["properties"]["type"] == "crossing"]
    assert after == before
    assert len(crossings) == 1 and crossings[0]["properties"]["group_size"] == 9


def test_a_revoked_key_is_refused_by_a_running_service(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from borderwatch.adapters.sqlite import keys as storage
    from borderwatch.app.cli.main import app

    monkeypatch.setattr(storage, "KEY_CACHE_S", 0.2)
    db = tmp_path / "s.db"
    with running_service(db) as svc, httpx.Client(base_url=svc.url) as client:
        key = svc.key("RCMP-K", "viewer")
        assert client.get("/v1/tracks", headers=key).status_code == 200
        key_id = next(k for k in svc.service.keys.list() if k["role"] == "viewer")["key_id"]
        runner = CliRunner()
        done = runner.invoke(app, ["keys", "revoke", key_id, "--db", str(db)])
        assert done.exit_code == 0, done.output
        again = runner.invoke(app, ["keys", "revoke", key_id, "--db", str(db)])
        assert again.exit_code != 0 and "no live key" in f"{again.output}{again.exception}"
        listed = runner.invoke(app, ["keys", "list", "--db", str(db)])
        assert f"{key_id}" in listed.output and "revoked" in listed.output
        time.sleep(0.3)
        refused = client.get("/v1/tracks", headers=key)
        assert refused.status_code == 401 and key["X-API-Key"] not in refused.text
