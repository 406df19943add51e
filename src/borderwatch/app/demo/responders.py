"""The demo's field units and the swift intervention: who is proposed, who is assigned,
and the times from detection to interception.

The RCMP Integrated Border Enforcement Team is in the reports (SCENARIO.md: "a quick
intervention by an RCMP team"); its base, speed and timing are the scenario's assumed
``response``. The second unit, a patrol on Highway 4 about 8 km north of the port,
is not in the reports at all: it is there so that the proposal has a choice to make, and
is marked as assumed. Everything here is simulated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from borderwatch.domain import Alert, Incident, Interception
from borderwatch.domain.position import Position
from borderwatch.geo import Boundary
from borderwatch.respond import (
    DeclaredUnit,
    InterceptPlan,
    ResponderRegistry,
    group_motion,
    propose,
)
from borderwatch.respond.tasking import intercept_task_event
from borderwatch.respond.times import InterventionTimes, Milestone, record
from borderwatch.sim import Scenario
from borderwatch.watch import incident_to_wire

ROAD_SPEED_MS = 22.0
"""About 80 km/h on the highway and range roads: assumed (not reported)."""
UNIT_ASSUMPTIONS = (
    "RCMP-K-IBET: the reported RCMP team; its base, off-road speed and dispatch delay are "
    "the scenario's assumed response, its road speed (22 m/s) is assumed",
    "RCMP-K-HWY4: a second RCMP patrol on Highway 4 about 8 km north of the port, not in "
    "the reports; added so the proposal has a choice",
    "the arrival is where the team meets the simulated group (the same meeting as the "
    "case's interception); the interception is recorded at the arrival",
)


def night_units(scenario: Scenario) -> tuple[DeclaredUnit, ...]:
    """The units declared for the night (all simulated)."""
    response = scenario.response
    if response is None:
        return ()
    return (
        DeclaredUnit(unit_id=response.unit_id, callsign="IBET Coutts", agency="RCMP",
                     home=Position(response.base_lat, response.base_lon),
                     road_speed_ms=ROAD_SPEED_MS, offroad_speed_ms=response.speed_ms,
                     simulated=True),
        DeclaredUnit(unit_id="RCMP-K-HWY4", callsign="Highway 4 patrol", agency="RCMP",
                     home=Position(49.07, -111.96), road_speed_ms=25.0,
                     offroad_speed_ms=10.0, simulated=True),
    )


@dataclass
class Intervention:
    """What the demo proposed, assigned and measured for the crossing."""

    plan: InterceptPlan
    times: InterventionTimes
    task_cot: bytes

    @property
    def assigned_at(self) -> datetime:
        at = self.times.at(Milestone.ASSIGNMENT)
        assert at is not None
        return at

    def to_json(self) -> dict[str, Any]:
        return {"proposal": self.plan.to_json(), "times": self.times.to_json(),
                "assumed": list(UNIT_ASSUMPTIONS), "simulated": True}

    def lines(self) -> list[tuple[datetime, str]]:
        """The timeline's lines: the proposal and assignment, the arrival."""
        best = self.plan.best
        assert best is not None
        others = "; ".join(f"{p.callsign} {p.travel_s / 60:.1f} min"
                           for p in self.plan.proposals[1:])
        arrival = self.times.at(Milestone.ARRIVAL)
        out = [(self.assigned_at,
                f"[bold cyan]intercept proposed[/]: {best.callsign} ({best.unit_id}) reaches "
                f"the predicted path in {best.travel_s / 60:.1f} min at "
                f"{best.point.lat:.5f}, {best.point.lon:.5f}"
                + (f" (next: {others})" if others else "")
                + "; straight line, no roads; assigned, waypoint sent to TAK")]
        if arrival is not None:
            data = self.times.to_json()
            out.append((arrival, "intervention times: " + " -> ".join(
                f"{k.replace('_to_', ' to ')} {v:.0f} s" for k, v in data["intervals_s"].items())
                + f"; detection to interception {data['detection_to_interception_s']:.0f} s"))
        return out


def plan_intervention(
    scenario: Scenario, boundary: Boundary, crossing: Incident, alerts: list[Alert],
    track: dict[str, Any] | None, interception: Interception, ack_delay_s: float,
) -> Intervention | None:
    """Propose at the assignment time (the crossing's detection plus the scenario's
    dispatch delay), assign the best unit, and record detection, alert, acknowledgement
    (the demo's assumed delay), assignment, arrival and interception."""
    response = scenario.response
    if response is None:
        return None
    assigned_at = crossing.detected_at + timedelta(seconds=response.dispatch_delay_s)
    registry = ResponderRegistry.of(night_units(scenario))
    wire = incident_to_wire(crossing)
    plan = propose(crossing.incident_id, group_motion(wire, track), registry.units(assigned_at),
                   assigned_at, boundary.frame, simulated=True)
    best = plan.best
    if best is None:
        return None
    times = InterventionTimes(incident_id=crossing.incident_id, simulated=True)
    alerted = min((a.created_at for a in alerts), default=crossing.detected_at)
    for milestone, at in (
        (Milestone.DETECTION, crossing.detected_at),
        (Milestone.ALERT, alerted),
        (Milestone.ACKNOWLEDGEMENT, alerted + timedelta(seconds=ack_delay_s)),
        (Milestone.ASSIGNMENT, assigned_at),
        (Milestone.ARRIVAL, interception.time),
        (Milestone.INTERCEPTION, interception.time),
    ):
        times = record(times, milestone, at, unit_id=best.unit_id)
    body = intercept_task_event(incident_id=crossing.incident_id, proposal=best,
                                assigned_at=assigned_at, simulated=True)
    return Intervention(plan=plan, times=times, task_cot=body)


def summary_rows(data: dict[str, Any]) -> list[tuple[str, str]]:
    """The closing table's rows for ``summary["intervention"]``."""
    times, proposal = data["times"], data["proposal"]
    best = next((p for p in proposal["proposals"] if p["unit_id"] == proposal["best"]), None)
    rows = []
    if best is not None:
        rows.append(("intercept proposed (best of "
                     f"{len(proposal['proposals'])})",
                     f"{best['callsign']}: {best['travel_s'] / 60:.1f} min, "
                     f"{best['distance_m'] / 1000:.1f} km straight line"))
    rows.append(("detection -> alert -> ack -> assignment -> arrival -> interception",
                 " -> ".join(str(times[m.value] or "-")[11:19] for m in Milestone)
                 + f" UTC ({times.get('detection_to_interception_s', '?')} s in all)"))
    return rows


__all__ = ["Intervention", "night_units", "plan_intervention", "summary_rows"]
