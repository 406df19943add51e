"""Run a scenario's frame sensors: one worker process each, with progress, cached on request.

A camera or drone with a ``frames`` block renders and searches hundreds to thousands of
frames (``sim/lwir/sensor.py``); that is most of a simulation's time. Each sensor has its
own random streams, so the sensors are independent: they run in parallel worker processes
(forked, or spawned when the caller has other threads, as the service's replay does) and give the
same detections as one after the other. ``BORDERWATCH_SIM_WORKERS`` caps the workers
(``1``: run in this process).

``BORDERWATCH_FRAMES_CACHE`` names a folder where each sensor's detections are kept, keyed
by everything they depend on (the sensor, the movers, the weather, the tips, the seed, the
run's window, the map frame) and by the renderer's and the detector's source code. The
test suite sets it so that the Coutts night is rendered once per change of the code, not
once per test; nothing sets it by default, so a demo always renders.
"""

from __future__ import annotations

import functools
import hashlib
import multiprocessing
import os
import pickle
import queue
import tempfile
import threading
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
_CODE = (
    "sim/lwir",
    "sources/thermal",
    "sim/movers.py",
    "sim/sensors.py",
    "sim/frame_sensors.py",
)


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
        while not all(f.done() for f in futures.values()):
            _drain(updates, progress, wait_s=0.2)
        _drain(updates, progress, wait_s=0.0)
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
    s = job.scenario
    facts = repr(
        (
            job.sensor,
            job.flight,
            s.seed,
            s.start,
            s.end,
            s.weather,
            s.groups,
            s.vehicles,
            s.animals,
            s.tips,
            job.frame,
        )
    )
    digest = hashlib.sha256(facts.encode())
    digest.update(_code_fingerprint().encode())
    return digest.hexdigest()[:32]


@functools.lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    # Once per process: the code this process runs is what it loaded, even if the files
    # change while it runs.
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for name in _CODE:
        path = root / name
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in files:
            if file.suffix in (".py", ".json") and file.is_file():
                digest.update(file.relative_to(root).as_posix().encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()


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
