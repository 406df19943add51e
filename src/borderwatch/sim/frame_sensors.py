"""Run a scenario's frame sensors: one worker process each, with progress, cached on request.

A camera or drone with a ``frames`` block renders and searches hundreds to thousands of
frames (``sim/lwir/sensor.py``); that is most of a simulation's time. Each sensor has its
own random streams, so the sensors are independent: they run in parallel worker processes
(forked, or spawned when the caller has other threads, as the service's replay does) and give the
same detections as one after the other. ``BORDERWATCH_SIM_WORKERS`` caps the workers
(``1``: run in this process).

``BORDERWATCH_FRAMES_CACHE`` names a folder where each sensor's detections are kept, keyed
by everything that produced them (``cache_key``): the sensor and its flight, the whole
scenario, the movers' true paths, the clock, the map frame, and the source of every
Borderwatch module the frame sensors import, found by following their imports (the LWIR
renderer, the thermal detector and classifier with its weights, the camera model, the
geometry, the domain types). The test suite sets it so that the Coutts night is rendered
once per change of the code, not once per test; nothing sets it by default, so a demo
always renders. A key that left out one input let tests pass on stale detections (issue
18): ``tests/unit/test_frame_cache_key.py`` changes each input and expects a new key.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import modulefinder
import multiprocessing
import os
import pickle
import queue
import tempfile
import threading
import time
import warnings
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from borderwatch.geo import LocalFrame
from borderwatch.sim.movers import Clock, MoverPath
from borderwatch.sim.scenario import Camera, Drone, Scenario
from borderwatch.sim.sensors import DroneFlight, FrameProgress, Observations

CACHE_ENV = "BORDERWATCH_FRAMES_CACHE"
WORKERS_ENV = "BORDERWATCH_SIM_WORKERS"
FRAME_MODULES = ("borderwatch.sim.frame_sensors", "borderwatch.sim.lwir.sensor")
"""Where the frame sensors' code starts; ``code_files`` follows the imports from these."""
DATA_SUFFIXES = frozenset({".json", ".yaml", ".yml", ".geojson", ".npz", ".npy", ".csv"})
"""Files beside an imported module that it may read (the classifier's weights)."""


@dataclass(frozen=True)
class FrameJob:
    """One frame sensor's work, everything it needs (picklable, for a worker process)."""

    sensor: Camera | Drone
    flight: DroneFlight | None
    scenario: Scenario
    paths: tuple[MoverPath, ...]
    clock: Clock
    frame: LocalFrame


def run_frame_jobs(
    jobs: Sequence[FrameJob], progress: FrameProgress | None = None
) -> list[Observations]:
    """Each job's observations, in the jobs' order."""
    cache = os.environ.get(CACHE_ENV)
    results: list[Observations | None] = [None] * len(jobs)
    todo: list[int] = []
    for i, job in enumerate(jobs):
        hit = _cached(Path(cache), job) if cache else None
        if hit is not None:
            results[i] = hit
            if progress is not None:
                progress(job.sensor.sensor_id, 1, 1)
        else:
            todo.append(i)
    workers = min(len(todo), _workers())
    if workers <= 1:
        for i in todo:
            results[i] = _run(jobs[i], progress)
    else:
        try:
            done = _in_parallel([jobs[i] for i in todo], workers, progress)
        except BrokenProcessPool:
            # A spawned worker could not start: the caller's main module runs code when
            # imported (no ``if __name__ == "__main__"`` guard) while it has threads.
            warnings.warn(
                "frame sensors: worker processes could not start; simulating them here",
                RuntimeWarning,
                stacklevel=2,
            )
            done = [_run(jobs[i], progress) for i in todo]
        for i, obs in zip(todo, done, strict=True):
            results[i] = obs
    if cache:
        for i in todo:
            _store(Path(cache), jobs[i], results[i])
    return [r for r in results if r is not None]


def _workers() -> int:
    given = os.environ.get(WORKERS_ENV)
    if given:
        return max(int(given), 1)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _run(job: FrameJob, progress: FrameProgress | None) -> Observations:
    # Imported here: the renderer and the detector load only when a sensor uses them.
    from borderwatch.sim.lwir.sensor import camera_frame_observations, drone_frame_observations

    if isinstance(job.sensor, Camera):
        return camera_frame_observations(
            job.sensor, job.scenario, job.paths, job.clock, job.frame, progress=progress
        )
    assert job.flight is not None
    return drone_frame_observations(
        job.sensor, job.flight, job.scenario, job.paths, job.clock, job.frame, progress=progress
    )


_progress_queue: Any = None


def _worker_init(progress_queue: Any) -> None:
    global _progress_queue
    _progress_queue = progress_queue


def _worker_progress(sensor_id: str, done: int, total: int) -> None:
    _progress_queue.put((sensor_id, done, total))


def _worker_run(job: FrameJob) -> Observations:
    return _run(job, _worker_progress)


