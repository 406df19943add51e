"""The simulator: reproducible, physically sensible, and true to the Coutts story.

These tests check the detection-table sensor models (docs/scenario-format.md, "Sensors"), so
they run the Coutts night with its cameras' and drone's ``frames`` blocks taken off: the
frames path is tested in tests/integration/test_scenario_frames.py, and the Coutts night as
bundled (through frames) by tests/integration/test_scenario_quality.py and the demo's tests.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
import yaml
from pyproj import Geod

from borderwatch.adapters.sources.detection_wire import parse_detection
from borderwatch.domain import Direction, Kind
from borderwatch.geo import Boundary
from borderwatch.sim import (
    Camera,
    Drone,
    Scenario,
    SimulationResult,
    bundled_scenario_path,
    load_scenario,
    simulate,
)
from borderwatch.sim.movers import Clock, MoverPath
from borderwatch.sim.sensors import plan_flight
from borderwatch.sim.truth import truth_crossings

GEOD = Geod(ellps="WGS84")
CROSSING_0616 = datetime(2025, 2, 3, 13, 16, tzinfo=UTC).timestamp()


@pytest.fixture(scope="module")
def coutts() -> Scenario:
    bundled = load_scenario(bundled_scenario_path("coutts"))
    tables = tuple(dataclasses.replace(s, frames=None) for s in bundled.sensors)
    return dataclasses.replace(bundled, sensors=tables)


def test_the_bundled_coutts_cameras_and_drone_go_through_frames() -> None:
    bundled = load_scenario(bundled_scenario_path("coutts"))
    assert bundled.sensors and all(s.frames is not None for s in bundled.sensors)


@pytest.fixture(scope="module")
def run(coutts: Scenario, boundary: Boundary) -> SimulationResult:
    return simulate(coutts, boundary)


def by_sensor(result: SimulationResult, sensor_id: str) -> list[Any]:
    return [d for d in result.detections if d.sensor_id == sensor_id]


def metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2])


# ---- reproducibility ------------------------------------------------------------------------
def test_same_seed_gives_identical_output(
    coutts: Scenario, boundary: Boundary, run: SimulationResult
) -> None:
    again = simulate(coutts, boundary)
    assert again.detections == run.detections
    assert again.truth == run.truth


def test_another_seed_gives_other_detections(
    coutts: Scenario, boundary: Boundary, run: SimulationResult
) -> None:
    other = simulate(dataclasses.replace(coutts, seed=coutts.seed + 1), boundary)
    assert [(d.lat, d.lon) for d in other.detections] != [(d.lat, d.lon) for d in run.detections]


def test_adding_a_sensor_changes_no_other_sensor(
    coutts: Scenario, boundary: Boundary, run: SimulationResult
) -> None:
    extra = Camera(
        sensor_id="cam-9", position=(49.0004, -111.95), azimuth_deg=180, fov_deg=60, range_m=800
    )
    more = simulate(dataclasses.replace(coutts, sensors=(extra, *coutts.sensors)), boundary)
    assert [d for d in more.detections if d.sensor_id != "cam-9"] == run.detections
    assert by_sensor(more, "cam-9")


# ---- the Coutts truth -----------------------------------------------------------------------
def test_the_group_crosses_once_northbound_at_0616(run: SimulationResult) -> None:
    people = [c for c in run.crossings if c.kind is Kind.PERSON]
    assert len(people) == 1
    (crossing,) = people
    assert crossing.entity_id == "group-1" and crossing.group_size == 9
    assert crossing.direction is Direction.NORTHBOUND
    assert abs(crossing.epoch_s - CROSSING_0616) <= 60
    assert metres(crossing.lat, crossing.lon, 49.0, -111.90) <= 500
    assert crossing.segment == "AB-MT"
    assert abs(run.boundary.signed_distance(crossing.lat, crossing.lon)) < 0.01, "on the line"


def test_the_pickup_stays_on_border_road(run: SimulationResult) -> None:
    assert not [c for c in run.crossings if c.entity_id == "pickup-1"]
    path = run.paths["pickup-1"]
    signed, _ = run.boundary.signed_distance_local(
        path.east[path.present], path.north[path.present]
    )
    assert len(signed) > 600
    assert signed.min() >= 5.0 and signed.max() <= 30.0
    spread = np.ptp(path.east[path.present])
    assert spread > 5000, "drives several km along the line"


def test_an_animal_crosses(run: SimulationResult) -> None:
    assert any(c.kind is Kind.ANIMAL for c in run.crossings)


def test_on_line_sample_is_crossed_through(boundary: Boundary) -> None:
    east, north, _ = boundary.nearest_point_local(*boundary.frame.point_to_local(49.0, -111.9))
    normal = boundary.north_normal(boundary.signed_distance_local([east], [north])[1])[0]
    steps = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    path = MoverPath(
        "p", Kind.PERSON, 1, east + steps * normal[0], north + steps * normal[1], np.ones(5, bool)
    )
    (crossing,) = truth_crossings(path, Clock(1000.0, 5), boundary)
    assert crossing.direction is Direction.NORTHBOUND and crossing.epoch_s == 1002.0
    touch = MoverPath(
        "q",
        Kind.PERSON,
        1,
        path.east[[0, 1, 2, 1, 0]],
        path.north[[0, 1, 2, 1, 0]],
        np.ones(5, bool),
    )
    assert truth_crossings(touch, Clock(1000.0, 5), boundary) == [], "touching is not crossing"


# ---- detections -----------------------------------------------------------------------------
def test_detections_are_simulated_sorted_and_uniquely_named(run: SimulationResult) -> None:
    assert len(run.detections) > 1000
    assert all(d.simulated for d in run.detections)
    ids = [d.id for d in run.detections]
    assert None not in ids and len(set(ids)) == len(ids)
    times = [d.epoch_s for d in run.detections]
    assert times == sorted(times)
    assert all(
        d.time.timestamp() == d.epoch_s and d.time.tzinfo is not None for d in run.detections[:50]
    )
    assert {d.sensor_id for d in run.detections} == {
        "cam-1",
        "cam-2",
        "cam-3",
        "cam-4",
        "drone-1",
        "tip:USBP-HVM",
    }


def _outside_sector_m(camera: Camera, lat: float, lon: float) -> float:
    """How far a point is outside a camera's sector, metres (0 inside)."""
    azimuth, _, dist = GEOD.inv(camera.position[1], camera.position[0], lon, lat)
    off = abs((azimuth - camera.azimuth_deg + 180.0) % 360.0 - 180.0) - camera.fov_deg / 2
    lateral = 0.0 if off <= 0 else dist * math.sin(math.radians(min(off, 90.0)))
    return max(lateral, dist - camera.range_m, 0.0)


