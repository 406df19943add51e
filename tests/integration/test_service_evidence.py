"""Evidence through the service over real HTTP: the frame crops kept near a crossing are
listed for the incident's owners, nearest in time first, and served as PNG; a partner
agency's key gets none; crops far away or long before are not the incident's."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image
from tests.service_helpers import running_service

from borderwatch.adapters.sources.thermal.snapshot import crop_png
from borderwatch.domain.evidence import Snapshot

T0 = datetime(2025, 2, 3, 13, 10, tzinfo=UTC)


def walk_north() -> list[dict[str, Any]]:
    return [{"time": (T0 + timedelta(seconds=5 * i)).isoformat(), "sensor_id": "cam-1",
             "lat": 48.996 + 0.00005 * i, "lon": -112.01, "sigma_m": 5.0, "kind": "person",
             "count": 9, "id": f"d-{i}", "simulated": True} for i in range(150)]


def frame_png(seed: int) -> bytes:
    frame = np.random.default_rng(seed).normal(260.0, 0.3, (120, 160))
    frame[50:70, 60:66] += 12.0  # a warm body
    return crop_png(frame, (60, 50, 66, 70))


def test_an_incidents_evidence_is_listed_and_served_to_its_owners(tmp_path: Path) -> None:
    with running_service(tmp_path / "service.db", tracker_process=False) as run, \
            httpx.Client(base_url=run.url, timeout=30) as client:
        operator = run.key("RCMP-K", "operator")
        wires = walk_north()
        # As a replay keeps its frame sensors' crops: before the detections.
        run.service.keep_evidence([
            Snapshot(w["id"], "cam-1", datetime.fromisoformat(w["time"]), w["lat"], w["lon"],
                     frame_png(n), simulated=True)
            for n, w in enumerate(wires) if n % 10 == 0])
        run.service.keep_evidence([  # same time, 3 km away: another place's
            Snapshot("far-1", "cam-9", T0 + timedelta(seconds=400), 49.03, -112.01,
                     frame_png(99), simulated=True)])
        assert client.post("/v1/detections", json=wires, headers=operator
                           ).json()["accepted"] == 150
        run.wait_idle()
        incidents = client.get("/v1/incidents", headers=operator).json()["features"]
        crossing = next(f["properties"] for f in incidents
                        if f["properties"]["type"] == "crossing")
        answer = client.get(f"/v1/incidents/{crossing['incident_id']}/evidence",
                            headers=operator).json()
        items = answer["evidence"]
        assert 1 <= len(items) <= 6 and answer["simulated"] is True
        assert "far-1" not in [i["detection_id"] for i in items]
        when = datetime.fromisoformat(crossing["time"].replace("Z", "+00:00"))
        gaps = [abs((datetime.fromisoformat(i["time"].replace("Z", "+00:00")) - when)
                    .total_seconds()) for i in items]
        assert gaps == sorted(gaps) and gaps[0] <= 50  # one crop every 50 s
        image = client.get(items[0]["image"], headers=operator)
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        assert image.headers["x-simulated"] == "true"
        assert Image.open(io.BytesIO(image.content)).size[0] > 0
        partner = run.key("USBP", "operator")
        assert client.get(f"/v1/incidents/{crossing['incident_id']}/evidence",
                          headers=partner).status_code == 404
        assert client.get(items[0]["image"], headers=partner).status_code == 404
        assert client.get("/v1/evidence/nothing.png", headers=operator).status_code == 404
