"""The service's detection log: what a 2xx stored, with duplicates recognised in one batch,
across batches and across a restart, and the picture rebuilt from it after a restart."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import orjson
from tests.service_helpers import (
    coutts_wire,
    final_state,
    lagging_walk,
    post_all,
    running_service,
)

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


def test_replay_runs_puts_the_release_points_where_they_were(tmp_path: Path) -> None:
    log = DetectionLog(tmp_path / "s.db")
    log.append([(f"a{i}", {"n": i}) for i in range(5)])
    log.mark_release(log.last())
    log.mark_release(log.last())  # the same point once
    log.append([(f"b{i}", {"n": 5 + i}) for i in range(3)])
    at = log.last()
    log.mark_release(at)
    log.append([("c0", {"n": 8})])

    def runs(**kw: Any) -> list[Any]:
        return ["release" if r.release else [d["n"] for d in r.detections]
                for r in log.replay_runs(**kw)]

    assert runs(chunk=2) == [[0, 1], [2, 3], [4], "release", [5, 6], [7], "release", [8]]
    assert runs(upto=at) == [[0, 1, 2, 3, 4], "release", [5, 6, 7], "release"]
    assert runs(upto=3) == [[0, 1, 2]]
    assert log.last_release() == at
    assert [d["n"] for c in log.replay() for d in c] == list(range(9))  # detections only
    assert log.count() == 9
    log.close()


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
    # Strict: the final tracks (ids, positions, head counts, states, trails), incidents
    # and alerts after a restart are those of the run without it (docs/deployment.md,
    # "Deterministic replay"), not only the incidents.
    db = tmp_path / "s.db"
    with running_service(db) as svc:
        key = svc.key("RCMP-K", "operator")
        with httpx.Client(base_url=svc.url, timeout=30) as client:
            post_all(client, coutts_wire(), key)
        svc.wait_idle()
        before = final_state(svc)
    assert ("crossing", "northbound") in {(i["type"], i["direction"])
                                          for i in before["incidents"]}
    assert before["tracks"] and before["alerts"]
    with running_service(db) as svc:
        svc.wait_idle()
        after = final_state(svc)
        key = svc.key("RCMP-K", "viewer")
        with httpx.Client(base_url=svc.url) as client:
            crossings = [f for f in client.get("/v1/incidents", headers=key).json()["features"]
                         if f["properties"]["type"] == "crossing"]
    assert after == before
    assert len(crossings) == 1 and crossings[0]["properties"]["group_size"] == 9


def test_a_restart_after_a_quiet_spell_cuts_the_stream_where_it_was_cut(
        tmp_path: Path) -> None:
    # Ingest goes quiet before cam-a's report of second 40: the live tracker releases its
    # buffers there (up to second 39), so cam-b's report of second 38, arriving after,
    # is late, and its report of second 39 a scan of its own. The restart must cut the
    # replayed stream at the same place, or the walker's last positions differ: the
    # release point is in the log (runtime/release.py), not in the wall clock.
    walk = lagging_walk()
    cut = next(i for i, r in enumerate(walk) if r["time"].endswith(":40Z"))
    db = tmp_path / "s.db"
    with running_service(db) as svc:
        key = svc.key("RCMP-K", "operator")
        with httpx.Client(base_url=svc.url, timeout=30) as client:
            post_all(client, walk[:cut], key)
            svc.wait_idle()  # quiet: released
            post_all(client, walk[cut:], key)
        svc.wait_idle()
        before = {**final_state(svc), "late": svc.service.live.late}
    assert len(before["tracks"]) == 1 and before["late"] == 1
    with running_service(db) as svc:
        svc.wait_idle()
        after = {**final_state(svc), "late": svc.service.live.late}
    assert after == before


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
