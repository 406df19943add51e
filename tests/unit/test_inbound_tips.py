"""Inbound partner tips in CoT, CAP and JSON become detections with their stated
uncertainty; unsafe XML is refused with a clear error."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from borderwatch.adapters.sources.tips import parse_tip
from borderwatch.alerts.cap import CapInfo, CapMessage, Circle, Polygon
from borderwatch.domain import InputError, Kind

COT_TIP = b"""<event version="2.0" uid="usbp-hvm-tip-1" type="a-u-G" how="h-e" opex="e"
  time="2025-02-03T12:50:00Z" start="2025-02-03T12:50:00Z" stale="2025-02-03T13:50:00Z">
  <point lat="48.988" lon="-111.9005" hae="9999999.0" ce="400" le="9999999.0"/>
  <detail><contact callsign="USBP-HVM"/><remarks>group about to cross</remarks></detail>
</event>"""


def _cap(**info: object) -> bytes:
    base = {
        "event": "Border crossing expected",
        "categories": ("Security",),
        "urgency": "Immediate",
        "severity": "Severe",
        "certainty": "Likely",
        "headline": "Group about to enter Canada on foot",
        "description": "Phone call",
        "area_desc": "4-5 km east of the port",
        "circles": (Circle(48.988, -111.9005, 0.979),),
    }
    base.update(info)
    return CapMessage(
        identifier="USBP-HVM-2025-0001",
        sender="USBP-HVM",
        sent=datetime(2025, 2, 3, 12, 50, tzinfo=UTC),
        status="Actual",
        msg_type="Alert",
        scope="Private",
        addresses=("RCMP-K-IBET",),
        infos=(CapInfo(**base),),  # type: ignore[arg-type]
    ).to_xml()


def test_cot_tip_keeps_its_stated_error_and_marking() -> None:
    tip = parse_tip(COT_TIP)
    assert (tip.lat, tip.lon, tip.sigma_m) == (48.988, -111.9005, 400.0)
    assert tip.sensor_id == "tip:USBP-HVM" and tip.id == "usbp-hvm-tip-1"
    assert tip.time == datetime(2025, 2, 3, 12, 50, tzinfo=UTC)
    assert tip.simulated  # opex="e": an exercise is never real


def test_cot_tip_of_unknown_error_is_refused() -> None:
    with pytest.raises(InputError) as err:
        parse_tip(COT_TIP.replace(b'ce="400"', b'ce="9999999.0"'), source="call.xml")
    assert err.value.field == "point.ce" and "uncertainty" in str(err.value)
    assert str(err.value).startswith("call.xml")


def test_cot_tip_without_a_position_is_refused() -> None:
    with pytest.raises(InputError) as err:
        parse_tip(COT_TIP.replace(b'lat="48.988" ', b""))
    assert err.value.field == "point.lat"


def test_cap_tip_circle_is_a_95_percent_area_unless_sigma_is_stated() -> None:
    tip = parse_tip(_cap())
    assert tip.sensor_id == "tip:USBP-HVM" and not tip.simulated
    assert tip.sigma_m == pytest.approx(979.0 / math.sqrt(-2 * math.log(0.05)))
    stated = parse_tip(_cap(parameters=(("sigma_m", "400"), ("kind", "person"))))
    assert stated.sigma_m == 400.0 and stated.kind is Kind.PERSON


def test_cap_polygon_tip_centres_on_its_vertices() -> None:
    square = Polygon(((48.98, -111.91), (48.98, -111.89), (48.99, -111.89), (48.99, -111.91)))
    tip = parse_tip(_cap(circles=(), polygons=(square,)))
    assert tip.lat == pytest.approx(48.985) and tip.lon == pytest.approx(-111.90)
    assert 300 < tip.sigma_m < 500


def test_cap_cancel_is_not_a_tip() -> None:
    message = _cap().replace(b"<msgType>Alert</msgType>", b"<msgType>Cancel</msgType>")
    with pytest.raises(InputError) as err:
        parse_tip(message)
    assert err.value.field == "msgType"


def test_json_tip_needs_its_uncertainty() -> None:
    tip = parse_tip(
        b'{"time": "2025-02-03T05:50:00-07:00", "sensor_id": "tip:USBP-HVM", '
        b'"lat": 48.988, "lon": -111.9005, "sigma_m": 400, "kind": "person"}'
    )
    assert tip.sigma_m == 400 and tip.time.hour == 12
    with pytest.raises(InputError) as err:
        parse_tip(b'{"time": "2025-02-03T12:50:00Z", "sensor_id": "t", "lat": 49, "lon": -112}')
    assert err.value.field == "sigma_m"


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<event version="2.0" uid="&lol3;" type="a-u-G" how="h-e" time="2025-02-03T12:50:00Z"
 start="2025-02-03T12:50:00Z" stale="2025-02-03T13:50:00Z">
 <point lat="48.9" lon="-111.9" hae="0" ce="10" le="0"/></event>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE event [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<event version="2.0" uid="x" type="a-u-G" how="h-e" time="2025-02-03T12:50:00Z"
 start="2025-02-03T12:50:00Z" stale="2025-02-03T13:50:00Z">
 <point lat="48.9" lon="-111.9" hae="0" ce="10" le="0"/><detail><remarks>&secret;</remarks>
 </detail></event>"""


@pytest.mark.parametrize("document", [BOMB, XXE], ids=["billion-laughs", "external-entity"])
def test_xml_bombs_and_external_entities_are_rejected(document: bytes) -> None:
    with pytest.raises(InputError) as err:
        parse_tip(document, source="partner-feed")
    message = str(err.value)
    assert message.startswith("partner-feed") and "rejected unsafe XML" in message


def test_garbage_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="not well-formed XML"):
        parse_tip(b"<event")
    with pytest.raises(InputError, match="not a CoT event or a CAP"):
        parse_tip(b"<html/>")
    with pytest.raises(InputError, match="empty tip"):
        parse_tip(b"  ")