def test_camera_detections_lie_in_the_camera_sector(run: SimulationResult) -> None:
    for camera in (s for s in run.scenario.sensors if isinstance(s, Camera)):
        detections = by_sensor(run, camera.sensor_id)
        assert detections
        for d in detections:
            assert _outside_sector_m(camera, d.lat, d.lon) <= 4.5 * d.sigma_m
            r_km = metres(*camera.position, d.lat, d.lon) / 1000
            assert d.sigma_m <= camera.sigma0_m + camera.sigma_per_km_m * (r_km + 0.1) + 1e-9


def test_drone_sees_only_under_itself_after_launch(run: SimulationResult) -> None:
    (drone,) = [s for s in run.scenario.sensors if isinstance(s, Drone)]
    flight = plan_flight(drone, run.scenario.tips, run.boundary)
    detections = by_sensor(run, "drone-1")
    assert detections and min(d.epoch_s for d in detections) >= flight.launch_s
    times = np.array([d.epoch_s for d in detections])
    east, north = flight.position(times, drone)
    lat, lon = run.boundary.frame.to_geo(east, north)
    for d, la, lo in zip(detections, lat, lon, strict=True):
        assert metres(d.lat, d.lon, float(la), float(lo)) <= drone.footprint_m + 4.5 * d.sigma_m
        assert d.children is None, "no age judgement from 120 m"
    # It holds over Alberta: once on station its whole orbit is north of the line.
    later = np.arange(flight.on_station_s, run.clock.t_end, 5.0)
    e, n = flight.position(later, drone)
    assert run.boundary.signed_distance_local(e, n)[0].min() > 0


