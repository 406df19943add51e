"""The responders' endpoints: the field units with their age and availability, the
intercept proposal for an incident, the assignment of a unit (the task goes to TAK
through the outbox), and the times of the intervention (runtime/responders.py).

Who sees what: a unit's position is its agency's (a key of another agency sees only its
own units); an incident's intercept and times are for the keys that own the incident
(views.Viewer.owns_incident); assigning and recording times need ``Action.ASSIGN``
(operator, admin)."""

# No `from __future__ import annotations`: FastAPI reads the annotations at run time.
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException

from borderwatch.app.http.roles import owns
from borderwatch.app.runtime.field import record_field_interception
from borderwatch.app.runtime.responders import AssignError, ResponderDesk
from borderwatch.app.runtime.service import Service
from borderwatch.domain import InputError
from borderwatch.domain.access import Principal
from borderwatch.domain.time import parse_time
from borderwatch.respond import Availability
from borderwatch.respond.field_report import parse_field_report
from borderwatch.respond.times import Milestone, TimesError


def responder_routes(service: Service, reader: Any, assigner: Any) -> APIRouter:
    """The routes, with the app's dependencies for a reader and for an assigner."""
    router = APIRouter(tags=["responders"])
    Reader = Annotated[Principal, Depends(reader)]
    Assigner = Annotated[Principal, Depends(assigner)]

    def desk() -> ResponderDesk:
        if service.responders is None:
            raise HTTPException(404, "no responders in this service")
        return service.responders

    def now() -> datetime:
        return service.clock()

    def incident_for(incident_id: str, who: Principal) -> dict[str, Any]:
        found = next((i for i in service.live.snapshot_incidents()
                      if i["incident_id"] == incident_id), None)
        if found is None or not service.viewer.owns_incident(who, found):
            raise HTTPException(404, "no such incident")
        return found

    def track_of(incident: dict[str, Any]) -> dict[str, Any] | None:
        return next((t for t in service.live.snapshot_tracks()
                     if t.get("track_id") == incident.get("track_id")), None)

    @router.get("/v1/responders")
    def responders(who: Reader) -> dict[str, Any]:
        """Every field unit: position (reported, or its declared home), ``age_s`` since
        its report, ``availability`` (available, assigned, off_duty) and ``stale`` (shown,
        never proposed). A key of another agency sees its own agency's units only."""
        restricted = service.viewer.restricted(who)
        units = [u.to_json() for u in desk().units(now())
                 if not restricted or u.agency == who.sharing_agency]
        return {"responders": units, "simulated": any(u["simulated"] for u in units)}

    @router.post("/v1/responders/{unit_id}/availability")
    def availability(unit_id: str, who: Assigner,
                     value: Annotated[Literal["available", "assigned", "off_duty"],
                                      Body(embed=True, alias="availability")]
                     ) -> dict[str, Any]:
        """Mark a unit ``available``, ``assigned`` or ``off_duty``."""
        try:
            return desk().set_availability(unit_id, Availability(value), now()).to_json()
        except KeyError:
            raise HTTPException(404, "no such unit") from None

    @router.post("/v1/incidents/{incident_id}/interception", status_code=201)
    def interception(incident_id: str, who: Assigner,
                     body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        """The field team's report of the interception (respond/field_report.py): time,
        place, unit, each person found (``apparent_age``, ``child``, ``conditions`` of
        hypothermia, frostbite, injury, unconscious, medical_transport) and ``belongings``;
        never a name, a nationality or a document (422 naming the field). Opens the case
        the screening officer takes over, records the interception time, resolves the
        incident's open alerts. 201 with the case id."""
        incident = incident_for(incident_id, who)
        try:
            report = parse_field_report(
                body, incident_id=incident_id, reported_by=f"{who.agency} ({who.key_id})",
                simulated=bool(incident.get("simulated")))
        except InputError as err:
            raise HTTPException(422, [{"loc": ["body", err.field or ""], "msg": err.reason,
                                       "type": "value_error", "ctx": err.wire()}]) from None
        return record_field_interception(
            service, incident, report,
            lambda a: owns(who.agency, a["unit"]["unit_id"], a["unit"]["agency"])
        ).to_json(report)

    @router.get("/v1/incidents/{incident_id}/intercept")
    def intercept(incident_id: str, who: Reader) -> dict[str, Any]:
        """Who can reach the group first: the proposals, earliest first, each with its
        intercept point and time; ``best``; the units left out and why; the predicted
        path (GeoJSON order); the assumptions (straight line, no roads)."""
        incident = incident_for(incident_id, who)
        try:
            return desk().plan(incident, track_of(incident), now()).to_json()
        except InputError as err:
            raise HTTPException(422, f"the incident cannot be predicted: {err}") from None

    @router.post("/v1/incidents/{incident_id}/assign")
    def assign(incident_id: str, who: Assigner,
               unit_id: Annotated[str | None, Body(embed=True)] = None) -> dict[str, Any]:
        """Assign a unit (``unit_id``; none: the best proposed): the assignment time is
        recorded, the unit marked assigned, and a CoT waypoint at the intercept point is
        queued for the deployment's TAK servers. 409 when the unit cannot be assigned."""
        incident = incident_for(incident_id, who)
        try:
            return desk().assign(incident, track_of(incident), service.live.alert_states(),
                                 unit_id, now()).to_json()
        except (AssignError, TimesError) as err:
            raise HTTPException(409, str(err)) from None

    @router.get("/v1/incidents/{incident_id}/times")
    def times(incident_id: str, who: Reader) -> dict[str, Any]:
        """Detection, alert, acknowledgement, assignment, arrival, interception, and the
        seconds between them."""
        incident = incident_for(incident_id, who)
        return desk().times(incident, service.live.alert_states()).to_json()

    @router.post("/v1/incidents/{incident_id}/times")
    def record_time(incident_id: str, who: Assigner,
                    milestone: Annotated[Literal["arrival", "interception"],
                                         Body(embed=True)],
                    time: Annotated[str | None, Body(embed=True)] = None) -> dict[str, Any]:
        """Record the ``arrival`` or the ``interception`` (``time``: RFC 3339 with offset;
        default now). 409 when it contradicts what is recorded."""
        incident = incident_for(incident_id, who)
        try:
            at = parse_time(time, "time") if time is not None else now()
        except (ValueError, InputError) as err:
            # The shape FastAPI documents for every 422 (HTTPValidationError), as api.py.
            raise HTTPException(422, [{"loc": ["body", "time"], "msg": str(err),
                                       "type": "value_error"}]) from None
        try:
            return desk().record_time(incident, service.live.alert_states(),
                                      Milestone(milestone), at).to_json()
        except TimesError as err:
            raise HTTPException(409, str(err)) from None

    return router
