"""What TAK devices send, interpreted: a friendly self report is a ResponderPosition whose
agency is the certificate's (never the XML's); a GeoChat sighting or a dropped marker is
a detection with the point's ce as its error (unknown refused); hostile or malformed XML
is refused with the part named; and the live picture as CoT for one view."""

from __future__ import annotations

import pytest
from defusedxml import ElementTree as SafeET
from tests.alert_helpers import assert_valid_cot, requires_shared

from borderwatch.adapters.sources.detection_wire import parse_detection
from borderwatch.adapters.tak.identity import DeviceIdentity
from borderwatch.adapters.tak.inbound import (
    MAX_DEPTH,
    MAX_EVENT_BYTES,
    Sighting,
    interpret,
    read_event,
)
from borderwatch.alerts.cot_feed import feed_event_cot, incident_cot, track_cot
from borderwatch.domain import InputError
from borderwatch.domain.responder import ResponderPosition

FIELD = DeviceIdentity("ATAK-01", "RCMP", "field")
T = "2025-02-03T13:16:34.000Z"


def sa(*, uid: str = "ANDROID-f00d", type: str = "a-f-G-U-C", point: str | None = None,
       detail: str = "") -> bytes:
    if point is None:
        point = '<point lat="49.0012" lon="-111.9601" hae="1000" ce="8.5" le="9999999"/>'
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><event version="2.0" '
            f'uid="{uid}" type="{type}" time="{T}" start="{T}" stale="2025-02-03T13:22:34Z" '
            f'how="m-g">{point}<detail>{detail}</detail></event>').encode()


def test_a_self_report_is_a_responder_position_with_the_certificates_agency() -> None:
    root = read_event(sa(detail='<contact callsign="K-IBET-1"/>'
                               '<__group name="Cyan" role="Team Member"/>'
                               '<track course="12.5" speed="1.4"/>'
                               '<agency>USBP</agency>'))
    made = interpret(root, FIELD)
    assert isinstance(made, ResponderPosition)
    assert (made.uid, made.callsign, made.agency) == ("ANDROID-f00d", "K-IBET-1", "RCMP")
    assert (made.position.lat, made.position.lon) == (49.0012, -111.9601)
    assert made.time.isoformat() == "2025-02-03T13:16:34+00:00"
    assert (made.speed_mps, made.course_deg, made.source) == (1.4, 12.5, "tak.ATAK-01")


def test_a_self_report_without_track_or_callsign_keeps_the_uid() -> None:
    made = interpret(read_event(sa()), FIELD)
    assert isinstance(made, ResponderPosition)
    assert made.callsign == "ANDROID-f00d" and made.speed_mps is None


@pytest.mark.parametrize(("event", "field"), [
    (sa(point='<point lon="-111.9" ce="5"/>'), "point@lat"),
    (sa(point='<point lat="91" lon="-111.9" ce="5"/>'), "point@lat"),
    (sa(point='<point lat="49" lon="east" ce="5"/>'), "point@lon"),
    (sa(point=""), "point"),
    (sa(detail='<track speed="-3" course="10"/>'), "speed"),
    (sa(detail='<track speed="1" course="nan"/>'), "track@course"),
    (sa(uid=""), "event@uid"),
    (sa().replace(f'time="{T}"'.encode(), b'time="yesterday"'), "event@time"),
])
def test_a_bad_report_names_its_field(event: bytes, field: str) -> None:
    with pytest.raises(InputError) as caught:
        interpret(read_event(event), FIELD)
    assert caught.value.field == field


def test_a_geochat_reporting_a_group_is_a_person_detection_at_its_point() -> None:
    chat = sa(uid="GeoChat.ANDROID-f00d.All Chat Rooms.1", type="b-t-f",
              detail='<__chat chatroom="All Chat Rooms"/><remarks>Group of 6 sighted '
                     'heading north along the coulee</remarks>')
    made = interpret(read_event(chat), FIELD)
    assert isinstance(made, Sighting)
    det = parse_detection(made.wire)  # the wire format HTTP ingest takes
    assert (det.kind.value, det.count, det.sigma_m, det.sensor_id) == (
        "person", 6, 8.5, "tak.ATAK-01")
    assert det.simulated is False
    assert interpret(read_event(sa(type="b-t-f", detail="<remarks>coffee at 0600?</remarks>")),
                     FIELD) is None


@pytest.mark.parametrize("cot_type", ["a-u-G", "a-h-G", "a-h-G-U-C-I"])
def test_a_dropped_marker_is_a_detection(cot_type: str) -> None:
    made = interpret(read_event(sa(type=cot_type, detail="<remarks>3 pax</remarks>")), FIELD)
    assert isinstance(made, Sighting)
    assert made.wire["count"] == 3 and made.wire["sigma_m"] == 8.5
    marked = sa(type=cot_type).replace(b'how="m-g"', b'how="h-g-i-g-o" opex="e-drill"')
    exercise = interpret(read_event(marked), FIELD)
    assert isinstance(exercise, Sighting) and exercise.wire["simulated"] is True


