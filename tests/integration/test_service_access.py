"""Sharing by agency and the limits of authentication, over real HTTP on 127.0.0.1: a key
of another agency gets what the sharing policy releases to its agency (geometry included)
whatever its role; 404 does not tell another agency's case from a missing one; wrong keys
and busy keys are limited (429 with Retry-After); /metrics needs a key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.service_helpers import Running, coutts_wire, post_all, running_service

from borderwatch.domain.limits import AccessLimits, Rate

SHARED = {"type", "time", "lat", "lon", "direction", "group_size", "group_size_range",
          "simulated"}


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running_service(tmp_path_factory.mktemp("svc") / "service.db") as svc:
        with httpx.Client(base_url=svc.url, timeout=30) as client:
            post_all(client, coutts_wire(), svc.key("RCMP-K", "operator"))
        svc.wait_idle()
        yield svc


def test_another_agencys_viewer_and_operator_get_only_the_shared_fields(night: Running) -> None:
    with httpx.Client(base_url=night.url, timeout=30) as client:
        mine = client.get("/v1/incidents", headers=night.key("RCMP-K", "viewer")).json()
        assert mine["features"] and all("severity" in f["properties"] for f in mine["features"])
        for role in ("viewer", "operator", "admin"):
            usbp = night.key("USBP-HVM", role)
            seen = client.get("/v1/incidents", headers=usbp).json()["features"]
            assert len(seen) == len(mine["features"]), role
            for feature in seen:  # the Coutts crossing is northbound: RCMP's
                assert set(feature["properties"]) == SHARED and "id" not in feature, role
                assert feature["geometry"]["coordinates"] == [feature["properties"]["lon"],
                                                              feature["properties"]["lat"]]
            tracks = client.get("/v1/tracks", headers=usbp).json()["features"]
            assert all("id" not in f and set(f["properties"]) <= SHARED for f in tracks)
            assert client.get("/v1/sensors", headers=usbp).json()["features"] == [], role
            alerts = client.get("/v1/alerts", headers=usbp).json()["alerts"]
            assert {a["unit"]["agency"] for a in alerts} <= {"USBP"}, role
            assert all(set(a["payload"]) <= SHARED for a in alerts), role
        assert client.get("/v1/sensors", headers=night.key("RCMP-K", "viewer")).json()[
            "features"]
        # Another agency's operator cannot tell an RCMP alert from a missing one.
        rcmp = client.get("/v1/alerts", headers=night.key("RCMP-K", "operator")).json()
        aid = next(a["alert_id"] for a in rcmp["alerts"] if a["unit"]["agency"] == "RCMP")
        usbp = night.key("USBP-HVM", "operator")
        hidden = client.post(f"/v1/alerts/{aid}/ack", headers=usbp)
        missing = client.post("/v1/alerts/ALR-nope/ack", headers=usbp)
        assert (hidden.status_code, hidden.json()) == (404, missing.json())


def test_a_partner_without_a_sharing_rule_gets_no_position_at_all(night: Running) -> None:
    with httpx.Client(base_url=night.url, timeout=30) as client:
        cbp = night.key("CBP-AMO", "partner")  # sharing.yaml has no rule for CBP
        r = client.get("/v1/incidents", headers=cbp)
        features = r.json()["features"]
        assert features, "the partner is told an incident happened, and nothing else"
        assert all(f["geometry"] is None and f["properties"] == {"simulated": True}
                   for f in features)
        assert all(f["geometry"] is None for f in
                   client.get("/v1/tracks", headers=cbp).json()["features"])
    logged = [e for e in night.service.alerts.disclosures.entries() if e["agency"] == "CBP"]
    assert logged and all(e["fields"] == [] and {"lat", "lon"} <= set(e["withheld"])
                          for e in logged), "the log says what was sent: nothing"


def test_metrics_need_a_key_of_the_deployments_agency(night: Running) -> None:
    with httpx.Client(base_url=night.url) as client:
        assert client.get("/metrics").status_code == 401
        monitor = night.key("RCMP-K", "monitor")["X-API-Key"]
        for headers in ({"X-API-Key": monitor}, {"Authorization": f"Bearer {monitor}"}):
            r = client.get("/metrics", headers=headers)
            assert r.status_code == 200 and "borderwatch_incidents_total" in r.text
            assert r.headers["content-type"].startswith("text/plain")
        assert client.get("/metrics", headers=night.key("RCMP-K", "viewer")).status_code == 403
        assert client.get("/metrics", headers=night.key("USBP-HVM", "admin")).status_code == 403
        # A monitor key reads nothing else.
        assert client.get("/v1/incidents", headers={"X-API-Key": monitor}).status_code == 403


def test_wrong_keys_from_one_address_are_limited(tmp_path: Path) -> None:
    # One failure per hour refills: nothing in this test waits for a token to come back.
    limits = AccessLimits(failed_keys=Rate(per_s=1 / 3600, burst=3))
    with running_service(tmp_path / "s.db", limits=limits) as svc, \
            httpx.Client(base_url=svc.url) as client:
        right = svc.key("RCMP-K", "viewer")
        for _ in range(5):  # a missing key guesses nothing and is not counted
            assert client.get("/v1/whoami").status_code == 401
        wrong = {"X-API-Key": "bw_" + "x" * 43}
        assert [client.get("/v1/whoami", headers=wrong).status_code for _ in range(3)] == [
            401, 401, 401]
        refused = client.get("/v1/whoami", headers=wrong)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        # Blocked is blocked: a right key from the address would otherwise tell a guess
        # that hit from one that missed.
        assert client.get("/v1/whoami", headers=right).status_code == 429
        assert client.get("/metrics", headers=wrong).status_code == 429


def test_each_key_is_held_to_its_rate(tmp_path: Path) -> None:
    limits = AccessLimits(per_key=Rate(per_s=1 / 3600, burst=5))
    with running_service(tmp_path / "s.db", limits=limits) as svc, \
            httpx.Client(base_url=svc.url) as client:
        busy, other = svc.key("RCMP-K", "viewer"), svc.key("RCMP-K", "viewer")
        assert [client.get("/v1/whoami", headers=busy).status_code for _ in range(5)] == [
            200] * 5
        refused = client.get("/v1/whoami", headers=busy)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert client.get("/v1/whoami", headers=other).status_code == 200


def test_the_openapi_document_names_the_new_answers(night: Running) -> None:
    doc = httpx.get(night.url + "/openapi.json").json()
    for path in ("/v1/incidents", "/metrics"):
        answers = doc["paths"][path]["get"]["responses"]
        assert {"401", "403", "429"} <= set(answers), path
        assert "Retry-After" in answers["429"]["headers"]
