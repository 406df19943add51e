"""Who sees what: partner and viewer keys never receive personal data from any endpoint,
the live feed or an error body; only a screening officer of the owning agency reads a
case, and each such read is logged."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from tests.service_helpers import coutts_wire, post_all, running_service

from borderwatch.alerts import PERSONAL_FIELDS
from borderwatch.domain import Case, Interception, Person, Relation

NAME, OTHER_NAME = "Qzxvbn Wyrtlop", "Plokij Uhygtf"
CASE_ID = "AB-2025-0203-901"


def _case() -> Case:
    interception = Interception("ICP-T-1", "INC-20250203-0002",
                                datetime(2025, 2, 3, 13, 27, tzinfo=UTC),
                                49.004, -111.9, "RCMP-K-IBET", 2, True)
    people = (Person("p1", 34, ("VE",), name=NAME), Person("p2", 9, ("VE",), name=OTHER_NAME))
    return Case(CASE_ID, interception, people, (Relation("p1", "mother", "p2"),), (),
                "between_ports", "2025-02-03", "US", True)


def _personal(body: str) -> list[str]:
    found = [v for v in (NAME, OTHER_NAME, '"relations"', '"nationalities"') if v in body]
    return found + [f for f in PERSONAL_FIELDS if f'"{f}":' in body]


@pytest.mark.parametrize("tracker_process", [False, True], ids=["thread", "process"])
def test_partner_and_viewer_never_receive_personal_data(tmp_path: Path,
                                                        tracker_process: bool) -> None:
    with running_service(tmp_path / "s.db", tracker_process=tracker_process) as svc:
        svc.service.cases.open_case(_case())
        operator = svc.key("RCMP-K", "operator")
        keys = {"partner": svc.key("USBP-HVM", "partner"), "viewer": svc.key("RCMP-K", "viewer")}
        streams: dict[str, list[str]] = {name: [] for name in keys}
        connected = threading.Barrier(len(keys) + 1)

        def listen(name: str) -> None:
            url = svc.url + "/v1/stream"
            try:
                with httpx.stream("GET", url, headers=keys[name], timeout=None) as r:
                    connected.wait()
                    for line in r.iter_lines():
                        streams[name].append(line)
            except httpx.RemoteProtocolError:
                pass  # the server stopped (and cut the stream) at the end of the test

        for name in keys:
            threading.Thread(target=listen, args=(name,), daemon=True).start()
        connected.wait(timeout=10)
        with httpx.Client(base_url=svc.url, timeout=30) as client:
            post_all(client, coutts_wire(), operator)
            svc.wait_idle()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not all(
                any("incident" in line for line in lines) for lines in streams.values()):
                time.sleep(0.05)
            for name, key in keys.items():
                for path in ("/v1/tracks", "/v1/incidents", "/v1/sensors", "/v1/alerts",
                             "/v1/stats/monthly", "/v1/whoami", "/v1/map",
                             f"/v1/cases/{CASE_ID}", "/v1/cases", "/v1/cases/nope",
                             f"/v1/cases/{CASE_ID}/screening",
                             f"/v1/alerts/{CASE_ID}/ack", "/v1/incidents?bbox=x"):
                    method = "POST" if path.endswith("/ack") else "GET"
                    r = client.request(method, path, headers=key)
                    assert _personal(r.text) == [], (name, path, r.text[:300])
                    if "cases" in path:
                        assert r.status_code == 403, (name, path)
                bad = client.post("/v1/detections", json=[{"name": NAME}], headers=key)
                assert bad.status_code == 403 and NAME not in bad.text
            partner_incidents = client.get("/v1/incidents", headers=keys["partner"]).json()
            shared = {k for f in partner_incidents["features"] for k in f["properties"]}
            assert shared <= {"type", "time", "lat", "lon", "direction", "group_size",
                              "group_size_range", "simulated"}
            assert partner_incidents["features"], "the partner is told of the crossing"
        for name, lines in streams.items():
            text = "\n".join(lines)
            assert "incident" in text and "event: tracks" in text, name
            assert _personal(text) == [], (name, _personal(text))
            if name == "partner":
                assert '"severity"' not in text and '"risk"' not in text


def test_only_the_owning_agencys_screening_officer_reads_a_case(tmp_path: Path) -> None:
    with running_service(tmp_path / "s.db") as svc, httpx.Client(base_url=svc.url) as client:
        svc.service.cases.open_case(_case())
        mine = svc.key("RCMP-K", "screening_officer")
        theirs = svc.key("RCMP-D", "screening_officer")
        admin = svc.key("RCMP-K", "admin")
        r = client.get(f"/v1/cases/{CASE_ID}", headers=mine)
        assert r.status_code == 200 and NAME in r.text
        assert client.get("/v1/cases", headers=mine).json() == {"cases": [CASE_ID]}
        # Another agency's officer is told what a missing case would tell (no existence
        # leak); the admin's role may not read cases at all (403 whatever the case).
        denied = client.get(f"/v1/cases/{CASE_ID}", headers=theirs)
        missing = client.get("/v1/cases/AB-2025-0000-000", headers=theirs)
        assert (denied.status_code, denied.json()) == (missing.status_code, missing.json())
        assert denied.status_code == 404 and _personal(denied.text) == []
        assert client.get(f"/v1/cases/{CASE_ID}", headers=admin).status_code == 403
        entries = svc.service.alerts.disclosures.entries()
        reads = [e for e in entries if e.get("kind") == "case_read"]
        assert len(reads) == 1 and reads[0]["agency"] == "RCMP-K"
        assert reads[0]["case_id"] == CASE_ID
        screened = client.get(f"/v1/cases/{CASE_ID}/screening", headers=mine)
        assert screened.status_code == 200, screened.text
        result = screened.json()
        assert result["case_id"] == CASE_ID and len(result["people"]) == 2
        assert all(p["outcome"] and p["citations"] for p in result["people"]), result
        for other, status in ((theirs, 404), (admin, 403)):
            denied = client.get(f"/v1/cases/{CASE_ID}/screening", headers=other)
            assert denied.status_code == status and _personal(denied.text) == []
        logged = [e for e in svc.service.alerts.disclosures.entries()
                  if e.get("kind") == "screening_read"]
        assert len(logged) == 1 and logged[0]["key_id"]


def test_a_live_track_update_holds_no_personal_field() -> None:
    # The operators' live feed sends track features as the worker made them (no scrub
    # per event), so the fields a track state can hold are checked here, once.
    import numpy as np
    from tests.conftest import detection

    from borderwatch.app.runtime.live import TRACK_FIELDS, track_features
    from borderwatch.geo import Boundary
    from borderwatch.pipeline import build_pipeline
    from borderwatch.tracking import TrackBatch

    assert not set(TRACK_FIELDS) & PERSONAL_FIELDS
    boundary = Boundary.bundled()
    batches: list[TrackBatch] = []
    pipeline = build_pipeline(boundary, route=False, track_listeners=[batches.append])
    pipeline.feed_all([detection(t, 5.0, -300 + t, count=3) for t in range(30)])
    features = [f for b in batches for f in track_features(boundary, b)]
    assert features and all(tuple(f["properties"]) == TRACK_FIELDS for f in features)
    assert np.isfinite([f["geometry"]["coordinates"] for f in features]).all()
