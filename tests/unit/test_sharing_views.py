"""Sharing by agency, not only by role (app/http/views.py, app/http/feed.py): who owns a
record, what every other agency's key receives (geometry included), and that the
disclosure log says exactly what was sent."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from borderwatch.alerts import RecordingDisclosures, SharingGate
from borderwatch.alerts.sharing import SharingPolicy
from borderwatch.app.http.feed import Delivery, message_for
from borderwatch.app.http.layers import sensor_features
from borderwatch.app.http.views import Filters, Viewer
from borderwatch.app.runtime.picture import SensorSeen
from borderwatch.domain.access import Principal, Role
from borderwatch.geo import Boundary, Places

SHARED = {"type", "time", "lat", "lon", "direction", "group_size", "simulated"}
"""What the bundled sharing.yaml releases to USBP and RCMP (plus the simulated mark)."""

INCIDENT: dict[str, Any] = {
    "incident_id": "INC-20250203-0002", "type": "crossing", "direction": "northbound",
    "time": "2025-02-03T13:26:00Z", "lat": 49.0, "lon": -111.96, "segment": "AB-MT",
    "group_size": 4, "track_id": "T-7", "severity": "high", "children": 1,
    "risk": {"level": "high", "reasons": ["extreme_cold"]}, "simulated": True,
}
TRACK: dict[str, Any] = {
    "track_id": "T-7", "time": "2025-02-03T13:25:00Z", "lat": 48.999, "lon": -111.96,
    "kind": "person", "kind_probability": 0.9, "group_size": 4, "speed_ms": 1.2,
    "heading_deg": 2.0, "position_sigma_m": 8.0, "simulated": True,
    "trail": [[-111.96, 48.998], [-111.96, 48.999]],
}


@pytest.fixture(scope="module")
def places() -> tuple[Boundary, Places]:
    return Boundary.bundled(), Places.bundled()


def viewer(places: tuple[Boundary, Places]) -> tuple[Viewer, RecordingDisclosures]:
    log = RecordingDisclosures()
    boundary, units = places
    return Viewer(SharingGate(SharingPolicy.bundled(), log), agency="RCMP",
                  boundary=boundary, places=units), log


def key(agency: str, role: Role) -> Principal:
    return Principal(f"key-{agency}-{role.value}", agency, role)


# -- finding 1: no position in the geometry when the policy withholds it ----------------


def test_an_agency_without_a_rule_gets_no_geometry_and_the_log_says_so(places) -> None:  # type: ignore[no-untyped-def]
    view, log = viewer(places)
    cbp = key("CBP-AMO", Role.PARTNER)  # no rule in sharing.yaml for CBP
    for feature in (view.incident_feature(cbp, INCIDENT), view.track_feature(cbp, TRACK)):
        assert feature["geometry"] is None, feature
        assert feature["properties"] == {"simulated": True}
        assert "id" not in feature
        assert "49.0" not in orjson.dumps(feature).decode(), "no coordinate anywhere"
    assert len(log.entries) == 2
    for entry in log.entries:
        assert entry["fields"] == [] and {"lat", "lon"} <= set(entry["withheld"])


def test_a_released_position_is_the_geometry_and_is_logged_as_sent(places) -> None:  # type: ignore[no-untyped-def]
    view, log = viewer(places)
    partner = key("USBP-HVM", Role.PARTNER)
    feature = view.incident_feature(partner, INCIDENT)
    assert feature["geometry"] == {"type": "Point", "coordinates": [-111.96, 49.0]}
    assert set(feature["properties"]) == SHARED
    assert {"lat", "lon"} <= set(log.entries[-1]["fields"])
    assert set(log.entries[-1]["fields"]) | {"simulated"} == set(feature["properties"])


def test_a_policy_without_positions_withholds_the_geometry(places) -> None:  # type: ignore[no-untyped-def]
    boundary, units = places
    log = RecordingDisclosures()
    policy = SharingPolicy.from_dict({"partners": {"USBP": {"fields": ["type", "group_size"]}}})
    view = Viewer(SharingGate(policy, log), agency="RCMP", boundary=boundary, places=units)
    feature = view.incident_feature(key("USBP-HVM", Role.VIEWER), INCIDENT)
    assert feature["geometry"] is None
    assert feature["properties"] == {"type": "crossing", "group_size": 4, "simulated": True}
    assert log.entries[-1]["fields"] == ["group_size", "type"]


# -- finding 2: every role of another agency gets the sharing policy's view -------------


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR, Role.ADMIN,
                                  Role.SCREENING_OFFICER, Role.PARTNER])
def test_another_agencys_key_of_any_role_gets_only_what_is_shared(places, role: Role) -> None:  # type: ignore[no-untyped-def]
    view, log = viewer(places)
    usbp = key("USBP-HVM", role)
    assert view.restricted(usbp)
    incident = view.incident_feature(usbp, INCIDENT)  # northbound into Alberta: RCMP's
    assert set(incident["properties"]) == SHARED and "id" not in incident
    track = view.track_feature(usbp, TRACK)
    assert set(track["properties"]) <= SHARED and "trail" not in track["properties"]
    assert "id" not in track
    assert [e["agency"] for e in log.entries] == ["USBP", "USBP"], "each release logged"
    assert sensor_features([SensorSeen("cam-1", 49.01, -111.9, "2025-02-03T13:00:00Z")],
                           Filters(), usbp, owner=not view.restricted(usbp)) == []


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR, Role.ADMIN])
def test_the_deployments_agency_sees_its_picture_whole(places, role: Role) -> None:  # type: ignore[no-untyped-def]
    view, log = viewer(places)
    for agency in ("RCMP-K", "RCMP-D", "RCMP"):
        rcmp = key(agency, role)
        incident = view.incident_feature(rcmp, INCIDENT)
        assert incident["id"] == INCIDENT["incident_id"] and "severity" in incident["properties"]
        assert "children" not in incident["properties"], "personal fields never"
        track = view.track_feature(rcmp, TRACK)
        assert track["id"] == "T-7" and track["properties"]["trail"]["coordinates"]
    assert log.entries == [], "nothing left the deployment's agency"


def test_the_agency_an_incident_is_routed_to_whole_reads_it_whole(places) -> None:  # type: ignore[no-untyped-def]
    view, _ = viewer(places)
    southbound = {**INCIDENT, "direction": "southbound"}  # into Montana: USBP responsible
    usbp = key("USBP-HVM", Role.OPERATOR)
    assert "severity" in view.incident_feature(usbp, southbound)["properties"]
    assert set(view.incident_feature(usbp, INCIDENT)["properties"]) == SHARED
    # A partner key stays a partner key, and the deployment's agency still owns it.
    assert set(view.incident_feature(key("USBP-HVM", Role.PARTNER), southbound)[
        "properties"]) == SHARED
    assert "severity" in view.incident_feature(key("RCMP-K", Role.VIEWER), southbound)[
        "properties"]


def test_alerts_of_another_agency_are_not_shown_to_its_operators(places) -> None:  # type: ignore[no-untyped-def]
    view, _ = viewer(places)
    state = {"alert_id": "ALR-1-RCMP-K-IBET", "status": "open", "raised_at": "t",
             "acknowledged_at": None, "resolved_at": None, "payload": dict(INCIDENT),
             "simulated": True, "escalation": [],
             "unit": {"unit_id": "RCMP-K-IBET", "agency": "RCMP"}}
    assert view.alert(key("USBP-HVM", Role.OPERATOR), state) is None
    assert view.alert(key("RCMP-D", Role.VIEWER), state) is not None
    theirs = {**state, "unit": {"unit_id": "USBP-HVM", "agency": "USBP"}}
    assert view.alert(key("USBP-HVM", Role.VIEWER), theirs) is not None


# -- the live feed: the same rules, per subscriber -------------------------------------


def _tracks_event() -> dict[str, Any]:
    props = {k: v for k, v in TRACK.items() if k != "trail"}
    feature = {"type": "Feature", "id": "T-7", "properties": props,
               "geometry": {"type": "Point", "coordinates": [TRACK["lon"], TRACK["lat"]]}}
    return {"type": "tracks", "tracks": [feature], "ended": [], "simulated": True,
            "data_time": "2025-02-03T13:25:00Z"}


def _data(message: bytes | None) -> Any:
    assert message is not None
    return orjson.loads(message[message.index(b"\ndata: ") + 7:])


def test_the_stream_gives_another_agencys_viewer_the_shared_view(places) -> None:  # type: ignore[no-untyped-def]
    view, log = viewer(places)
    rcmp, usbp, cbp = (key("RCMP-K", Role.VIEWER), key("USBP-HVM", Role.VIEWER),
                       key("CBP-AMO", Role.PARTNER))
    tracks = Delivery(_tracks_event())
    whole = _data(message_for(view, rcmp, tracks))["features"][0]
    assert whole["id"] == "T-7" and "kind_probability" in whole["properties"]
    shared = _data(message_for(view, usbp, tracks))["features"][0]  # after RCMP's, cached
    assert "id" not in shared and set(shared["properties"]) <= SHARED
    nothing = _data(message_for(view, cbp, tracks))["features"][0]
    assert nothing["geometry"] is None and nothing["properties"] == {"simulated": True}

    incident = Delivery({"type": "incident", "incident": INCIDENT, "simulated": True})
    assert "severity" in _data(message_for(view, rcmp, incident))["feature"]["properties"]
    seen = _data(message_for(view, usbp, incident))["feature"]
    assert set(seen["properties"]) == SHARED
    assert {e["agency"] for e in log.entries} == {"USBP", "CBP"}
    case = Delivery({"type": "case", "case_id": "AB-1", "time": "t", "simulated": True})
    assert message_for(view, key("USBP-HVM", Role.SCREENING_OFFICER), case) is None
    assert message_for(view, key("RCMP-K", Role.SCREENING_OFFICER), case) is not None


# -- bounded cost: many tracks released in one pass, one disclosure entry -----------------


@pytest.mark.parametrize("agency", ["USBP-HVM", "CBP-AMO"])
def test_many_tracks_are_released_as_one_by_one_with_one_disclosure(places, agency) -> None:  # type: ignore[no-untyped-def]
    view, log = viewer(places)
    who = key(agency, Role.PARTNER)
    tracks = [{**TRACK, "track_id": f"T-{n}", "time": f"2025-02-03T13:25:{n:02d}.000Z"}
              for n in range(30)]
    one_by_one = [view.track_feature(who, t) for t in tracks]
    single_entries = list(log.entries)
    log.entries.clear()
    assert view.track_features(who, tracks) == one_by_one
    assert len(log.entries) == 1, "one entry for the whole list"
    [entry] = log.entries
    assert entry["released"] == [e["alert_id"] for e in single_entries]
    assert entry["count"] == 30 and entry["time"] == "2025-02-03T13:25:29.000Z"
    assert entry["fields"] == sorted({f for e in single_entries for f in e["fields"]})
    assert entry["withheld"] == sorted({f for e in single_entries for f in e["withheld"]})
    assert entry["basis"] == single_entries[0]["basis"]