@pytest.mark.parametrize(("ce", "reason"), [
    ("9999999", "unknown"), ("9999999.0", "unknown"), ("0", "within"), ("60000", "within"),
])
def test_a_sighting_needs_a_known_position_error(ce: str, reason: str) -> None:
    marker = sa(type="a-u-G", point=f'<point lat="49" lon="-111.9" ce="{ce}" le="1"/>')
    with pytest.raises(InputError, match=reason) as caught:
        interpret(read_event(marker), FIELD)
    assert caught.value.field == "point@ce"


def test_only_field_devices_report_sightings_and_other_types_are_ignored() -> None:
    partner = DeviceIdentity("ATAK-US", "USBP", "partner")
    with pytest.raises(InputError) as caught:
        interpret(read_event(sa(type="a-h-G")), partner)
    assert caught.value.field == "certificate OU"
    assert interpret(read_event(sa(type="t-x-c-t")), FIELD) is None
    assert interpret(read_event(sa(type="b-m-p-s-m")), FIELD) is None


LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE event [<!ENTITY a "aaaaaaaaaa">'
          + b"".join(b'<!ENTITY %c "&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;">'
                     % ((98 + i,) + (97 + i,) * 10) for i in range(8))
          + b']><event uid="x" type="a-f-G">&i;</event>')
EXTERNAL = (b'<?xml version="1.0"?><!DOCTYPE event [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<event uid="x" type="a-f-G">&x;</event>')


@pytest.mark.parametrize(("data", "reason"), [
    (LAUGHS, "DTDForbidden"),
    (EXTERNAL, "DTDForbidden"),
    (b"\x16\x03\x01\x02\x00garbage</event>", "not well-formed"),
    (b"<event" + b" " * MAX_EVENT_BYTES + b"/>", "bytes"),
    (b"<event>" + b"<d>" * MAX_DEPTH + b"</d>" * MAX_DEPTH + b"</event>", "nested"),
    (b"<evil/>", "root element"),
])
def test_hostile_or_malformed_xml_is_refused(data: bytes, reason: str) -> None:
    with pytest.raises(InputError, match=reason) as caught:
        read_event(data)
    assert caught.value.field == "event"


TRACK = {"track_id": "trk-000091", "time": "2025-02-03T12:51:26.000Z", "lat": 48.99,
         "lon": -111.9004, "kind": "person", "kind_probability": 0.9, "group_size": 9,
         "speed_ms": 0.75, "heading_deg": 2.0, "position_sigma_m": 8.0, "simulated": True}
INCIDENT = {"incident_id": "INC-20250203-0002", "type": "crossing", "direction":
            "northbound", "time": "2025-02-03T12:51:26.000Z", "lat": 49.0, "lon": -111.9004,
            "group_size": 9, "track_id": "trk-000091", "severity": "extreme"}


def test_the_owners_view_becomes_tracks_and_an_alarm() -> None:
    made = feed_event_cot({"type": "tracks", "features": [{"properties": TRACK}]})
    root = SafeET.fromstring(made[0])
    assert (root.get("uid"), root.get("type"), root.get("opex")) == (
        "borderwatch.trk-000091", "a-u-G", "s")
    alarm = SafeET.fromstring(incident_cot(INCIDENT, simulated=True) or b"")
    assert alarm.get("uid") == "borderwatch.incident.INC-20250203-0002"
    assert alarm.find("detail/link").get("uid") == "borderwatch.trk-000091"  # type: ignore[union-attr]
    assert "extreme" in (alarm.findtext("detail/remarks") or "")


def test_a_partners_view_has_no_track_and_an_incident_of_released_fields_only() -> None:
    released = {k: INCIDENT[k] for k in ("type", "direction", "time", "lat", "lon",
                                         "group_size")}
    assert track_cot({k: TRACK[k] for k in ("time", "lat", "lon", "group_size")}) is None
    made = feed_event_cot({"type": "incident", "feature": {"properties": released},
                           "simulated": True})
    root = SafeET.fromstring(made[0])
    assert root.find("detail/link") is None
    assert root.findtext("detail/remarks") == (
        "EXERCISE - SIMULATED: CROSSING northbound group of 9")
    assert "INC-" not in made[0].decode() and "trk-" not in made[0].decode()
    assert made == feed_event_cot({"type": "incident", "feature": {"properties": released},
                                   "simulated": True})  # the same uid again: it replaces


@requires_shared
def test_the_streams_cot_is_schema_valid() -> None:
    for event in (track_cot(TRACK), incident_cot(INCIDENT, simulated=True),
                  incident_cot({**INCIDENT, "incident_id": None, "type": "loiter"},
                               simulated=False)):
        assert event is not None
        assert_valid_cot(event)
