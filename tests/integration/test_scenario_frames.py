"""Scenario sensors that produce frames: the simulator renders, the detector reports."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from borderwatch.domain import InputError, Kind
from borderwatch.sim import load_scenario, simulate

SCENARIO = """
name: frames-test
title: "Frame-producing camera (simulated)"
description: Three people walk north across the view of a thermal camera; a deer wanders.
timezone: America/Edmonton
start: 2025-02-03T06:10:00-07:00
end: 2025-02-03T06:11:00-07:00
seed: 7
weather: {temperature_c: -27.0, snow_cover: true}
groups:
  - entity_id: group-1
    speed_ms: 0.8
    waypoints:
      - {lat: 48.9997, lon: -111.9000}
      - {lat: 49.0020, lon: -111.9000}
    members:
      - {member_id: a, age: 35}
      - {member_id: b, age: 8}
      - {member_id: c, age: 40}
animals:
  - entity_id: deer-1
    species: deer
    start_position: {lat: 49.0000, lon: -111.8990}
    area: {south: 48.9990, north: 49.0010, west: -111.9010, east: -111.8980}
sensors:
  - type: camera
    sensor_id: cam-t
    position: {lat: 49.0000, lon: -111.9040}
    azimuth_deg: 90
    fov_deg: 17.5
    range_m: 600
    revisit_s: 2
    frames: {height_m: 12}
"""


def test_a_frame_camera_reports_what_its_detector_finds(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO)
    result = simulate(load_scenario(path))
    frames = [d for d in result.detections if d.sensor_id == "cam-t"]
    assert frames and all(d.simulated for d in frames)
    people = [d for d in frames if d.kind == Kind.PERSON]
    animals = [d for d in frames if d.kind == Kind.ANIMAL]
    assert len(people) >= 20 and len(animals) >= 10
    counts = Counter(d.count for d in people)
    assert counts.most_common(1)[0][0] == 3
    errors = []
    for d in people:
        lat, lon = result.position_at("group-1", d.epoch_s)
        east, north = result.boundary.frame.point_to_local(lat, lon)
        got_e, got_n = result.boundary.frame.point_to_local(d.lat, d.lon)
        errors.append(float(np.hypot(east - got_e, north - got_n)) / d.sigma_m)
    assert np.median(errors) < 2.0


def test_an_unknown_frames_field_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.replace("frames: {height_m: 12}", "frames: {hieght_m: 12}"))
    with pytest.raises(InputError, match=r"sensors\[0\].frames.hieght_m: unknown field"):
        load_scenario(path)
