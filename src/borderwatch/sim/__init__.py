"""Scenario simulator with ground truth: a seeded, reproducible night on the border.

Load a scenario file (docs/scenario-format.md), simulate it, and get sensor detections (all
marked simulated) and the truth they were drawn from::

    scenario = load_scenario(bundled_scenario_path("coutts"))
    result = simulate(scenario)
    result.write(Path("detections.jsonl"), Path("truth.jsonl"))
"""

from borderwatch.sim.loader import bundled_scenario_names, bundled_scenario_path, load_scenario
from borderwatch.sim.scenario import (
    Animal,
    Area,
    Camera,
    Drone,
    Group,
    Member,
    Response,
    Scenario,
    Sensor,
    Tip,
    Vehicle,
    Weather,
)
from borderwatch.sim.simulator import SimEvent, SimulationResult, TruthCrossing, simulate

__all__ = [
    "Animal",
    "Area",
    "Camera",
    "Drone",
    "Group",
    "Member",
    "Response",
    "Scenario",
    "Sensor",
    "SimEvent",
    "SimulationResult",
    "Tip",
    "TruthCrossing",
    "Vehicle",
    "Weather",
    "bundled_scenario_names",
    "bundled_scenario_path",
    "load_scenario",
    "simulate",
]
