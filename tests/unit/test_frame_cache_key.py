"""The frame-detection cache key (sim/frame_sensors.py) changes with every input of the
detections it keys: each source file the frame sensors import, the classifier's weights,
and each field of a job. A key that missed one let tests pass on stale cached detections
(issue 18: the thermal detector's folder was not in it at all)."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest

import borderwatch
from borderwatch.geo import Boundary, LocalFrame
from borderwatch.sim import bundled_scenario_path, load_scenario, simulate
from borderwatch.sim import simulator as simulator_module
from borderwatch.sim.frame_sensors import FrameJob, cache_key, code_files, code_fingerprint
from borderwatch.sim.movers import Clock

SOURCE_ROOT = Path(borderwatch.__file__).resolve().parents[1]

NAMED = (
    "borderwatch/sim/frame_sensors.py",
    "borderwatch/sim/lwir/sensor.py",
    "borderwatch/sim/lwir/render.py",  # the LWIR renderer
    "borderwatch/sim/lwir/physics.py",
    "borderwatch/sim/lwir/bodies.py",
    "borderwatch/adapters/sources/thermal/detector.py",  # the thermal detector
    "borderwatch/adapters/sources/thermal/classifier.py",  # and its classifier
    "borderwatch/adapters/sources/thermal/thermal_classifier.json",  # with its weights
    "borderwatch/adapters/sources/thermal/camera.py",  # the camera model
    "borderwatch/geo/projection.py",  # geometry
    "borderwatch/sim/movers.py",
    "borderwatch/sim/scenario.py",
    "borderwatch/sim/sensors.py",
    "borderwatch/domain/detection.py",
)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the source tree to change files in."""
    root = tmp_path_factory.mktemp("src")
    shutil.copytree(
        SOURCE_ROOT / "borderwatch",
        root / "borderwatch",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return root


def test_the_key_covers_the_renderer_the_detector_the_camera_and_the_geometry() -> None:
    names = {f.relative_to(SOURCE_ROOT).as_posix() for f in code_files(SOURCE_ROOT)}
    assert set(NAMED) <= names, set(NAMED) - names
    # Only what the frame sensors reach: not the HTTP service or the statistics.
    assert not any(n.startswith(("borderwatch/app/", "borderwatch/stats/")) for n in names)


def test_changing_any_one_file_it_covers_changes_the_fingerprint(tree: Path) -> None:
    files = code_files(tree)
    assert len(files) >= len(NAMED)
    before = code_fingerprint(tree)
    for file in files:
        original = file.read_bytes()
        file.write_bytes(original + b"\n")  # a blank line: the smallest change there is
        try:
            assert code_fingerprint(tree) != before, file.relative_to(tree)
        finally:
            file.write_bytes(original)
    assert code_fingerprint(tree) == before


def test_a_module_newly_imported_by_the_renderer_is_covered(tree: Path) -> None:
    render = tree / "borderwatch" / "sim" / "lwir" / "render.py"
    original = render.read_text()
    assert not any("cases" in f.parts for f in code_files(tree))
    render.write_text(original + "\n\ndef _late() -> None:\n    import borderwatch.cases.records\n")
    try:
        assert any(f.name == "records.py" and "cases" in f.parts for f in code_files(tree))
    finally:
        render.write_text(original)


@pytest.fixture(scope="module")
def job(monkeypatch_module: pytest.MonkeyPatch) -> FrameJob:
    """The Coutts night's first frame sensor's job, as the simulator builds it (its frames are
    not rendered: the runner is replaced)."""
    jobs: list[FrameJob] = []

    def keep(given, progress=None):  # type: ignore[no-untyped-def]
        jobs.extend(given)
        return []

    monkeypatch_module.setattr(simulator_module, "run_frame_jobs", keep)
    simulate(load_scenario(bundled_scenario_path("coutts")), Boundary.bundled())
    assert jobs
    return jobs[0]


@pytest.fixture(scope="module")
def monkeypatch_module():  # type: ignore[no-untyped-def]
    patch = pytest.MonkeyPatch()
    yield patch
    patch.undo()


def _changed_path(job: FrameJob) -> FrameJob:
    first = job.paths[0]
    east = first.east.copy()
    east[len(east) // 2] += 0.5  # half a metre, in the middle of the night
    return dataclasses.replace(job, paths=(dataclasses.replace(first, east=east), *job.paths[1:]))


CHANGES = {
    "sensor": lambda j: dataclasses.replace(
        j, sensor=dataclasses.replace(j.sensor, revisit_s=j.sensor.revisit_s + 1)
    ),
    "scenario seed": lambda j: dataclasses.replace(
        j, scenario=dataclasses.replace(j.scenario, seed=j.scenario.seed + 1)
    ),
    "scenario weather": lambda j: dataclasses.replace(
        j,
        scenario=dataclasses.replace(
            j.scenario,
            weather=dataclasses.replace(
                j.scenario.weather, temperature_c=j.scenario.weather.temperature_c - 1
            ),
        ),
    ),
    "scenario sensors": lambda j: dataclasses.replace(
        j, scenario=dataclasses.replace(j.scenario, sensors=j.scenario.sensors[:-1])
    ),
    "a true path": _changed_path,
    "presence": lambda j: dataclasses.replace(
        j,
        paths=(
            dataclasses.replace(j.paths[0], present=~j.paths[0].present),
            *j.paths[1:],
        ),
    ),
    "clock": lambda j: dataclasses.replace(j, clock=Clock(j.clock.t0 + 1, j.clock.steps)),
    "frame": lambda j: dataclasses.replace(
        j, frame=LocalFrame(j.frame.lat_0, j.frame.lon_0 + 0.01, j.frame.lat_1, j.frame.lat_2)
    ),
}


@pytest.mark.parametrize("what", sorted(CHANGES))
def test_changing_any_one_input_of_a_job_changes_the_key(job: FrameJob, what: str) -> None:
    before = cache_key(job, "code")
    assert cache_key(job, "code") == before  # the same inputs, the same key
    assert cache_key(CHANGES[what](job), "code") != before


def test_the_code_fingerprint_is_in_the_key(job: FrameJob) -> None:
    assert cache_key(job, "code") != cache_key(job, "other code")


def test_where_the_scenario_was_read_from_is_not_in_the_key(job: FrameJob) -> None:
    moved = dataclasses.replace(job.scenario, source="/elsewhere/coutts.yaml")
    assert cache_key(dataclasses.replace(job, scenario=moved), "c") == cache_key(job, "c")


def test_paths_are_keyed_by_value_not_by_repr(job: FrameJob) -> None:
    # numpy elides the middle of a long array in its repr: a change there must still count.
    first = job.paths[0]
    assert len(first.east) > 2000 and "..." in repr(first.east)
    assert np.array_equal(_changed_path(job).paths[0].east[:3], first.east[:3])
