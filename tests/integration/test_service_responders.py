"""Responders through the service over real HTTP on 127.0.0.1: the units with age and
availability, the intercept for a crossing, the assignment (times stored, the unit
marked, the CoT waypoint queued for TAK), arrival and interception times, and the
``responder`` event on the live feed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from tests.alert_helpers import assert_valid_cot, requires_shared
from tests.service_helpers import Running, running_service

from borderwatch.app.runtime.config import Delivery
from borderwatch.domain.position import Position
from borderwatch.domain.responder import ResponderPosition
from borderwatch.respond import DeclaredUnit

T0 = datetime(2025, 2, 3, 13, 10, tzinfo=UTC)
IBET = DeclaredUnit(unit_id="RCMP-K-IBET-1", callsign="IBET 1", agency="RCMP",
                    home=Position(49.003, -111.955), road_speed_ms=22.0, offroad_speed_ms=8.0,
                    simulated=True)
FAR = DeclaredUnit(unit_id="RCMP-K-MILK-RIVER", callsign="Milk River 2", agency="RCMP",
                   home=Position(49.146, -112.08), road_speed_ms=25.0, offroad_speed_ms=10.0,
                   simulated=True)
TAK = "tcp://127.0.0.1:9"
"""A TAK destination nobody listens on: the task stays in the outbox, where it is read."""


def walk_north() -> list[dict[str, Any]]:
    """A group of nine walking north across the line 4 km west of the port, one camera."""
    return [{"time": (T0 + timedelta(seconds=5 * i)).isoformat(), "sensor_id": "cam-1",
             "lat": 48.996 + 0.00005 * i, "lon": -112.01, "sigma_m": 5.0, "kind": "person",
             "count": 9, "id": f"d-{i}", "simulated": True} for i in range(150)]


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Running, list[Any]]]:
    db = tmp_path_factory.mktemp("resp") / "service.db"
    with running_service(db, tracker_process=False, responders=(IBET, FAR),
                         delivery=Delivery(cot=(TAK,))) as running:
        operator = running.key("RCMP-K", "operator")
        events: list[dict[str, Any]] = []
        ready = threading.Event()

        def listen() -> None:
            try:
                with httpx.stream("GET", running.url + "/v1/stream", headers=operator,
                                  timeout=None) as r:
                    for line in r.iter_lines():
                        if line.startswith("event: "):
                            ready.set()
                        elif line.startswith("data: "):
                            events.append(orjson.loads(line[6:]))
            except httpx.RemoteProtocolError:
                pass  # the server stopped at the end of the module

        threading.Thread(target=listen, daemon=True).start()
        assert ready.wait(10)
        with httpx.Client(base_url=running.url, timeout=30) as client:
            r = client.post("/v1/detections", json=walk_north(), headers=operator)
            assert r.status_code == 200 and r.json()["accepted"] == 150
        running.wait_idle()
        # Operators act at the night's time (as a replay does): the clock is the data's.
        running.service.clock = lambda: T0 + timedelta(seconds=760)
        yield running, events


def crossing(client: httpx.Client, key: dict[str, str]) -> dict[str, Any]:
    features = client.get("/v1/incidents", headers=key).json()["features"]
    found = [f["properties"] for f in features if f["properties"]["type"] == "crossing"]
    assert found, [f["properties"]["type"] for f in features]
    return found[0]


def test_responders_are_listed_with_age_and_availability(svc: tuple[Running, list[Any]]
                                                          ) -> None:
    running, events = svc
    desk = running.service.responders
    assert desk is not None
    desk.report(ResponderPosition(uid="ANDROID-77", callsign="Coutts 3", agency="RCMP",
                                  position=Position(49.1, -111.8),
                                  time=T0 + timedelta(seconds=700), source="test"))
    with httpx.Client(base_url=running.url) as client:
        viewer = running.key("RCMP-K", "viewer")
        units = {u["unit_id"]: u for u in client.get("/v1/responders", headers=viewer
                                                      ).json()["responders"]}
        assert units["RCMP-K-IBET-1"]["position_source"] == "home"
        assert units["ANDROID-77"]["age_s"] == 60.0
        assert units["ANDROID-77"]["speed_assumed"] is True
        assert {u["availability"] for u in units.values()} == {"available"}
        # Another agency sees none of the RCMP's units.
        usbp = running.key("USBP-HVM", "viewer")
        assert client.get("/v1/responders", headers=usbp).json()["responders"] == []
    deadline = datetime.now(UTC) + timedelta(seconds=10)
    while datetime.now(UTC) < deadline and not any(
            e.get("type") == "responder" for e in events):
        threading.Event().wait(0.05)
    seen = [e for e in events if e.get("type") == "responder"]
    assert seen and seen[0]["responder"]["callsign"] == "Coutts 3"


def test_intercept_assign_and_times(svc: tuple[Running, list[Any]]) -> None:
    running, _ = svc
    with httpx.Client(base_url=running.url) as client:
        operator = running.key("RCMP-K", "operator")
        incident = crossing(client, operator)
        url = f"/v1/incidents/{incident['incident_id']}"
        plan = client.get(url + "/intercept", headers=operator).json()
        assert plan["best"] == "RCMP-K-IBET-1", plan
        ids = [p["unit_id"] for p in plan["proposals"]]
        assert "RCMP-K-IBET-1" in ids and "RCMP-K-MILK-RIVER" in ids
        travel = [p["travel_s"] for p in plan["proposals"]]
        assert travel == sorted(travel)
        assert plan["simulated"] is True and plan["assumptions"]
        # A viewer reads it but may not assign.
        viewer = running.key("RCMP-K", "viewer")
        assert client.get(url + "/intercept", headers=viewer).status_code == 200
        assert client.post(url + "/assign", json={}, headers=viewer).status_code == 403
        assert client.post(url + "/assign", json={"unit_id": "nobody"},
                           headers=operator).status_code == 409
        answer = client.post(url + "/assign", json={}, headers=operator)
        assert answer.status_code == 200, answer.text
        assigned = answer.json()
        assert assigned["proposal"]["unit_id"] == "RCMP-K-IBET-1"
        assert assigned["times"]["assignment"] == "2025-02-03T13:22:40.000Z"
        assert assigned["times"]["detection"] is not None
        assert assigned["task"]["sent_to"] == [TAK]
        units = {u["unit_id"]: u for u in client.get("/v1/responders", headers=operator
                                                      ).json()["responders"]}
        assert units["RCMP-K-IBET-1"]["availability"] == "assigned"
        assert units["RCMP-K-IBET-1"]["assigned_to"] == incident["incident_id"]
        # The next proposal does not offer the assigned unit.
        again = client.get(url + "/intercept", headers=operator).json()
        assert again["best"] != "RCMP-K-IBET-1"
        # Arrival and interception; out of order is refused.
        arrive = client.post(url + "/times", json={"milestone": "arrival",
                                                   "time": "2025-02-03T13:30:00Z"},
                             headers=operator)
        assert arrive.status_code == 200, arrive.text
        early = client.post(url + "/times", json={"milestone": "interception",
                                                  "time": "2025-02-03T13:20:00Z"},
                            headers=operator)
        assert early.status_code == 409
        assert client.post(url + "/times", json={"milestone": "detection"},
                           headers=operator).status_code == 422
        done = client.post(url + "/times", json={"milestone": "interception",
                                                 "time": "2025-02-03T13:31:00Z"},
                           headers=operator).json()
        assert done["intervals_s"]["arrival_to_interception"] == 60.0
        times = client.get(url + "/times", headers=viewer).json()
        assert times["interception"] == "2025-02-03T13:31:00.000Z"
    # Stored in the service's database.
    stored = running.service.responders.store.get(incident["incident_id"])  # type: ignore[union-attr]
    assert stored is not None and stored.unit_id == "RCMP-K-IBET-1"


@requires_shared
def test_the_task_is_a_valid_cot_waypoint_in_the_outbox(svc: tuple[Running, list[Any]]
                                                         ) -> None:
    running, _ = svc
    tasks = [m.message for m in running.service.alerts.outbox.all()
             if m.message.alert_id.startswith("task:")]
    assert tasks and tasks[0].destination == TAK and tasks[0].channel == "cot"
    body = tasks[0].body
    assert_valid_cot(body)
    assert b'type="b-m-p-w"' in body and b'opex="s"' in body and b"RCMP-K-IBET-1" in body


def test_an_unknown_incident_is_404(svc: tuple[Running, list[Any]], tmp_path: Path) -> None:
    running, _ = svc
    with httpx.Client(base_url=running.url) as client:
        key = running.key("RCMP-K", "operator")
        assert client.get("/v1/incidents/INC-nope/intercept", headers=key).status_code == 404


def test_with_the_deployments_roads_a_far_unit_is_routed_by_road(tmp_path: Path) -> None:
    """`serve --roads`: the unit 17 km away drives the road south and walks the rest; the
    answer says by road, with its route and the file it came from."""
    roads = tmp_path / "roads.geojson"
    roads.write_bytes(orjson.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "test road", "speed_kmh": 90},
         "geometry": {"type": "LineString",
                      "coordinates": [[-112.08, 49.146], [-112.02, 49.02],
                                      [-112.01, 49.003]]}}]}))
    with running_service(tmp_path / "service.db", tracker_process=False,
                         responders=(FAR,), roads=roads) as running, \
            httpx.Client(base_url=running.url, timeout=30) as client:
        operator = running.key("RCMP-K", "operator")
        assert client.post("/v1/detections", json=walk_north(),
                           headers=operator).json()["accepted"] == 150
        running.wait_idle()
        running.service.clock = lambda: T0 + timedelta(seconds=760)
        incident = crossing(client, operator)
        plan = client.get(f"/v1/incidents/{incident['incident_id']}/intercept",
                          headers=operator).json()
        (far,) = plan["proposals"]
        assert far["route"] == "road" and far["road_m"] > 10_000, far
        assert far["route_path"][0] == [-112.08, 49.146]  # from the unit's home
        assert far["travel_s"] < far["distance_m"] / 10.0  # sooner than off road all the way
        assert str(roads) in plan["assumptions"][0]


def test_the_field_teams_report_opens_the_case_and_closes_the_alerts(tmp_path: Path) -> None:
    with running_service(tmp_path / "service.db", tracker_process=False,
                         responders=(IBET,)) as running, \
            httpx.Client(base_url=running.url, timeout=30) as client:
        operator = running.key("RCMP-K", "operator")
        assert client.post("/v1/detections", json=walk_north(),
                           headers=operator).json()["accepted"] == 150
        running.wait_idle()
        running.service.clock = lambda: T0 + timedelta(seconds=900)
        incident = crossing(client, operator)
        url = f"/v1/incidents/{incident['incident_id']}/interception"
        body = {"time": (T0 + timedelta(seconds=880)).isoformat(), "lat": 49.004,
                "lon": -112.01, "unit_id": "RCMP-K-IBET", "belongings": "backpacks",
                "people": [{"apparent_age": 35}, {"apparent_age": 8,
                                                  "conditions": ["hypothermia"]}]}
        refused = client.post(url, json={**body, "people": [{"name": "Ana"}]}, headers=operator)
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"] == ["body", "people[0].name"]
        viewer = running.key("RCMP-K", "viewer")
        assert client.post(url, json=body, headers=viewer).status_code == 403
        partner = running.key("USBP", "operator")
        assert client.post(url, json=body, headers=partner).status_code == 404
        answer = client.post(url, json=body, headers=operator)
        assert answer.status_code == 201, answer.text
        made = answer.json()
        case = running.service.cases.get_case(made["case_id"])
        assert [p.age for p in case.people] == [35, 8] and case.simulated
        assert case.interception.incident_id == incident["incident_id"]
        assert made["report"]["children"] == 1
        assert made["report"]["conditions"] == {"hypothermia": 1}
        assert made["times"]["interception"] == "2025-02-03T13:24:40.000Z"
        alerts = client.get("/v1/alerts", headers=operator).json()["alerts"]
        mine = [a for a in alerts if a["incident_id"] == incident["incident_id"]
                and a["unit"]["agency"] == "RCMP"]
        assert mine and all(a["status"] == "resolved" for a in mine)
        assert set(made["alerts_resolved"]) == {a["alert_id"] for a in mine}
        # The partner agency's own alert is the partner's to close.
        theirs = [a for a in running.service.live.alert_states()
                  if a["incident_id"] == incident["incident_id"]
                  and a["unit"]["agency"] != "RCMP"]
        assert theirs and all(a["status"] != "resolved" for a in theirs)
