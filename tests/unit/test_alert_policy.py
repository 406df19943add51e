"""Routing policy: the bundled Alberta–Montana policy, matching, and errors that name the
field."""

from __future__ import annotations

import pytest
from tests.alert_helpers import incident

from borderwatch.alerts import AlertPolicy, PolicyRouter, SharingPolicy
from borderwatch.alerts.policy import IncidentFacts, parse_duration
from borderwatch.domain import Audience, Direction, IncidentType, InputError
from borderwatch.geo import Boundary, Places


@pytest.fixture(scope="module")
def router() -> PolicyRouter:
    return PolicyRouter(
        Boundary.bundled(), Places.bundled(), SharingPolicy.bundled(), AlertPolicy.bundled()
    )


def test_bundled_policy_routes_a_northbound_crossing_to_rcmp_and_usbp(router: PolicyRouter) -> None:
    routed = {r.alert.recipient.unit_id: r for r in router.route(incident())}
    assert set(routed) == {"RCMP-K-IBET", "USBP-HVM"}
    rcmp, usbp = routed["RCMP-K-IBET"], routed["USBP-HVM"]
    assert rcmp.channels == ("console", "jsonl", "cot", "cap", "webhook")
    assert rcmp.escalation == "crossing" and rcmp.life_at_risk
    assert rcmp.alert.audience is Audience.RESPONSIBLE and rcmp.alert.payload["children"] == 5
    assert usbp.alert.audience is Audience.PARTNER
    assert set(usbp.alert.payload) == {"type", "time", "lat", "lon", "direction", "group_size",
                                       "group_size_range"}
    assert rcmp.alert.alert_id == "ALR-20250203-0002-RCMP-K-IBET"  # same on every replay


def test_a_calm_approach_takes_the_minor_route(router: PolicyRouter) -> None:
    calm = incident(IncidentType.APPROACH, children=0, temperature_c=10.0)
    assert calm.severity.value in ("minor", "moderate")
    routes = {r.route for r in router.route(calm)}
    if calm.severity.value == "minor":
        assert routes == {"approach-minor"}


def test_southbound_swaps_the_roles(router: PolicyRouter) -> None:
    routed = router.route(incident(direction=Direction.SOUTHBOUND))
    audience = {r.alert.recipient.unit_id: r.alert.audience for r in routed}
    assert audience == {"USBP-HVM": Audience.RESPONSIBLE, "RCMP-K-IBET": Audience.PARTNER}


def test_elsewhere_falls_back_and_never_drops(router: PolicyRouter) -> None:
    routed = router.route(incident(lon=-80.0, segment="QC-NY"))
    assert [r.alert.recipient.unit_id for r in routed] == ["BW-OPS"]
    assert routed[0].route == "everything-else"


def test_match_on_reasons_and_severity() -> None:
    policy = AlertPolicy.from_dict(
        {
            "routes": [
                {
                    "name": "kids",
                    "match": {"reasons_any": ["children"], "severity_at_least": "severe"},
                    "notify": [{"to": "responsible", "channels": ["console"]}],
                }
            ]
        }
    )
    assert policy.routes_for(IncidentFacts.of(incident(children=5)))
    assert not policy.routes_for(IncidentFacts.of(incident(children=0, temperature_c=15.0)))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"routes": []}, "routes"),
        (
            {"routes": [{"name": "x", "notify": [{"to": "responsible"}]}]},
            "routes[0].notify[0].channels",
        ),
        (
            {"routes": [{"name": "x", "match": {"colour": ["red"]}, "notify": []}]},
            "routes[0].match.colour",
        ),
        (
            {"routes": [{"name": "x", "match": {"type": ["landing"]}, "notify": []}]},
            "routes[0].match.type",
        ),
        (
            {
                "routes": [
                    {
                        "name": "x",
                        "notify": [{"to": "responsible", "channels": ["fax"]}],
                    }
                ]
            },
            "routes[0].notify[0].channels",
        ),
        (
            {
                "routes": [
                    {
                        "name": "x",
                        "notify": [
                            {"to": "responsible", "channels": ["cap"], "escalation": "nope"}
                        ],
                    }
                ]
            },
            "routes[0].notify[0].escalation",
        ),
        (
            {
                "routes": [{"name": "x", "notify": [{"to": "responsible", "channels": ["cap"]}]}],
                "escalations": {
                    "e": {"steps": [{"after": "soon", "to": "x", "channels": ["cap"]}]}
                },
            },
            "escalations.e.steps[0].after",
        ),
        (
            {
                "routes": [{"name": "x", "notify": [{"to": "responsible", "channels": ["cap"]}]}],
                "grouping": {"by": ["colour"]},
            },
            "grouping.by",
        ),
    ],
)
def test_bad_policies_name_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as err:
        AlertPolicy.from_dict(data, "p.yaml")
    assert err.value.field == field
    assert str(err.value).startswith("p.yaml")


def test_a_policy_naming_an_unknown_unit_is_refused() -> None:
    policy = AlertPolicy.from_dict(
        {"routes": [{"name": "x", "notify": [{"to": "NOBODY", "channels": ["cap"]}]}]}
    )
    with pytest.raises(InputError, match="NOBODY"):
        PolicyRouter(Boundary.bundled(), Places.bundled(), SharingPolicy.bundled(), policy)


def test_durations() -> None:
    assert parse_duration("90s", "f") == 90.0
    assert parse_duration("1.5h", "f") == 5400.0
    with pytest.raises(InputError):
        parse_duration("-1s", "f")
    with pytest.raises(InputError):
        parse_duration(True, "f")
