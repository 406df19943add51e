"""Routing to the responsible unit and the partner; the partner sees only allowed fields."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from borderwatch.alerts import FALLBACK_UNIT, PERSONAL_FIELDS, RecordingSink, Router, SharingPolicy
from borderwatch.domain import Audience, Direction, Incident, IncidentType, InputError, Kind
from borderwatch.geo import Boundary, Places
from borderwatch.watch.risk import RiskModel


def _incident(direction: Direction, lon: float = -111.9, segment: str = "AB-MT") -> Incident:
    time = datetime(2025, 2, 3, 13, 16, tzinfo=UTC)
    risk = RiskModel().assess(
        lat=49.0, lon=lon, time=time, kind=Kind.PERSON, group_size=9, children=5
    )
    return Incident(
        incident_id="INC-1",
        type=IncidentType.CROSSING,
        time=time,
        lat=49.0,
        lon=lon,
        segment=segment,
        track_id="trk-000001",
        group_size=9,
        detected_at=time,
        risk=risk,
        direction=direction,
        kind=Kind.PERSON,
        children=5,
        simulated=True,
    )


@pytest.fixture
def router(boundary: Boundary) -> Router:
    return Router(boundary, Places.bundled(), SharingPolicy.bundled())


def test_northbound_goes_to_rcmp_and_partner_notice_to_usbp_havre(router: Router) -> None:
    responsible, partner = router.route(_incident(Direction.NORTHBOUND))
    assert responsible.recipient.unit_id == "RCMP-K-IBET"
    assert responsible.audience is Audience.RESPONSIBLE
    assert responsible.payload["children"] == 5
    assert partner.recipient.unit_id == "USBP-HVM"
    assert partner.audience is Audience.PARTNER
    assert set(partner.payload) == {"type", "time", "lat", "lon", "direction",
                                    "group_size", "group_size_range"}
    assert not set(partner.payload) & PERSONAL_FIELDS
    assert partner.simulated and responsible.simulated


def test_southbound_swaps_the_roles(router: Router) -> None:
    responsible, partner = router.route(_incident(Direction.SOUTHBOUND))
    assert (responsible.recipient.unit_id, partner.recipient.unit_id) == ("USBP-HVM", "RCMP-K-IBET")


def test_emerson_routes_to_rcmp_d_and_grand_forks(router: Router) -> None:
    responsible, partner = router.route(_incident(Direction.NORTHBOUND, -97.3, "MB-ND"))
    assert (responsible.recipient.unit_id, partner.recipient.unit_id) == ("RCMP-D", "USBP-GFN")


def test_an_uncovered_place_still_alerts_the_fallback(router: Router) -> None:
    alerts = router.route(_incident(Direction.NORTHBOUND, -80.0, "QC-NY"))
    assert [a.recipient for a in alerts] == [FALLBACK_UNIT]


def test_a_policy_that_shares_personal_data_is_refused() -> None:
    with pytest.raises(InputError) as err:
        SharingPolicy.from_dict({"partners": {"USBP": {"fields": ["lat", "nationalities"]}}})
    assert err.value.field == "partners.USBP.fields"


def test_recording_sink_is_the_fake_that_keeps_order(router: Router) -> None:
    sink = RecordingSink()
    for alert in router.route(_incident(Direction.NORTHBOUND)):
        sink.deliver(alert)
    assert [a.audience for a in sink.alerts] == [Audience.RESPONSIBLE, Audience.PARTNER]
