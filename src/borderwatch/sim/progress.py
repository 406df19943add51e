"""A progress bar while a scenario's frame sensors render and search their frames.

Rendering and searching thousands of frames takes tens of seconds (the Coutts night: its
cameras and drone, ``sim/frame_sensors.py``), so the demo and ``borderwatch simulate`` show
one bar per frame sensor; a scenario without frame sensors simulates in a moment and shows
none.
"""

from __future__ import annotations

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
