"""The responder registry (latest report, age, availability, stale) and the intercept
proposal (who reaches the group first, where, when)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.app.cluster.deployment import load_deployment
from borderwatch.domain import InputError
from borderwatch.domain.position import Position
from borderwatch.domain.responder import ResponderPosition
from borderwatch.geo import Boundary
from borderwatch.respond import (
    Availability,
    DeclaredUnit,
    GroupMotion,
    ResponderRegistry,
    UnitView,
    group_motion,
    meeting_time_s,
    parse_responders,
    propose,
)

NOW = datetime(2025, 2, 3, 13, 20, tzinfo=UTC)
FRAME = Boundary.bundled().frame
IBET = DeclaredUnit(unit_id="RCMP-K-IBET-1", callsign="IBET 1", agency="RCMP",
                    home=Position(49.003, -111.955), road_speed_ms=22.0, offroad_speed_ms=8.0)


def report(uid: str = "RCMP-K-IBET-1", *, at: datetime = NOW, lat: float = 49.01,
           lon: float = -111.96, agency: str = "RCMP") -> ResponderPosition:
    return ResponderPosition(uid=uid, callsign=uid.lower(), agency=agency,
                             position=Position(lat, lon), time=at, source="test")


# -- the deployment file's list ---------------------------------------------------------

def test_responders_list_is_read_with_its_speeds() -> None:
    units = parse_responders([{"id": "U1", "callsign": "Patrol 1", "agency": "RCMP",
                               "home": {"lat": 49.0, "lon": -111.9}, "road_speed_ms": 20,
                               "offroad_speed_ms": 6.5}])
    assert units == (DeclaredUnit(unit_id="U1", callsign="Patrol 1", agency="RCMP",
                                  home=Position(49.0, -111.9), road_speed_ms=20.0,
                                  offroad_speed_ms=6.5),)


@pytest.mark.parametrize(("item", "field"), [
    ({"callsign": "x"}, "responders[0].id"),
    ({"home": {"lat": 91, "lon": 0}}, "responders[0].home.lat"),
    ({"home": {"lat": 49}}, "responders[0].home.lon"),
    ({"road_speed_ms": "fast"}, "responders[0].road_speed"),
    ({"offroad_speed_ms": 0}, "responders[0].offroad_speed"),
    ({"colour": "red"}, "responders[0]"),
])
def test_a_bad_unit_names_its_item_and_field(item: dict, field: str) -> None:  # type: ignore[type-arg]
    base = {"id": "U1", "agency": "RCMP", "home": {"lat": 49.0, "lon": -111.9},
            "road_speed_ms": 20, "offroad_speed_ms": 6}
    if "callsign" in item:
        del base["id"]
    with pytest.raises(InputError) as err:
        parse_responders([{**base, **item}])
    assert err.value.field == field


def test_a_unit_declared_twice_is_refused() -> None:
    item = {"id": "U1", "agency": "RCMP", "home": {"lat": 49.0, "lon": -111.9},
            "road_speed_ms": 20, "offroad_speed_ms": 6}
    with pytest.raises(InputError, match="declared twice"):
        parse_responders([item, item])


# -- the registry ----------------------------------------------------------------------

def test_a_declared_unit_without_reports_is_at_home_and_proposable() -> None:
    registry = ResponderRegistry.of([IBET])
    (unit,) = registry.units(NOW)
    assert unit.position == IBET.home and unit.position_source == "home"
    assert unit.age_s is None and not unit.stale and unit.proposable


def test_only_the_latest_report_counts() -> None:
    registry = ResponderRegistry.of([IBET])
    assert registry.report(report(lat=49.02))
    assert not registry.report(report(at=NOW - timedelta(seconds=5), lat=49.05))
    (unit,) = registry.units(NOW + timedelta(seconds=30))
    assert unit.position.lat == 49.02 and unit.age_s == 30.0


def test_a_unit_seen_only_by_report_is_listed_with_an_assumed_speed() -> None:
    registry = ResponderRegistry.of([IBET])
    registry.report(report("ANDROID-1234", agency="RCMP"))
    units = registry.units(NOW)
    assert [u.unit_id for u in units] == ["RCMP-K-IBET-1", "ANDROID-1234"]
    assert units[1].speed_assumed and not units[1].declared


def test_a_stale_position_is_shown_with_its_age_but_not_proposed() -> None:
    registry = ResponderRegistry.of([IBET], stale_after_s=600)
    registry.report(report())
    assert registry.candidates(NOW + timedelta(seconds=600))
    later = NOW + timedelta(seconds=601)
    (unit,) = registry.units(later)
    assert unit.stale and unit.age_s == 601.0
    assert registry.candidates(later) == []


def test_assigned_and_off_duty_units_are_not_proposed() -> None:
    registry = ResponderRegistry.of([IBET])
    registry.set_availability("RCMP-K-IBET-1", Availability.ASSIGNED, "INC-1")
    assert registry.candidates(NOW) == []
    assert registry.units(NOW)[0].assigned_to == "INC-1"
    registry.set_availability("RCMP-K-IBET-1", Availability.AVAILABLE)
    assert registry.candidates(NOW)[0].assigned_to is None
    with pytest.raises(KeyError):
        registry.set_availability("nobody", Availability.OFF_DUTY)


def test_a_report_cannot_speak_for_another_agencys_unit() -> None:
    registry = ResponderRegistry.of([IBET])
    with pytest.raises(InputError, match="unit of RCMP"):
        registry.report(report(agency="USBP"))


# -- the intercept ----------------------------------------------------------------------

def group_at(east: float = 0.0, north: float = 0.0, *, speed: float = 1.2,
             heading: float = 0.0, at: datetime = NOW) -> GroupMotion:
    return GroupMotion(position=Position(*FRAME.point_to_geo(east, north)), time=at,
                       speed_ms=speed, heading_deg=heading, source="track")


def unit_at(unit_id: str, east: float, north: float, speed: float = 8.0) -> DeclaredUnit:
    return DeclaredUnit(unit_id=unit_id, callsign=unit_id, agency="RCMP",
                        home=Position(*FRAME.point_to_geo(east, north)),
                        road_speed_ms=speed * 2.5, offroad_speed_ms=speed)


def test_the_nearer_unit_is_proposed_first_with_its_point_and_time() -> None:
    # Group walking north at 1.2 m/s; a unit 2 km east, another 5 km east, same speed.
    registry = ResponderRegistry.of([unit_at("far", 5000, 0), unit_at("near", 2000, 0)])
    plan = propose("INC-1", group_at(), registry.units(NOW), NOW, FRAME)
    assert [p.unit_id for p in plan.proposals] == ["near", "far"]
    best = plan.best
    assert best is not None and plan.reason is None
    # |(-2000, 1.2 t)| = 8 t  ->  t = 2000 / sqrt(64 - 1.44)
    assert best.travel_s == pytest.approx(2000 / math.sqrt(64 - 1.44), rel=1e-9)
    east, north = FRAME.point_to_local(best.point.lat, best.point.lon)
    assert east == pytest.approx(0.0, abs=0.01)
    assert north == pytest.approx(1.2 * best.travel_s, abs=0.01)
    assert best.at == NOW + timedelta(seconds=best.travel_s)
    assert best.road_bound_s == pytest.approx(best.distance_m / 20.0)


def test_a_stationary_group_is_met_where_it_stands() -> None:
    registry = ResponderRegistry.of([unit_at("u", 800, 600)])
    plan = propose("INC-1", group_at(speed=0.0), registry.units(NOW), NOW, FRAME)
    assert plan.proposals[0].travel_s == pytest.approx(1000 / 8.0)
    assert plan.proposals[0].distance_m == pytest.approx(1000.0, abs=0.01)


def test_a_unit_already_at_the_group_takes_no_time() -> None:
    registry = ResponderRegistry.of([unit_at("u", 0, 0)])
    plan = propose("INC-1", group_at(), registry.units(NOW), NOW, FRAME)
    assert plan.proposals[0].travel_s == pytest.approx(0.0, abs=1e-6)


def test_the_group_is_extrapolated_to_now() -> None:
    # Seen 100 s ago at the origin walking east at 2 m/s: now 200 m east, where the unit is.
    registry = ResponderRegistry.of([unit_at("u", 200, 0)])
    plan = propose("INC-1", group_at(speed=2.0, heading=90.0, at=NOW - timedelta(seconds=100)),
                   registry.units(NOW), NOW, FRAME)
    assert plan.proposals[0].travel_s == pytest.approx(0.0, abs=1e-3)


def test_a_faster_group_running_away_is_skipped_with_why() -> None:
    registry = ResponderRegistry.of([unit_at("slow", 0, -1000, speed=1.0)])
    plan = propose("INC-1", group_at(speed=3.0), registry.units(NOW), NOW, FRAME)
    assert plan.proposals == () and plan.best is None
    assert "cannot reach" in plan.skipped[0][1]
    assert plan.reason == "no available unit can reach the group within the horizon"


@pytest.mark.parametrize(("setup", "reason"), [
    ("none", "no responder unit is declared or has reported"),
    ("assigned", "no unit is available (all assigned or off duty)"),
    ("stale", "every available unit's position is stale"),
])
def test_no_proposal_says_why(setup: str, reason: str) -> None:
    registry = ResponderRegistry.of([] if setup == "none" else [IBET])
    if setup == "assigned":
        registry.set_availability(IBET.unit_id, Availability.OFF_DUTY)
    if setup == "stale":
        registry.report(report(at=NOW - timedelta(hours=1)))
    # The group a few hundred metres from the unit: only its state can keep it out.
    group = GroupMotion(position=Position(49.005, -111.955), time=NOW, speed_ms=1.2,
                        heading_deg=0.0, source="track")
    plan = propose("INC-1", group, registry.units(NOW), NOW, FRAME)
    assert plan.proposals == () and plan.reason == reason
    assert [u for u, _ in plan.skipped] == ([] if setup == "none" else [IBET.unit_id])


def test_the_path_is_predicted_up_to_the_horizon_only() -> None:
    plan = propose("INC-1", group_at(speed=1.0), [], NOW, FRAME, horizon_s=150)
    ends = [FRAME.point_to_local(p.lat, p.lon)[1] for p in plan.path]
    assert ends == pytest.approx([0.0, 60.0, 120.0, 150.0], abs=0.01)
    late = propose("INC-1", group_at(at=NOW - timedelta(seconds=200)), [ibet_view()], NOW,
                   FRAME, horizon_s=150)
    assert late.proposals == ()
    assert late.reason == "the group's last known position is older than the prediction horizon"


def ibet_view() -> UnitView:
    return ResponderRegistry.of([IBET]).units(NOW)[0]


def test_the_live_track_wins_over_the_incident_when_newer() -> None:
    incident = {"time": "2025-02-03T13:16:30Z", "lat": 49.0, "lon": -111.95,
                "speed_ms": 1.1, "heading_deg": 5.0}
    track = {"time": "2025-02-03T13:18:00Z", "lat": 49.001, "lon": -111.95,
             "speed_ms": 1.3, "heading_deg": 2.0}
    assert group_motion(incident, track).source == "track"
    assert group_motion(incident, {**track, "time": "2025-02-03T13:10:00Z"}).source == "incident"
    with pytest.raises(InputError, match="lat"):
        group_motion({**incident, "lat": None})


coordinate = st.floats(-20_000, 20_000)
speed = st.floats(0.5, 30.0)


@settings(max_examples=200, deadline=None)
@given(
    group=st.tuples(coordinate, coordinate, st.floats(0.0, 5.0), st.floats(0.0, 359.9)),
    units=st.lists(st.tuples(coordinate, coordinate, speed), min_size=1, max_size=5),
)
def test_intercept_properties(group: tuple[float, float, float, float],
                              units: list[tuple[float, float, float]]) -> None:
    """The point is on the predicted path at the proposed time; nobody arrives before the
    straight line at its speed allows; the best is the earliest."""
    east0, north0, group_speed, heading = group
    registry = ResponderRegistry.of(
        [unit_at(f"u{i}", e, n, s) for i, (e, n, s) in enumerate(units)])
    motion = group_at(east0, north0, speed=group_speed, heading=heading)
    plan = propose("INC-1", motion, registry.units(NOW), NOW, FRAME, horizon_s=3600)
    h = math.radians(heading)
    for p in plan.proposals:
        east, north = FRAME.point_to_local(p.point.lat, p.point.lon)
        t = p.travel_s
        assert math.hypot(east - (east0 + group_speed * math.sin(h) * t),
                          north - (north0 + group_speed * math.cos(h) * t)) < 0.05
        assert 0.0 <= t <= 3600.0
        ue, un, s = units[int(p.unit_id[1:])]
        assert t >= math.hypot(east - ue, north - un) / s - 1e-3
    assert len(plan.proposals) + len(plan.skipped) == len(units)
    if plan.proposals:
        assert plan.best == min(plan.proposals, key=lambda p: p.travel_s)


@settings(max_examples=200, deadline=None)
@given(st.floats(-5e4, 5e4), st.floats(-5e4, 5e4), st.floats(-10, 10), st.floats(-10, 10),
       speed)
def test_meeting_time_is_a_meeting(rx: float, ry: float, vx: float, vy: float,
                                   s: float) -> None:
    t = meeting_time_s(rx, ry, vx, vy, s)
    if t is not None:
        assert t >= 0
        # The earliest: before it the group is still out of reach.
        half = t / 2
        assert math.hypot(rx + vx * half, ry + vy * half) >= s * half - 1e-6 * (1 + s * half)
        assert math.hypot(rx + vx * t, ry + vy * t) == pytest.approx(s * t, rel=1e-6, abs=1e-3)


def test_a_faster_group_coming_towards_the_unit_is_met_at_the_first_chance() -> None:
    # 100 m away at 20 m/s towards a unit doing 10 m/s: met after 100/30 s, not 100/10.
    assert meeting_time_s(100.0, 0.0, -20.0, 0.0, 10.0) == pytest.approx(100 / 30)


# -- the deployment file ----------------------------------------------------------------

def test_the_deployment_file_declares_responders(tmp_path: Path) -> None:
    path = tmp_path / "deployment.yaml"
    path.write_text(
        "store: postgresql://bw@127.0.0.1:5432/bw\nbus: [nats://127.0.0.1:4222]\n"
        "responders:\n  - {id: RCMP-K-IBET-1, callsign: IBET 1, agency: RCMP,\n"
        "     home: {lat: 49.003, lon: -111.955}, road_speed_ms: 22, offroad_speed_ms: 8}\n"
        "responders_stale_after_s: 300\n", encoding="utf-8")
    deployment = load_deployment(path)
    assert deployment.responders == (IBET,)
    assert deployment.responders_stale_after_s == 300.0
    path.write_text(path.read_text().replace("lat: 49.003, ", ""), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_deployment(path)
    assert err.value.field == "responders[0].home.lat"


def test_serve_reads_a_responders_file_and_names_a_bad_item(tmp_path: Path) -> None:
    from borderwatch.app.cli.serve import _responders_file

    path = tmp_path / "units.yaml"
    path.write_text("responders:\n  - {id: RCMP-K-IBET-1, callsign: IBET 1, agency: RCMP,\n"
                    "     home: {lat: 49.003, lon: -111.955}, road_speed_ms: 22,"
                    " offroad_speed_ms: 8}\n", encoding="utf-8")
    assert _responders_file(path) == (IBET,)
    path.write_text(path.read_text().replace("road_speed_ms: 22,", ""), encoding="utf-8")
    with pytest.raises(InputError) as err:
        _responders_file(path)
    assert err.value.field == "responders[0].road_speed_ms" and str(path) in str(err.value)
    with pytest.raises(InputError, match="no file"):
        _responders_file(tmp_path / "missing.yaml")
