"""A progress bar while a scenario's frame sensors render and search their frames.

Rendering and searching thousands of frames takes tens of seconds (the Coutts night: its
cameras and drone, ``sim/frame_sensors.py``), so the demo and ``borderwatch simulate`` show
one bar per frame sensor; a scenario without frame sensors simulates in a moment and shows
none. When the console is not a terminal (a log, a pipe, CI) rich draws no bar at all, so
progress is plain lines there instead (``PlainProgress``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from borderwatch.geo import Boundary
from borderwatch.sim.scenario import Scenario
from borderwatch.sim.simulator import SimulationResult, simulate


def simulate_with_progress(
    scenario: Scenario, boundary: Boundary | None, console: Console
) -> SimulationResult:
    """``simulate``, with a bar per frame sensor on ``console`` (removed when done)."""
    frame_sensors = [s.sensor_id for s in scenario.sensors if s.frames is not None]
    if not frame_sensors:
        return simulate(scenario, boundary)
    if not console.is_terminal:
        return simulate(scenario, boundary, progress=PlainProgress(console))
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("scans"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        # Redrawn when told, not by a thread of its own: the frame sensors' worker
        # processes are forked only from a process without other threads.
        auto_refresh=False,
    ) as bar:
        tasks = {
            sensor_id: bar.add_task(f"{sensor_id}: rendering frames, detecting", total=None)
            for sensor_id in frame_sensors
        }

        def advance(sensor_id: str, done: int, total: int) -> None:
            bar.update(tasks[sensor_id], completed=done, total=total, refresh=True)

        return simulate(scenario, boundary, progress=advance)


@dataclass
class PlainProgress:
    """Progress as lines for a console that is not a terminal: one per frame sensor at
    each ``step`` of its scans (a quarter by default) and when it is done, with the time
    since the first report. ``clock`` is for tests."""

    console: Console
    step: float = 0.25
    clock: Callable[[], float] = time.monotonic
    _started: float | None = None
    _said: dict[str, int] = field(default_factory=dict)

    def __call__(self, sensor_id: str, done: int, total: int) -> None:
        now = self.clock()
        if self._started is None:
            self._started = now
        # The quarter reached (0-4); a line only when it moves on, so a sensor's
        # thousands of scans print five lines at most.
        reached = int(done / total / self.step) if total > 0 else 0
        if self._said.get(sensor_id, -1) >= reached:
            return
        self._said[sensor_id] = reached
        state = "done" if total > 0 and done >= total else "rendering frames, detecting"
        self.console.print(
            f"{sensor_id}: {state}, {done}/{total} scans ({done / max(total, 1):.0%}), "
            f"{now - self._started:.0f} s",
            highlight=False,
        )