def _in_parallel(
    jobs: list[FrameJob], workers: int, progress: FrameProgress | None
) -> list[Observations]:
    # Fork is quick and needs nothing of the caller, but a process with other threads must
    # not fork (a lock held by another thread stays locked in the child): then spawn, which
    # needs the caller's main module to be importable (an ``if __name__ == "__main__"``
    # guard: the console scripts, pytest and the service have one).
    single = threading.active_count() == 1
    fork = single and "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if fork else "spawn")
    updates = context.Queue()
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_worker_init, initargs=(updates,)
    ) as pool:
        # The longest jobs first, so that no worker is left with a long one at the end.
        order = sorted(range(len(jobs)), key=lambda i: -_weight(jobs[i]))
        futures: dict[int, Future[Observations]] = {
            i: pool.submit(_worker_run, jobs[i]) for i in order
        }
        finished: set[str] = set()

        def told(sensor_id: str, done: int, total: int) -> None:
            if done >= total:
                finished.add(sensor_id)
            if progress is not None:
                progress(sensor_id, done, total)

        while not all(f.done() for f in futures.values()):
            _drain(updates, told, wait_s=0.2)
        # A worker's last reports can still be in the queue's pipe when its result is in:
        # wait a little for each sensor's "done", else a log's progress ends short of it.
        deadline = time.monotonic() + 2.0
        while len(finished) < len(jobs) and time.monotonic() < deadline:
            _drain(updates, told, wait_s=0.1)
        return [futures[i].result() for i in range(len(jobs))]


def _drain(updates: Any, progress: FrameProgress | None, wait_s: float) -> None:
    try:
        item = updates.get(timeout=wait_s) if wait_s > 0 else updates.get_nowait()
        while True:
            if progress is not None:
                progress(*item)
            item = updates.get_nowait()
    except queue.Empty:
        return


def _weight(job: FrameJob) -> float:
    """Rough work of a job: its scans (a drone's only from launch)."""
    start = job.clock.t0 if job.flight is None else max(job.flight.launch_s, job.clock.t0)
    return (job.clock.t_end - start) / job.sensor.revisit_s


def _key(job: FrameJob) -> str:
    return cache_key(job, _code_fingerprint())


def cache_key(job: FrameJob, code: str) -> str:
    """The cache key of a job's detections given the fingerprint of the code that makes
    them: every input of ``_run`` (the sensor, its flight, the scenario, the true paths,
    the clock, the frame) and the code."""
    # The scenario's file name says where it came from, not what it is.
    scenario = dataclasses.replace(job.scenario, source="")
    digest = hashlib.sha256()
    digest.update(repr((job.sensor, job.flight, scenario, job.clock, job.frame)).encode())
    for path in job.paths:
        # Arrays by their bytes: their repr elides the middle of a long array.
        digest.update(repr((path.entity_id, path.kind, path.group_size, path.child_flags)).encode())
        for array in (path.east, path.north, path.present):
            digest.update(str(array.dtype).encode())
            digest.update(array.tobytes())
    digest.update(code.encode())
    return digest.hexdigest()[:32]


@functools.lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    # Once per process: the code this process runs is what it loaded, even if the files
    # change while it runs.
    return code_fingerprint(Path(__file__).resolve().parents[2])


def code_fingerprint(source_root: Path) -> str:
    """A digest of every file ``code_files`` names under ``source_root`` (the folder that
    holds ``borderwatch/``): names and contents."""
    digest = hashlib.sha256()
    for file in code_files(source_root):
        digest.update(file.relative_to(source_root).as_posix().encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


class _BorderwatchModules(modulefinder.ModuleFinder):
    """Follows imports inside Borderwatch only (numpy, OpenCV and the rest are pinned by the
    environment, not by this key)."""

    def import_module(self, partname: str, fqname: str, parent: Any) -> Any:
        if fqname.split(".")[0] != "borderwatch":
            return None
        return super().import_module(partname, fqname, parent)


def code_files(source_root: Path) -> list[Path]:
    """The source of every Borderwatch module the frame sensors import, directly or through
    other modules (``FRAME_MODULES`` and everything they reach, the imports inside functions
    too), and the data files beside them (``DATA_SUFFIXES``), sorted."""
    finder = _BorderwatchModules(path=[str(source_root)])
    for name in FRAME_MODULES:
        finder.import_hook(name)
    found = (getattr(m, "__file__", None) for m in finder.modules.values())
    modules = {Path(f) for f in found if f}
    data = {
        f
        for folder in {m.parent for m in modules}
        for f in folder.iterdir()
        if f.suffix in DATA_SUFFIXES and f.is_file()
    }
    return sorted(modules | data)


def _cached(folder: Path, job: FrameJob) -> Observations | None:
    path = folder / f"{job.sensor.sensor_id}-{_key(job)}.pickle"
    if not path.is_file():
        return None
    with path.open("rb") as handle:
        obs = pickle.load(handle)
    return obs if isinstance(obs, Observations) else None


def _store(folder: Path, job: FrameJob, obs: Observations | None) -> None:
    if obs is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{job.sensor.sensor_id}-{_key(job)}.pickle"
    # Written beside and renamed: parallel test workers never read half a file.
    with tempfile.NamedTemporaryFile("wb", dir=folder, delete=False, suffix=".tmp") as handle:
        pickle.dump(obs, handle)
    os.replace(handle.name, path)
