"""The field team records an interception (respond/field_report.py): one step that opens
the case the screening officer takes over, records the interception time, closes the
incident's open alerts and tells the operations centre.

Order matters for what a crash leaves: the case (with its interception, in one
transaction: cases/base.py) first, since it is what the officers need; the times and the
alerts after it, each of which can be done again by hand (``/times``, ``/resolve``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from borderwatch.alerts.lifecycle import LifecycleError
from borderwatch.respond.field_report import FieldInterception, case_from_report, summary_line
from borderwatch.respond.times import Milestone, TimesError

if TYPE_CHECKING:
    from borderwatch.app.runtime.service import Service


@dataclass(frozen=True)
class Recorded:
    interception_id: str
    case_id: str
    alerts_resolved: tuple[str, ...]
    times: dict[str, Any] | None
    """The intervention's times with the interception (None: no responders here)."""
    note: str
    """Why the times were not recorded, when they were not."""

    def to_json(self, report: FieldInterception) -> dict[str, Any]:
        return {"interception_id": self.interception_id, "case_id": self.case_id,
                "report": report.to_json(), "alerts_resolved": list(self.alerts_resolved),
                "times": self.times, "note": self.note, "simulated": report.simulated}


def record_field_interception(service: Service, incident: dict[str, Any],
                              report: FieldInterception,
                              may_resolve: Callable[[dict[str, Any]], bool] = lambda a: True,
                              ) -> Recorded:
    """Open the case, record the time, resolve the incident's open alerts that
    ``may_resolve`` allows (the reporting agency's own: another agency's alert is its
    own to close), publish ``interception``."""
    incident_id = str(incident["incident_id"])
    n = len(service.cases.interceptions_for_incident(incident_id)) + 1
    suffix = incident_id.removeprefix("INC-")
    interception_id, case_id = f"ICP-{suffix}-{n}", f"CASE-{suffix}-{n}"
    service.cases.open_case(case_from_report(
        report, case_id=case_id, interception_id=interception_id,
        entry_date=report.time.date().isoformat()))
    alerts = [a for a in service.live.alert_states() if a.get("incident_id") == incident_id]
    times, note = None, ""
    if service.responders is not None:
        try:
            times = service.responders.record_time(
                incident, alerts, Milestone.INTERCEPTION, report.time).to_json()
        except TimesError as err:
            note = f"interception time not recorded: {err}"
    resolved = []
    for alert in alerts:
        if alert.get("status") in ("resolved", "expired") or not may_resolve(alert):
            continue
        try:
            service.live.resolve(str(alert["alert_id"]), report.reported_by, service.clock(),
                                 f"intercepted: {summary_line(report)}")
        except LifecycleError:
            continue  # closed meanwhile by someone else
        resolved.append(str(alert["alert_id"]))
    service.hub.publish({
        "type": "interception", "incident_id": incident_id,
        "interception_id": interception_id, "unit_id": report.unit_id,
        "lat": round(report.lat, 7), "lon": round(report.lon, 7),
        "people_count": len(report.people), "children": report.children,
        "text": summary_line(report), "simulated": report.simulated})
    return Recorded(interception_id, case_id, tuple(resolved), times, note)
