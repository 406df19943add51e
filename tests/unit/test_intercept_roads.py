"""Intercepts by road (respond/by_road.py) on the deployment's roads (geo/roads.py): a
unit far off along a highway gets there by road sooner than in a straight line; a road's
own speed limits it; roads that only cross on the map are not joined; near the group
the straight line stays; the meeting is a meeting; a bad roads file names its field."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

from borderwatch.domain import InputError
from borderwatch.domain.position import Position
from borderwatch.geo import Boundary
from borderwatch.geo.roads import load_roads, roads_from_geojson
from borderwatch.respond import DeclaredUnit, GroupMotion, ResponderRegistry, propose

NOW = datetime(2025, 2, 3, 13, 20, tzinfo=UTC)
FRAME = Boundary.bundled().frame
E0, N0 = FRAME.point_to_local(49.01, -111.96)


def geo(east: float, north: float) -> list[float]:
    """[lon, lat] of a point ``east``, ``north`` metres from (E0, N0)."""
    lat, lon = FRAME.point_to_geo(E0 + east, N0 + north)
    return [lon, lat]


def line(*points: tuple[float, float], **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": props,
            "geometry": {"type": "LineString", "coordinates": [geo(*p) for p in points]}}


def network(*features: dict[str, Any]) -> Any:
    return roads_from_geojson({"type": "FeatureCollection", "features": list(features)},
                              FRAME, source="test roads")


def unit_at(east: float, north: float) -> DeclaredUnit:
    lat, lon = FRAME.point_to_geo(E0 + east, N0 + north)
    return DeclaredUnit(unit_id="U1", callsign="Patrol", agency="RCMP",
                        home=Position(lat, lon), road_speed_ms=25.0, offroad_speed_ms=5.0)


def group_at(east: float, north: float, speed: float = 0.0,
             heading: float = 0.0) -> GroupMotion:
    lat, lon = FRAME.point_to_geo(E0 + east, N0 + north)
    return GroupMotion(position=Position(lat, lon), time=NOW, speed_ms=speed,
                       heading_deg=heading, source="track")


def plan_for(roads: Any, unit: DeclaredUnit, group: GroupMotion) -> Any:
    units = ResponderRegistry.of([unit]).units(NOW)
    return propose("INC-1", group, units, NOW, FRAME, roads=roads)


def test_a_far_unit_on_a_highway_gets_there_by_road() -> None:
    roads = network(line((0, 0), (10_000, 0), name="Highway"))
    plan = plan_for(roads, unit_at(0, 0), group_at(10_000, 200))
    best = plan.best
    assert best is not None and best.route == "road"
    # 10 km at 25 m/s, then 200 m off road at 5 m/s; a straight line would take 2,000 s.
    assert best.travel_s == pytest.approx(400 + 40, abs=1.0)
    assert best.road_m == pytest.approx(10_000, rel=1e-3)
    assert len(best.route_path) >= 3
    assert any("test roads" in a for a in plan.to_json()["assumptions"])
    assert plan.to_json()["proposals"][0]["route"] == "road"


def test_a_roads_own_speed_limits_the_unit() -> None:
    roads = network(line((0, 0), (10_000, 0), speed_kmh=36))
    best = plan_for(roads, unit_at(0, 0), group_at(10_000, 200)).best
    assert best is not None
    # At 10 m/s on the road against 5 off it, leaving the road 100 m early (a node every
    # 100 m) and cutting across is the quickest: 9,900 m / 10 + hypot(100, 200) / 5.
    assert best.travel_s == pytest.approx(990 + math.hypot(100, 200) / 5, abs=0.5)


def test_roads_that_only_cross_on_the_map_are_not_joined() -> None:
    # An X: the unit on one arm, the group at the far end of the other. Joined at a shared
    # vertex, the unit turns at the crossing; without one (a bridge), it cannot.
    joined = network(line((0, 0), (5_000, 0), (10_000, 0)),
                     line((5_000, -5_000), (5_000, 0), (5_000, 5_000)))
    bridge = network(line((0, 0), (10_000, 0)), line((5_000, -5_000), (5_000, 5_000)))
    unit, group = unit_at(0, 0), group_at(5_000, 5_150)
    turned = plan_for(joined, unit, group).best
    assert turned is not None and turned.route == "road"
    assert turned.travel_s == pytest.approx(10_000 / 25 + 150 / 5, abs=1.0)
    over = plan_for(bridge, unit, group).best
    assert over is not None and over.travel_s > turned.travel_s + 100


def test_near_the_group_the_straight_line_stays() -> None:
    roads = network(line((0, 3_000), (10_000, 3_000)))
    best = plan_for(roads, unit_at(0, 0), group_at(300, 0)).best
    assert best is not None and best.route == "straight" and best.route_path == ()
    assert best.travel_s == pytest.approx(60.0, abs=0.01)


def test_without_roads_the_answer_is_unchanged() -> None:
    unit, group = unit_at(0, 0), group_at(3_000, 400, speed=1.2, heading=90)
    plain = plan_for(None, unit, group).to_json()
    assert plain["proposals"][0]["route"] == "straight"
    assert "no road network is bundled" in plain["assumptions"][0]


def test_a_moving_group_is_met_where_the_route_ends_at_the_proposed_time() -> None:
    roads = network(line((0, 0), (20_000, 0)))
    best = plan_for(roads, unit_at(0, -300), group_at(15_000, 1_000, speed=1.5,
                                                      heading=180.0)).best
    assert best is not None and best.route == "road"
    t = best.travel_s
    east, north = FRAME.point_to_local(best.point.lat, best.point.lon)
    assert math.hypot(east - (E0 + 15_000), north - (N0 + 1_000 - 1.5 * t)) < 0.5
    # The route's legs at their speeds take the proposed time (off road, road, off road).
    path = np.array([FRAME.point_to_local(p.lat, p.lon) for p in best.route_path])
    legs = np.hypot(*np.diff(path, axis=0).T)
    assert legs[0] / 5.0 + legs[1:-1].sum() / 25.0 + legs[-1] / 5.0 == pytest.approx(t, abs=0.5)


@pytest.mark.parametrize(("features", "field"), [
    ([{"type": "Feature", "geometry": {"type": "Point", "coordinates": [0, 0]}}],
     "features[0].geometry.type"),
    ([line((0, 0), (1, 1)), {"type": "Feature", "geometry": {
        "type": "LineString", "coordinates": [[-111.9, 49.0], [-111.9, 95.0]]}}],
     "features[1].geometry.coordinates[0][1]"),
    ([line((0, 0), (10, 0), speed_kmh=0)], "features[0].properties.speed_kmh"),
    ([], "features"),
])
def test_a_bad_roads_file_names_the_feature_and_field(features: list[Any], field: str) -> None:
    with pytest.raises(InputError) as err:
        network(*features)
    assert err.value.field == field


def test_a_roads_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "roads.geojson"
    path.write_bytes(orjson.dumps({"type": "FeatureCollection",
                                   "features": [line((0, 0), (1_000, 0), name="Range Rd")]}))
    roads = load_roads(path, FRAME)
    assert roads.size == 11 and roads.names == ("Range Rd",)  # cut every 100 m
    path.write_text("{")
    with pytest.raises(InputError, match="not JSON"):
        load_roads(path, FRAME)