def test_group_detections_count_members_once_per_scan(run: SimulationResult) -> None:
    group = run.scenario.groups[0]
    clusters = [d for d in run.detections if d.count > 1]
    assert len(clusters) > 500
    assert all(1 <= d.count <= group.group_size for d in run.detections)
    per_scan = Counter((d.sensor_id, d.epoch_s) for d in clusters)
    assert max(per_scan.values()) == 1, "one detection per group per sensor scan"
    for d in clusters:  # only the group has more than one member: each cluster is on it
        true_lat, true_lon = run.position_at(group.entity_id, d.epoch_s)
        assert metres(d.lat, d.lon, true_lat, true_lon) <= 4.5 * d.sigma_m + 0.5
    counts = Counter(d.count for d in clusters)
    assert counts[9] > 0 and counts[8] > 0, "full counts and counts with one member occluded"


def test_cameras_label_people_mostly_as_people(run: SimulationResult) -> None:
    clusters = [d for d in by_sensor(run, "cam-2") if d.count > 1]
    share = Counter(d.kind for d in clusters)[Kind.PERSON] / len(clusters)
    assert 0.80 <= share <= 0.90


def test_children_are_judged_only_close_to_a_camera(run: SimulationResult) -> None:
    cameras = {s.sensor_id: s for s in run.scenario.sensors if isinstance(s, Camera)}
    judged = [d for d in run.detections if d.children is not None]
    assert judged, "the cameras saw children (SCENARIO.md)"
    for d in judged:
        camera = cameras[d.sensor_id]
        assert d.kind is Kind.PERSON and 0 <= d.children <= d.count
        assert metres(*camera.position, d.lat, d.lon) <= camera.children_range_m + 4.5 * d.sigma_m
    assert max(d.children for d in judged) == 5
    far = [
        d for d in by_sensor(run, "cam-2") if metres(*cameras["cam-2"].position, d.lat, d.lon) > 500
    ]
    assert far and all(d.children is None for d in far)


def test_the_tip_comes_before_the_crossing(run: SimulationResult) -> None:
    (tip,) = by_sensor(run, "tip:USBP-HVM")
    (crossing,) = [c for c in run.crossings if c.kind is Kind.PERSON]
    assert tip.epoch_s < crossing.epoch_s and tip.count == 1 and tip.sigma_m == 400
    assert tip.kind is Kind.PERSON and tip.simulated
    assert metres(tip.lat, tip.lon, *run.position_at("group-1", tip.epoch_s)) <= 500
    (event,) = [e for e in run.events if e.kind == "tip"]
    assert event.sensor_id == "tip:USBP-HVM" and "head count" in event.text
    launch = next(e for e in run.events if e.kind == "drone_launch")
    on_station = next(e for e in run.events if e.kind == "drone_on_station")
    assert launch.epoch_s == tip.epoch_s + 360 < on_station.epoch_s < crossing.epoch_s


def slit_scenario(tmp_path: Path, **camera: Any) -> Scenario:
    """Two people walking due south away from a camera at Emerson, which looks due south."""
    raw: dict[str, Any] = {
        "name": "slit",
        "title": "t",
        "description": "d",
        "timezone": "America/Winnipeg",
        "start": "2025-01-20T08:00:00Z",
        "end": "2025-01-20T08:10:00Z",
        "seed": 1,
        "weather": {"temperature_c": -30, "snow_cover": True},
        "groups": [
            {
                "entity_id": "pair",
                "speed_ms": 1.0,
                "waypoints": [{"lat": 48.9990, "lon": -97.2650}, {"lat": 48.9930, "lon": -97.2650}],
                "members": [{"member_id": "a", "age": 30}, {"member_id": "b", "age": 8}],
            }
        ],
        "sensors": [
            {
                "type": "camera",
                "sensor_id": "slit",
                "position": {"lat": 49.0004, "lon": -97.2650},
                "azimuth_deg": 180,
                "fov_deg": 4,
                "range_m": 1000,
                "pd_near": 1.0,
                "pd_far": 1.0,
                "clutter_per_scan": 0,
                "p_occluded": 0,
                "children_range_m": 300,
                **camera,
            }
        ],
    }
    path = tmp_path / "slit.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return load_scenario(path)


