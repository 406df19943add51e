"""`borderwatch detect` as a user runs it: rendered frames on disk in, detections out."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from borderwatch.adapters.sources.jsonl import JsonlDetectionSource
from borderwatch.adapters.sources.thermal.camera import Pose, geo_to_local
from borderwatch.app.cli.main import app
from borderwatch.sim.lwir.export import write_scene
from borderwatch.sim.lwir.scenes import SceneSpec, build

FIXED = SceneSpec(
    seed=601,
    range_m=220.0,
    group_size=4,
    children=2,
    heading_deg=90.0,
    animals=("deer",),
    trees=0,
    rocks=2,
    frames=6,
    focal_mm=50.0,
)
DRONE = SceneSpec(
    seed=602,
    camera="drone",
    range_m=80.0,
    group_size=3,
    children=1,
    animals=("coyote",),
    frames=4,
    focal_mm=13.5,
)


@pytest.fixture(scope="module")
def fixed_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_scene(build(FIXED), tmp_path_factory.mktemp("thermal") / "fixed")


def _detect(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["detect", *args])
    return result.exit_code, result.output


def test_detect_writes_georeferenced_simulated_detections(fixed_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "d.jsonl"
    code, output = _detect(
        str(fixed_dir / "frames"),
        "--camera",
        str(fixed_dir / "camera.yaml"),
        "--detections",
        str(out),
        "--annotations",
        str(fixed_dir / "annotations.json"),
    )
    assert code == 0, output
    assert "animals not people" in output and "simulated" in output
    source = JsonlDetectionSource(out, strict=True)
    detections = list(source)
    assert source.report.rejected == 0
    assert all(d.simulated and d.sigma_m > 0 for d in detections)
    people = [d for d in detections if d.kind.value == "person"]
    assert len({d.time for d in people}) == 6, "the group is seen in every frame"
    assert all(d.count == 4 for d in people)
    # The detector's own range of each count is in the detections (issue 18).
    assert all(d.count_low is not None and d.count_high is not None for d in people)
    assert all(d.count_low <= d.count <= d.count_high for d in people)  # type: ignore[operator]
    assert {d.id for d in detections} == {d.id for d in detections if d.id}  # all have ids
    # The group is where the renderer put it, within the error each detection reports.
    scene = build(FIXED)
    for d in people[:1]:
        pose: Pose = scene.true_poses[0]
        east, north = geo_to_local(pose, [d.lat], [d.lon])
        members = [b for b in scene.bodies[0] if b.kind == "person"]
        true_e = sum(b.east for b in members) / len(members)
        true_n = sum(b.north for b in members) / len(members)
        error = ((east[0] - true_e) ** 2 + (north[0] - true_n) ** 2) ** 0.5
        assert error < 3 * d.sigma_m + 3.0


def test_a_corrupt_frame_is_named_and_the_rest_kept(fixed_dir: Path, tmp_path: Path) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    for f in sorted((fixed_dir / "frames").iterdir()):
        (frames / f.name).write_bytes(f.read_bytes())
    (frames / "frame_000002.tif").write_bytes(b"\x00" * 100)
    out = tmp_path / "d.jsonl"
    code, output = _detect(
        str(frames), "--camera", str(fixed_dir / "camera.yaml"), "--detections", str(out)
    )
    assert code == 0, output
    assert "frame frame_000002.tif: not a readable TIFF" in output
    times = {orjson.loads(line)["time"] for line in out.read_bytes().splitlines()}
    assert len(times) == 5

    strict_out = tmp_path / "strict.jsonl"
    code, output = _detect(
        str(frames),
        "--camera",
        str(fixed_dir / "camera.yaml"),
        "--detections",
        str(strict_out),
        "--strict",
    )
    assert code != 0 and not strict_out.exists()


def test_a_drone_frame_without_a_pose_is_named(tmp_path: Path) -> None:
    folder = write_scene(build(DRONE), tmp_path / "drone")
    log = folder / "poses.csv"
    lines = log.read_text().splitlines()
    log.write_text("\n".join(line for line in lines if not line.startswith("2,")) + "\n")
    out = tmp_path / "d.jsonl"
    code, output = _detect(
        str(folder / "frames"), "--camera", str(folder / "camera.yaml"), "--detections", str(out)
    )
    assert code == 0, output
    assert "frame frame_000002.tif: no pose for frame frame_000002.tif (index 2)" in output
    detections = list(JsonlDetectionSource(out, strict=True))
    assert detections and all(d.simulated for d in detections)
    assert len({d.time for d in detections}) == 3


def test_no_usable_frame_is_an_error_and_nothing_is_written(
    tmp_path: Path, fixed_dir: Path
) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    (frames / "a.png").write_bytes(b"not a png")
    out = tmp_path / "d.jsonl"
    code, _ = _detect(
        str(frames), "--camera", str(fixed_dir / "camera.yaml"), "--detections", str(out)
    )
    assert code != 0 and not out.exists()
