"""A sensor's own head-count range through the service (issue 18): posted in the wire
format, stored, tracked, shown on the incident and the map, and kept through a restart
(the stored detections are replayed into the tracker)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from tests.conftest import T0, geo
from tests.service_helpers import post_all, running_service

from borderwatch.domain.time import format_time


def _group(count_low: int, count_high: int) -> list[dict[str, Any]]:
    """Five people (4 to 7 by the camera) walking south across the line, one report a
    second from 200 m north to 200 m south."""
    items = []
    for t in range(400):
        lat, lon = geo(0.0, 200.0 - t)
        items.append({
            "time": format_time(datetime.fromtimestamp(T0 + t, UTC)), "sensor_id": "thermal-1",
            "lat": lat, "lon": lon, "sigma_m": 5.0, "kind": "person", "count": 5,
            "count_low": count_low, "count_high": count_high, "id": f"th-{t}",
            "simulated": True,
        })
    return items


def _ranges(client: httpx.Client, path: str, key: dict[str, str]) -> list[Any]:
    features = client.get(path, headers=key).json()["features"]
    return [(f["properties"]["group_size"], f["properties"]["group_size_range"])
            for f in features]


def test_a_posted_count_range_reaches_the_incident_and_the_map_and_survives_a_restart(
        tmp_path: Path) -> None:
    db = tmp_path / "service.db"
    with running_service(db) as svc, httpx.Client(base_url=svc.url, timeout=30) as client:
        key = svc.key("RCMP-K", "operator")
        post_all(client, _group(4, 7), key)
        svc.wait_idle()
        assert _ranges(client, "/v1/incidents", key) == [(5, [4, 7])] * 2  # approach, crossing
        assert _ranges(client, "/v1/tracks", key) == [(5, [4, 7])]
    with running_service(db) as svc, httpx.Client(base_url=svc.url, timeout=30) as client:
        svc.wait_idle()
        assert _ranges(client, "/v1/tracks", svc.key("RCMP-K", "operator")) == [(5, [4, 7])]
