"""Frame readers and camera files: good frames in order, bad ones named and skipped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from borderwatch.adapters.sources.thermal.camera_file import load_camera_file
from borderwatch.adapters.sources.thermal.frames import (
    Frame,
    FrameProblem,
    Radiometry,
    frame_count,
    read_frames,
)
from borderwatch.domain import InputError

RADIOMETRIC = Radiometry(kelvin_per_count=0.01, offset_k=0.0)


def _counts(kelvin: float, shape: tuple[int, int] = (8, 16)) -> np.ndarray:
    return np.full(shape, round(kelvin / 0.01), dtype=np.uint16)


def test_a_folder_of_16_bit_tiffs_is_read_in_name_order_as_kelvin(tmp_path: Path) -> None:
    for i, kelvin in enumerate([246.0, 250.5, 260.0]):
        tifffile.imwrite(tmp_path / f"frame_{i:03d}.tif", _counts(kelvin))
    (tmp_path / "notes.txt").write_text("not a frame")
    frames = list(read_frames(tmp_path, RADIOMETRIC, (8, 16)))
    assert [f.name for f in frames] == ["frame_000.tif", "frame_001.tif", "frame_002.tif"]
    assert all(isinstance(f, Frame) and f.radiometric and f.bit_depth == 16 for f in frames)
    assert [float(f.values[0, 0]) for f in frames] == pytest.approx([246.0, 250.5, 260.0])  # type: ignore[union-attr]
    assert frame_count(tmp_path) == 3


def test_bad_frames_are_named_and_the_others_kept(tmp_path: Path) -> None:
    tifffile.imwrite(tmp_path / "f0.tif", _counts(246.0))
    (tmp_path / "f1.tif").write_bytes(b"II*\x00 this is not really a tiff")
    tifffile.imwrite(tmp_path / "f2.tif", np.zeros((8, 16), np.int32))
    tifffile.imwrite(tmp_path / "f3.tif", _counts(246.0, (9, 16)))
    Image.fromarray(np.zeros((8, 16), np.uint8)).save(tmp_path / "f4.png")
    rgb = np.zeros((8, 16, 3), np.uint8)
    rgb[..., 0] = 200
    Image.fromarray(rgb).save(tmp_path / "f5.png")
    tifffile.imwrite(tmp_path / "f6.tif", _counts(247.0))
    tifffile.imwrite(tmp_path / "f7.tif", _counts(247.0))
    whole = (tmp_path / "f7.tif").read_bytes()
    (tmp_path / "f7.tif").write_bytes(whole[: len(whole) // 2])  # cut off mid-pixels
    items = list(read_frames(tmp_path, RADIOMETRIC, (8, 16)))
    good = [i.name for i in items if isinstance(i, Frame)]
    problems = {i.name: i.reason for i in items if isinstance(i, FrameProblem)}
    assert good == ["f0.tif", "f6.tif"]
    assert "not a readable TIFF" in problems["f1.tif"]
    assert "wrong bit depth" in problems["f2.tif"] and "int32" in problems["f2.tif"]
    assert "differs from the camera's 16x8" in problems["f3.tif"]
    assert "8-bit frame in a run of 16-bit frames" in problems["f4.png"]
    assert "colour image" in problems["f5.png"]
    assert "not a readable TIFF" in problems["f7.tif"]
    assert str(items[1]).startswith("frame f1.tif: ")


def test_8_bit_pngs_are_relative_and_16_bit_counts_can_be_relative(tmp_path: Path) -> None:
    Image.fromarray(np.full((8, 16), 77, np.uint8)).save(tmp_path / "a.png")
    (frame,) = read_frames(tmp_path, RADIOMETRIC)
    assert isinstance(frame, Frame) and not frame.radiometric and frame.bit_depth == 8
    assert float(frame.values[0, 0]) == 77.0
    tifffile.imwrite(tmp_path / "b.tif", _counts(250.0))
    (frame16,) = read_frames(tmp_path / "b.tif", Radiometry(kelvin_per_count=None))
    assert isinstance(frame16, Frame) and not frame16.radiometric


def test_npy_stacks_in_counts_or_kelvin(tmp_path: Path) -> None:
    stack = np.stack([_counts(246.0), _counts(248.0)])
    np.save(tmp_path / "s.npy", stack)
    frames = list(read_frames(tmp_path / "s.npy", RADIOMETRIC))
    assert [f.name for f in frames] == ["s.npy[0]", "s.npy[1]"]
    assert frame_count(tmp_path / "s.npy") == 2
    kelvin = np.full((2, 8, 16), 246.0, np.float32)
    kelvin[1, 0, 0] = np.nan
    np.save(tmp_path / "k.npy", kelvin)
    first, second = read_frames(tmp_path / "k.npy", RADIOMETRIC)
    assert isinstance(first, Frame) and first.bit_depth == 32
    assert isinstance(second, FrameProblem) and "NaN" in second.reason


def test_inputs_that_cannot_be_opened_at_all_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        list(read_frames(tmp_path / "missing", RADIOMETRIC))
    (tmp_path / "x.npy").write_bytes(b"garbage")
    with pytest.raises(InputError, match=r"x\.npy"):
        list(read_frames(tmp_path / "x.npy", RADIOMETRIC))
    (tmp_path / "frames.zip").write_bytes(b"PK")
    with pytest.raises(InputError, match="folder of TIFF/PNG"):
        list(read_frames(tmp_path / "frames.zip", RADIOMETRIC))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="holds no"):
        list(read_frames(empty, RADIOMETRIC))


def test_video_frames_are_read_as_8_bit(tmp_path: Path) -> None:
    cv2 = pytest.importorskip("cv2")
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 9.0, (32, 24))
    for value in (40, 120, 200):
        writer.write(np.full((24, 32, 3), value, np.uint8))
    writer.release()
    frames = list(read_frames(path, RADIOMETRIC, (24, 32)))
    assert [f.name for f in frames] == ["clip.avi frame 0", "clip.avi frame 1", "clip.avi frame 2"]
    assert all(isinstance(f, Frame) and f.bit_depth == 8 for f in frames)
    assert float(frames[2].values.mean()) == pytest.approx(200, abs=3)  # type: ignore[union-attr]


FIXED = """
sensor_id: cam-9
type: fixed
position: {lat: 49.0004, lon: -111.93}
height_m: 15
azimuth_deg: 180
tilt_deg: 1.5
focal_mm: 25
pitch_um: 12
resolution: {width: 640, height: 512}
start: 2025-02-03T13:10:00Z
frame_rate_hz: 10
"""


def test_a_fixed_camera_file_gives_each_frame_its_time(tmp_path: Path) -> None:
    path = tmp_path / "camera.yaml"
    path.write_text(FIXED)
    cam = load_camera_file(path)
    assert cam.fixed and cam.kelvin_per_count == 0.01 and not cam.simulated
    stamped = cam.pose_for(25, "frame_025.tif")
    assert stamped.time.isoformat() == "2025-02-03T13:10:02.500000+00:00"
    assert stamped.pose.tilt_deg == 1.5 and stamped.pose.height_m == 15.0
    path.write_text(FIXED + "focal_lenght_mm: 25\n")
    with pytest.raises(InputError, match=r"camera.yaml: field focal_lenght_mm: unknown field"):
        load_camera_file(path)
    path.write_text(FIXED.replace("tilt_deg: 1.5", "tilt_deg: 95"))
    with pytest.raises(InputError, match="field tilt_deg"):
        load_camera_file(path)


DRONE = """
sensor_id: drone-1
type: drone
focal_mm: 13.5
pitch_um: 12
resolution: {width: 640, height: 512}
pose_log: poses.csv
simulated: true
"""


def test_a_drone_needs_a_pose_for_each_frame(tmp_path: Path) -> None:
    (tmp_path / "camera.yaml").write_text(DRONE)
    (tmp_path / "poses.csv").write_text(
        "frame,time,lat,lon,altitude_agl_m,yaw_deg,gimbal_pitch_deg\n"
        "0,2025-02-03T13:10:00Z,49.001,-111.90,80,45,-90\n"
        "frame_0002.tif,2025-02-03T13:10:01Z,49.001,-111.90,81,46,-60\n"
    )
    cam = load_camera_file(tmp_path / "camera.yaml")
    assert cam.pose_for(0, "frame_0000.tif").pose.tilt_deg == 90.0
    assert cam.pose_for(2, "frame_0002.tif").pose.height_m == 81.0
    with pytest.raises(InputError, match=r"no pose for frame frame_0001.tif \(index 1\)"):
        cam.pose_for(1, "frame_0001.tif")


def test_a_bad_pose_row_names_the_line_and_the_column(tmp_path: Path) -> None:
    (tmp_path / "camera.yaml").write_text(DRONE)
    (tmp_path / "poses.csv").write_text(
        "frame,time,lat,lon,altitude_agl_m,yaw_deg,gimbal_pitch_deg\n"
        "0,2025-02-03T13:10:00Z,49.001,-111.90,80,45,-90\n"
        "1,2025-02-03T13:10:01Z,49.001,-111.90,eighty,45,-90\n"
    )
    with pytest.raises(InputError, match=r"poses.csv line 3: field altitude_agl_m: must be a num"):
        load_camera_file(tmp_path / "camera.yaml")
    (tmp_path / "poses.csv").write_text("frame,time,lat,lon\n")
    with pytest.raises(InputError, match="lacks columns: altitude_agl_m, yaw_deg"):
        load_camera_file(tmp_path / "camera.yaml")
