"""The responders desk of a running service: the registry of field units (behind one
lock), the intervention times in the store, the intercept proposal, the assignment sent
to the unit through the outbox, and the ``responder`` events of the live feed.

Its :meth:`ResponderDesk.report` is the ``ResponderSink`` port (ports/responders.py) that
position reports come in through (a TAK connection, a test, the demo)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from borderwatch.alerts.outbox import Message, Outbox
from borderwatch.domain.responder import ResponderPosition
from borderwatch.domain.time import format_time, parse_time
from borderwatch.geo.projection import LocalFrame
from borderwatch.geo.roads import RoadNetwork
from borderwatch.respond import (
    HORIZON_S,
    Availability,
    InterceptPlan,
    ResponderRegistry,
    UnitView,
    group_motion,
    propose,
)
from borderwatch.respond.tasking import intercept_task_event, task_uid
from borderwatch.respond.times import (
    InterventionStore,
    InterventionTimes,
    Milestone,
    TimesError,
    record,
)


class AssignError(Exception):
    """The unit cannot be assigned (unknown, not available, stale, cannot reach)."""


@dataclass
class Assignment:
    """What an assignment did: the times recorded, the proposal followed, the task sent."""

    times: InterventionTimes
    plan: InterceptPlan
    unit_id: str
    sent_to: tuple[str, ...]
    task_uid: str

    def to_json(self) -> dict[str, Any]:
        chosen = next(p for p in self.plan.proposals if p.unit_id == self.unit_id)
        return {"times": self.times.to_json(), "proposal": chosen.to_json(),
                "task": {"uid": self.task_uid, "sent_to": list(self.sent_to)},
                "simulated": self.plan.simulated or self.times.simulated}


@dataclass
class ResponderDesk:
    """The registry, the store and the ways out (feed, outbox), for the HTTP side."""

    registry: ResponderRegistry
    store: InterventionStore
    frame: LocalFrame
    publish: Callable[[dict[str, Any]], None] = lambda event: None
    outbox: Outbox | None = None
    cot: tuple[str, ...] = ()
    """Where tasks go (the deployment's TAK servers); none: recorded, not sent."""
    wake: Callable[[], None] | None = None
    horizon_s: float = HORIZON_S
    roads: RoadNetwork | None = None
    """The deployment's roads: intercepts by road where sooner (respond/by_road.py)."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    # -- the ResponderSink port --------------------------------------------------------

    def report(self, position: ResponderPosition, *, simulated: bool = False) -> bool:
        """Take a unit's position report; a newer one is published on the live feed."""
        with self.lock:
            kept = self.registry.report(position, simulated=simulated)
            view = self.registry.unit(position.uid, position.time) if kept else None
        if view is not None:
            self._publish(view)
        return kept

    # -- reads -------------------------------------------------------------------------

    def units(self, now: datetime) -> list[UnitView]:
        with self.lock:
            return self.registry.units(now)

    def plan(self, incident: dict[str, Any], track: dict[str, Any] | None,
             now: datetime) -> InterceptPlan:
        motion = group_motion(incident, track)
        with self.lock:
            units = self.registry.units(now)
        return propose(str(incident["incident_id"]), motion, units, now, self.frame,
                       horizon_s=self.horizon_s, simulated=bool(incident.get("simulated")),
                       roads=self.roads)

    def times(self, incident: dict[str, Any], alerts: Iterable[dict[str, Any]]
              ) -> InterventionTimes:
        """The stored times with what the incident and its alerts say (detection, first
        alert, first acknowledgement), not stored until something is recorded."""
        held = self.store.get(str(incident["incident_id"])) or InterventionTimes(
            incident_id=str(incident["incident_id"]), simulated=bool(incident.get("simulated")))
        return _derived(held, incident, alerts)

    # -- writes ------------------------------------------------------------------------

    def assign(self, incident: dict[str, Any], track: dict[str, Any] | None,
               alerts: Iterable[dict[str, Any]], unit_id: str | None,
               now: datetime) -> Assignment:
        """Assign ``unit_id`` (None: the best proposed) to the incident at ``now``: the
        assignment time is stored, the unit marked assigned, and the waypoint queued for
        every TAK destination, in one transaction of the outbox's store when it is the
        same as the times' (it is, in the service). Raises :class:`AssignError`, or
        ``TimesError`` when the times refuse it."""
        plan = self.plan(incident, track, now)
        chosen = (plan.best if unit_id is None
                  else next((p for p in plan.proposals if p.unit_id == unit_id), None))
        if chosen is None:
            why = dict(plan.skipped).get(unit_id or "", plan.reason or "not proposed")
            if unit_id is not None and all(u.unit_id != unit_id for u in self.units(now)):
                why = "no such unit"
            raise AssignError(f"{unit_id or 'no unit'}: {why}")
        incident_id = plan.incident_id
        times = record(self.times(incident, alerts), Milestone.ASSIGNMENT, now,
                       unit_id=chosen.unit_id)
        body = intercept_task_event(incident_id=incident_id, proposal=chosen,
                                    assigned_at=now, simulated=plan.simulated)
        messages = [Message(
            dedup_key=f"task:{incident_id}:{chosen.unit_id}:{format_time(now)}:cot:{d}",
            alert_id=f"task:{incident_id}", channel="cot", destination=d,
            content_type="application/xml", body=body) for d in self.cot]
        transaction = self.outbox.transaction() if self.outbox is not None else None
        with self.lock:
            if transaction is not None:
                with transaction:
                    self.store.put(times)
                    if messages and self.outbox is not None:
                        self.outbox.enqueue(messages)
            else:
                self.store.put(times)
            previous = [u for u, i in self.registry.assigned_to.items() if i == incident_id]
            for other in previous:
                self.registry.set_availability(other, Availability.AVAILABLE)
            self.registry.set_availability(chosen.unit_id, Availability.ASSIGNED, incident_id)
            view = self.registry.unit(chosen.unit_id, now)
        if messages and self.wake is not None:
            self.wake()
        if view is not None:
            self._publish(view)
        return Assignment(times=times, plan=plan, unit_id=chosen.unit_id,
                          sent_to=tuple(self.cot), task_uid=task_uid(incident_id))

    def record_time(self, incident: dict[str, Any], alerts: Iterable[dict[str, Any]],
                    milestone: Milestone, at: datetime) -> InterventionTimes:
        """Record an arrival or an interception (``TimesError`` when out of order)."""
        if milestone not in (Milestone.ARRIVAL, Milestone.INTERCEPTION):
            raise TimesError(f"{milestone.value} is not recorded by hand (it comes from the "
                             "incident, its alert or the assignment)")
        times = record(self.times(incident, alerts), milestone, at)
        with self.lock:
            self.store.put(times)
        return times

    def set_availability(self, unit_id: str, availability: Availability,
                         now: datetime) -> UnitView:
        """``KeyError`` for an unknown unit."""
        with self.lock:
            self.registry.set_availability(unit_id, availability)
            view = self.registry.unit(unit_id, now)
        assert view is not None
        self._publish(view)
        return view

    def _publish(self, view: UnitView) -> None:
        self.publish({"type": "responder", "responder": view.to_json(),
                      "simulated": view.simulated})


def _derived(times: InterventionTimes, incident: dict[str, Any],
             alerts: Iterable[dict[str, Any]]) -> InterventionTimes:
    mine = [a for a in alerts if a.get("incident_id") == incident["incident_id"]]
    found: list[tuple[Milestone, str | None]] = [
        (Milestone.DETECTION, incident.get("detected_at")),
        (Milestone.ALERT, min((a["raised_at"] for a in mine if a.get("raised_at")),
                              default=None, key=parse_time)),
        (Milestone.ACKNOWLEDGEMENT, min(
            (a["acknowledged_at"] for a in mine if a.get("acknowledged_at")),
            default=None, key=parse_time)),
    ]
    for milestone, text in found:
        if text and milestone not in times.times:
            try:
                times = record(times, milestone, parse_time(text))
            except TimesError:  # a clock that disagrees: what was recorded stands
                continue
    return times
