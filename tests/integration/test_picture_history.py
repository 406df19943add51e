"""The dashboard's timeline over HTTP: ``GET /v1/picture?at=`` shows the tracks where they
were, also after a restart (the history is rebuilt from the stored detections); and the
replay's controls (``/v1/replay/...``), for the roles that may feed detections."""

from __future__ import annotations

from pathlib import Path

import httpx
from tests.service_helpers import lagging_walk, post_all, running_service

from borderwatch.app.runtime.replay import Replay


def test_the_picture_at_a_past_moment_from_the_store(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with running_service(db) as svc:
        key = svc.key("RCMP-K", "operator")
        with httpx.Client(base_url=svc.url, timeout=10) as client:
            assert client.get("/v1/picture/span", headers=key).json() == {"span": None}
            post_all(client, lagging_walk(), key)
        svc.wait_idle()
        live = svc.service.live.snapshot_tracks()
    assert len(live) == 1
    with running_service(db) as svc:  # restarted: rebuilt from the stored detections
        svc.wait_idle()
        key = svc.key("RCMP-K", "operator")
        with httpx.Client(base_url=svc.url, headers=key, timeout=10) as client:
            span = client.get("/v1/picture/span").json()["span"]
            assert span["start"].startswith("2025-02-03T06:00:")
            assert span["start"] < span["end"] <= "2025-02-03T06:00:59Z"
            early = client.get("/v1/picture", params={"at": "2025-02-03T06:00:20Z"}).json()
            late = client.get("/v1/picture", params={"at": span["end"]}).json()
            before = client.get("/v1/picture", params={"at": "2025-02-03T05:59:00Z"}).json()
            bad = client.get("/v1/picture", params={"at": "yesterday"})
            partner = client.get("/v1/picture", params={"at": span["end"]},
                                 headers=svc.key("USBP-HVM", "partner"))
    assert bad.status_code == 422
    assert before["tracks"]["features"] == [] and before["incidents"]["features"] == []
    (then,), (now,) = early["tracks"]["features"], late["tracks"]["features"]
    assert then["id"] == now["id"] == live[0]["track_id"]
    assert then["properties"]["time"] <= "2025-02-03T06:00:20Z"
    # The walker goes north: earlier, further south, with the trail up to then.
    assert then["geometry"]["coordinates"][1] < now["geometry"]["coordinates"][1] - 1e-4
    trail = then["properties"]["trail"]["coordinates"]
    assert trail[-1] == then["geometry"]["coordinates"]
    assert now["geometry"]["coordinates"] == [live[0]["lon"], live[0]["lat"]]
    assert late["simulated"] is True
    assert partner.status_code == 200  # a partner's view: released as /v1/tracks does
    assert all("id" not in f for f in partner.json()["tracks"]["features"])


def test_an_operator_pauses_resumes_and_speeds_up_the_replay(tmp_path: Path) -> None:
    with running_service(tmp_path / "s.db") as svc:
        player = Replay(svc.service, "coutts", 20)  # not started: the controls alone
        operator, viewer = svc.key("RCMP-K", "operator"), svc.key("RCMP-K", "viewer")
        with httpx.Client(base_url=svc.url, timeout=10) as client:
            assert client.get("/v1/replay", headers=viewer).status_code == 404
            svc.service.extras["replay"] = player
            assert client.get("/v1/replay", headers=viewer).json()["state"] == "waiting"
            assert client.post("/v1/replay/pause", headers=viewer).status_code == 403
            assert client.post("/v1/replay/pause", headers=operator).json()["paused"] is True
            clock = player.exercise_epoch()
            assert player.exercise_epoch() == clock  # paused: the exercise's clock stops
            r = client.post("/v1/replay/speed", params={"x": 150}, headers=operator)
            assert r.status_code == 200 and r.json()["speed"] == 150
            assert client.post("/v1/replay/speed", params={"x": 0},
                               headers=operator).status_code == 422
            r = client.post("/v1/replay/resume", headers=operator)
            assert r.json()["paused"] is False
            assert player.exercise_epoch() > clock
            player.state = "done"
            r = client.post("/v1/replay/pause", headers=operator)
            assert r.status_code == 409 and "finished" in r.json()["detail"]
