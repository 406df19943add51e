"""Camera files (adapters/sources/thermal/camera_file.py) and drone pose logs, for any
bytes, any YAML value, any mutation of a valid camera and any pose log: a camera or an
InputError (with the line for a pose log row)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from borderwatch.adapters.sources.thermal.camera_file import (
    POSE_COLUMNS,
    CameraFile,
    load_camera_file,
    parse_camera,
    read_pose_log,
)
from tests.property.strategies import (
    EDGE_NUMBERS,
    EDGE_TEXT,
    PROPERTY,
    YAML_VALUES,
    mutated,
    parsed_or_refused,
)

FIXED = {
    "sensor_id": "cam-9",
    "type": "fixed",
    "position": {"lat": 49.0004, "lon": -111.93},
    "height_m": 15,
    "azimuth_deg": 180,
    "tilt_deg": 1.5,
    "focal_mm": 25,
    "pitch_um": 12,
    "resolution": {"width": 640, "height": 512},
    "start": "2025-02-03T13:10:00Z",
    "frame_rate_hz": 10,
    "radiometric": {"kelvin_per_count": 0.01, "offset_k": 0},
    "errors": {"position_m": 1, "pixel": 0.5},
}
DRONE = {
    "sensor_id": "drone-1",
    "type": "drone",
    "focal_mm": 13.5,
    "pitch_um": 12,
    "resolution": {"width": 640, "height": 512},
    "pose_log": "poses.csv",
    "simulated": True,
}
POSES = (
    "frame,time,lat,lon,altitude_agl_m,yaw_deg,gimbal_pitch_deg\n"
    "0,2025-02-03T13:10:00Z,49.001,-111.90,80,45,-90\n"
    "frame_0002.tif,2025-02-03T13:10:01Z,49.001,-111.90,81,46,-60\n"
)
CELL = st.one_of(
    EDGE_TEXT.filter(lambda s: len(s) < 100),
    EDGE_NUMBERS.map(str),
    st.text(max_size=12),
    st.sampled_from(['"', '""', '"a,b"', "\r", "\n", ",", "2025-02-03T13:10:00+14:00"]),
)


def _check(camera: CameraFile | None) -> None:
    if camera is None:
        return
    intr = camera.intrinsics
    assert 16 <= intr.width_px <= 16_384 and 16 <= intr.height_px <= 16_384
    assert camera.sensor_id
    if camera.fixed:
        assert camera.pose_for(3, "frame_003.tif").time.utcoffset() is not None


def _in_folder(files: dict[str, bytes], then: Any) -> Any:
    with tempfile.TemporaryDirectory() as folder:
        for name, data in files.items():
            (Path(folder) / name).write_bytes(data)
        return then(Path(folder))


@PROPERTY
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_file_is_a_camera_or_refused(data: bytes) -> None:
    camera = _in_folder(
        {"camera.yaml": data, "poses.csv": POSES.encode()},
        lambda d: parsed_or_refused(load_camera_file, d / "camera.yaml"),
    )
    _check(camera)


@PROPERTY
@given(st.sampled_from([FIXED, DRONE]).flatmap(lambda valid: mutated(valid, YAML_VALUES)))
def test_a_mutated_camera_is_a_camera_or_refused(raw: Any) -> None:
    text = yaml.safe_dump(raw).encode() if isinstance(raw, dict) else b"x"
    camera = _in_folder(
        {"poses.csv": POSES.encode(), "c.yaml": text},
        lambda d: parsed_or_refused(parse_camera, raw, base_dir=d),
    )
    _check(camera)


@PROPERTY
@given(
    st.lists(st.sampled_from(POSE_COLUMNS) | st.text(max_size=6), min_size=0, max_size=9),
    st.lists(st.lists(CELL, max_size=8), max_size=5),
    st.booleans(),
)
def test_any_pose_log_is_poses_or_a_refusal_naming_the_line(
    header: list[str], rows: list[list[str]], canonical: bool
) -> None:
    columns = list(POSE_COLUMNS) if canonical else header
    text = "\n".join(",".join(row) for row in [columns, *rows])
    poses = _in_folder(
        {"poses.csv": text.encode("utf-8", "surrogatepass")},
        lambda d: parsed_or_refused(read_pose_log, d / "poses.csv"),
    )
    if poses is not None:
        by_index, by_name = poses
        for stamped in [*by_index.values(), *by_name.values()]:
            assert -90 <= stamped.pose.lat <= 90 and 0 <= stamped.pose.azimuth_deg < 360
            assert stamped.time.utcoffset() is not None


@PROPERTY
@given(st.binary(max_size=200))
def test_a_pose_log_of_any_bytes_is_poses_or_refused(data: bytes) -> None:
    _in_folder({"poses.csv": data}, lambda d: parsed_or_refused(read_pose_log, d / "poses.csv"))


def test_the_templates_are_valid_cameras(tmp_path: Path) -> None:
    (tmp_path / "poses.csv").write_text(POSES)
    assert parse_camera(FIXED, base_dir=tmp_path).fixed
    assert not parse_camera(DRONE, base_dir=tmp_path).fixed
