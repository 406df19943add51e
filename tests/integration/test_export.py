"""Export of tracks and incidents as GeoJSON and KML (app/http/export.py), through the
running service: the same role-filtered views as the picture, simulated data marked, and
KML coordinates in KML's lon,lat order (read back with defusedxml)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from defusedxml import ElementTree
from tests.service_helpers import Running, running_service

KML = "{http://www.opengis.net/kml/2.2}"
T0 = datetime(2025, 2, 3, 13, 10, tzinfo=UTC)
LON = -112.01


def walk_north() -> list[dict[str, Any]]:
    """A group of nine walking north across the line 4 km west of the port, one camera."""
    return [{"time": (T0 + timedelta(seconds=5 * i)).isoformat(), "sensor_id": "cam-1",
             "lat": 48.996 + 0.00005 * i, "lon": LON, "sigma_m": 5.0, "kind": "person",
             "count": 9, "id": f"d-{i}", "simulated": True} for i in range(150)]


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    db = tmp_path_factory.mktemp("export") / "service.db"
    with running_service(db, tracker_process=False) as running:
        operator = running.key("RCMP-K", "operator")
        # Only the first 120 reports: the group is still walking, so its track is live.
        r = httpx.post(running.url + "/v1/detections", json=walk_north()[:120],
                       headers=operator, timeout=30)
        assert r.status_code == 200 and r.json()["accepted"] == 120
        running.wait_idle()
        yield running


def coordinates(element: Any) -> list[tuple[float, float]]:
    return [(float(a), float(b)) for a, b in
            (pair.split(",") for pair in element.findtext(f"{KML}coordinates").split())]


def test_incidents_as_geojson_are_the_pictures_incidents(night: Running) -> None:
    key = night.key("RCMP-K", "operator")
    with httpx.Client(base_url=night.url, headers=key) as client:
        exported = client.get("/v1/export/incidents.geojson")
        picture = client.get("/v1/incidents").json()
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "application/geo+json"
    assert "attachment" in exported.headers["content-disposition"]
    body = exported.json()
    assert body["type"] == "FeatureCollection" and body["simulated"] is True
    assert [f["properties"]["type"] for f in body["features"]] == \
        [f["properties"]["type"] for f in picture["features"]]
    crossing = next(f for f in body["features"] if f["properties"]["type"] == "crossing")
    lon, lat = crossing["geometry"]["coordinates"]  # GeoJSON: [lon, lat]
    assert lon == pytest.approx(LON, abs=0.001) and lat == pytest.approx(49.0, abs=0.001)


def test_kml_is_read_back_with_lon_lat_coordinates_and_marked_simulated(night: Running) -> None:
    key = night.key("RCMP-K", "operator")
    with httpx.Client(base_url=night.url, headers=key) as client:
        incidents = client.get("/v1/export/incidents.kml")
        tracks = client.get("/v1/export/tracks.kml")
    assert incidents.headers["content-type"] == "application/vnd.google-earth.kml+xml"
    root = ElementTree.fromstring(incidents.content)
    document = root.find(f"{KML}Document")
    assert "SIMULATED" in document.findtext(f"{KML}name")
    placemarks = document.findall(f"{KML}Placemark")
    crossing = next(p for p in placemarks if "crossing" in p.findtext(f"{KML}name"))
    assert crossing.findtext(f"{KML}name").startswith(
        "[SIMULATED] crossing northbound · person ×9")
    [(lon, lat)] = coordinates(crossing.find(f"{KML}Point"))
    assert lon == pytest.approx(LON, abs=0.001) and lat == pytest.approx(49.0, abs=0.001)
    assert crossing.findtext(f"{KML}TimeStamp/{KML}when").startswith("2025-02-03T13:")
    data = {d.get("name"): d.findtext(f"{KML}value")
            for d in crossing.iter(f"{KML}Data")}
    assert data["simulated"] == "true" and data["direction"] == "northbound"

    track = ElementTree.fromstring(tracks.content).find(f"{KML}Document/{KML}Placemark")
    trail = coordinates(track.find(f"{KML}LineString"))
    assert len(trail) >= 2
    assert all(lon == pytest.approx(LON, abs=0.002) and 48.99 < lat < 49.01
               for lon, lat in trail), trail
    assert trail[-1][1] > trail[0][1]  # oldest first: the group walked north


def test_a_partner_gets_what_the_sharing_policy_releases_and_no_more(night: Running) -> None:
    partner = night.key("USBP-HVM", "partner")
    with httpx.Client(base_url=night.url, headers=partner) as client:
        exported = client.get("/v1/export/incidents.geojson").json()
        picture = client.get("/v1/incidents").json()
        tracks = client.get("/v1/export/tracks.geojson").json()
        kml = client.get("/v1/export/incidents.kml")
    assert exported["features"], "the partner of the crossing's side sees it"
    assert [sorted(f["properties"]) for f in exported["features"]] == \
        [sorted(f["properties"]) for f in picture["features"]]
    for feature in exported["features"] + tracks["features"]:
        assert "track_id" not in feature["properties"] and "id" not in feature
        assert "trail" not in feature["properties"]
    assert kml.status_code == 200
    assert httpx.get(night.url + "/v1/export/incidents.kml").status_code == 401
    assert httpx.get(night.url + "/v1/export/people.kml",
                     headers=partner).status_code == 422


def test_kml_document_leaves_out_what_has_no_position(tmp_path: Path) -> None:
    from borderwatch.app.http.export import kml_document

    doc = kml_document([{"type": "Feature", "geometry": None,
                         "properties": {"incident_id": "I-1", "simulated": False}}], "x")
    root = ElementTree.fromstring(doc)
    assert root.find(f"{KML}Document/{KML}Placemark") is None
    assert root.findtext(f"{KML}Document/{KML}name") == "x"
