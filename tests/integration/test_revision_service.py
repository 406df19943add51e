"""An incident revised when its head count firms up, through the service (issue 18): the
map and the alert show the latest count, and a restart (the stored detections replayed
into the tracker) gives the very same incidents, revisions and alerts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from tests.conftest import T0, geo
from tests.service_helpers import final_state, post_all, running_service

from borderwatch.domain.time import format_time


def _group() -> list[dict[str, Any]]:
    """A group walking south across the line, one report a second from 200 m north to
    200 m south, counted 2 until 30 m past the line (the crossing is raised by then)
    and 5 after."""
    items = []
    for t in range(400):
        lat, lon = geo(0.0, 200.0 - t)
        items.append({
            "time": format_time(datetime.fromtimestamp(T0 + t, UTC)), "sensor_id": "cam-1",
            "lat": lat, "lon": lon, "sigma_m": 5.0, "kind": "person",
            "count": 2 if t < 230 else 5, "id": f"cam-{t}", "simulated": True,
        })
    return items


def test_a_revised_count_reaches_the_map_and_the_alert_and_survives_a_restart(
        tmp_path: Path) -> None:
    db = tmp_path / "service.db"
    with running_service(db) as svc, httpx.Client(base_url=svc.url, timeout=30) as client:
        key = svc.key("RCMP-K", "operator")
        post_all(client, _group(), key)
        svc.wait_idle()
        before = final_state(svc)
        features = client.get("/v1/incidents", headers=key).json()["features"]
    crossings = [f["properties"] for f in features if f["properties"]["type"] == "crossing"]
    assert len(crossings) == 1  # revised in place, not raised twice
    crossing = crossings[0]
    assert crossing["group_size"] == 5 and crossing.get("revision", 0) >= 1
    alerts = [a for a in before["alerts"] if a["incident_id"] == crossing["incident_id"]]
    assert alerts and all(a["payload"]["group_size"] == 5 for a in alerts)
    assert len({a["alert_id"] for a in before["alerts"]}) == len(before["alerts"])
    with running_service(db) as svc:
        svc.wait_idle()
        after = final_state(svc)
    assert after == before