def test_camera_azimuth_is_a_true_bearing(tmp_path: Path, boundary: Boundary) -> None:
    """At Emerson grid north is ~9 degrees off true north: a camera looking due south
    through a 4-degree slit must still see a walker on its meridian in every scan."""
    result = simulate(slit_scenario(tmp_path), boundary)
    assert len(result.detections) == 601  # one per 1 s scan, pd 1, nothing occluded
    assert all(d.count == 2 for d in result.detections)
    camera = (49.0004, -97.2650)
    for d in result.detections:
        near = metres(*camera, *result.position_at("pair", d.epoch_s)) <= 300
        assert (d.children is not None) == (near and d.kind is Kind.PERSON)
        assert d.children in (None, 1)


def test_occlusion_never_hides_a_whole_group(tmp_path: Path, boundary: Boundary) -> None:
    result = simulate(slit_scenario(tmp_path, p_occluded=0.9), boundary)
    counts = Counter(d.count for d in result.detections)
    assert len(result.detections) == 601 and set(counts) == {1, 2}
    assert counts[1] > counts[2], "mostly one of the two is hidden"


# ---- Emerson --------------------------------------------------------------------------------
def test_emerson_has_crossings_both_ways(boundary: Boundary) -> None:
    result = simulate(load_scenario(bundled_scenario_path("emerson")), boundary)
    people = {c.entity_id: c for c in result.crossings if c.kind is Kind.PERSON}
    assert people["walker-south"].direction is Direction.SOUTHBOUND
    assert people["group-north"].direction is Direction.NORTHBOUND
    assert people["group-north"].group_size == 4
    assert {c.segment for c in people.values()} == {"MB-ND"}
    assert not [c for c in result.crossings if c.kind is Kind.VEHICLE]
    assert result.detections and all(d.simulated for d in result.detections)


# ---- outputs --------------------------------------------------------------------------------
def test_write_produces_valid_jsonl(run: SimulationResult, tmp_path: Path) -> None:
    det_path, truth_path = tmp_path / "out" / "detections.jsonl", tmp_path / "truth.jsonl"
    run.write(det_path, truth_path)
    assert sorted(p.name for p in tmp_path.rglob("*")) == [
        "detections.jsonl",
        "out",
        "truth.jsonl",
    ], "no temporary files left behind"
    lines = det_path.read_bytes().splitlines()
    parsed = [parse_detection(orjson.loads(line)) for line in lines]
    assert len(parsed) == len(run.detections) and all(d.simulated for d in parsed)
    assert [d.id for d in parsed] == [d.id for d in run.detections]
    records = [orjson.loads(line) for line in truth_path.read_bytes().splitlines()]
    assert all(r["simulated"] is True for r in records)
    types = Counter(r["type"] for r in records)
    assert types["crossing"] == len(run.crossings) and types["event"] == len(run.events)
    assert types["entity"] == 1 + len(run.scenario.vehicles) + len(run.scenario.animals)
    (group,) = [r for r in records if r["type"] == "entity" and r["kind"] == "person"]
    assert group["group_size"] == 9 and len(group["members"]) == 9
    assert {"member_id", "age", "nationality", "sex", "assumed"} <= set(group["members"][0])
    crossing = next(r for r in records if r["type"] == "crossing" and r["kind"] == "person")
    assert crossing["time"].startswith("2025-02-03T13:1") and crossing["time"].endswith("Z")
    assert crossing["direction"] == "northbound"


def test_truth_positions_every_10_s_match_position_at(run: SimulationResult) -> None:
    positions = [r for r in run.truth if r["type"] == "position" and r["entity_id"] == "group-1"]
    stamps = [datetime.fromisoformat(r["time"]).timestamp() for r in positions]
    assert np.all(np.diff(stamps) == 10)
    for record, stamp in zip(positions[::40], stamps[::40], strict=True):
        lat, lon = run.position_at("group-1", stamp)
        assert metres(lat, lon, record["lat"], record["lon"]) < 0.05
    with pytest.raises(KeyError):
        run.position_at("nobody", stamps[0])
