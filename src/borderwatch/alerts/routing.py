"""Routing: who must hear of an incident.

* The **responsible** unit is the one on the side the group is heading into (for a
  northbound crossing into Alberta: the RCMP team for that stretch), found from the
  incident's boundary segment and longitude in the places data. It receives the incident.
* The **partner** is the other country's unit for the same stretch (USBP Havre Sector at
  Coutts). It receives only what the sharing policy allows for its agency.
* An incident that no unit covers still goes somewhere: to the fallback operations centre,
  marked as unrouted. An alert is never dropped for want of a route.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from borderwatch.alerts.lifecycle import Routed
from borderwatch.alerts.policy import SYMBOLIC_TARGETS, AlertPolicy, IncidentFacts
from borderwatch.alerts.sharing import SharingPolicy
from borderwatch.domain import AgencyUnit, Alert, Audience, Incident, InputError
from borderwatch.geo import Boundary, Places
from borderwatch.watch.incident_wire import incident_to_wire

FALLBACK_UNIT = AgencyUnit(
    "BW-OPS", "Borderwatch operations centre (no unit covers this place)", "BORDERWATCH", "--"
)


@dataclass
class Router:
    """Routing without a policy: one alert for the responsible unit (or the fallback) and,
    where a partner covers the place, one for the partner with only the fields the
    sharing policy allows."""

    boundary: Boundary
    places: Places
    sharing: SharingPolicy
    fallback: AgencyUnit = FALLBACK_UNIT

    def __post_init__(self) -> None:
        self._seq = itertools.count(1)

    def route(self, incident: Incident) -> list[Alert]:
        if incident.revision:
            # No lifecycle here to update an alert with: a revision raises nothing (the
            # AlertCenter sends it as an update of the alert it raised).
            return []
        record = incident_to_wire(incident)
        destination = incident.direction.destination if incident.direction is not None else None
        country_in = (
            self.boundary.north
            if destination is None or destination.value == "north"
            else self.boundary.south
        )
        country_out = (
            self.boundary.south if country_in == self.boundary.north else self.boundary.north
        )
        responsible = self.places.unit_for(incident.segment, incident.lon, country_in)
        partner = self.places.unit_for(incident.segment, incident.lon, country_out)
        alerts = [self._alert(incident, responsible or self.fallback, Audience.RESPONSIBLE, record)]
        if partner is not None:
            shared = self.sharing.filter(partner.agency, record)
            alerts.append(self._alert(incident, partner, Audience.PARTNER, shared))
        return alerts

    def _alert(
        self, incident: Incident, unit: AgencyUnit, audience: Audience, payload: dict[str, object]
    ) -> Alert:
        return Alert(
            alert_id=f"ALR-{incident.detected_at:%Y%m%d}-{next(self._seq):04d}",
            incident_id=incident.incident_id,
            recipient=unit,
            audience=audience,
            created_at=incident.detected_at,
            payload=dict(payload),
            simulated=incident.simulated,
        )


@dataclass
class PolicyRouter:
    """Routing by an :class:`AlertPolicy`: the policy's routes pick the recipients and
    channels; ``responsible`` and ``partner`` are found as :class:`Router` finds them, and a
    unit named by id comes from the policy's own units or the places data.

    Alert ids are deterministic (``ALR-<incident>-<unit>``): replaying the same stream after
    a crash yields the same ids, which the alert store and the outbox recognise.
    """

    boundary: Boundary
    places: Places
    sharing: SharingPolicy
    policy: AlertPolicy
    fallback: AgencyUnit = FALLBACK_UNIT

    def __post_init__(self) -> None:
        self.units = {u.unit.unit_id: u.unit for u in self.places.units} | self.policy.units
        names = [t.to for r in self.policy.routes for t in r.notify] + [
            s.to for e in (self.policy.escalations or {}).values() for s in e.steps
        ]
        unknown = sorted({n for n in names if n not in SYMBOLIC_TARGETS and n not in self.units})
        if unknown:
            raise InputError("units", f"the policy names units nobody defines: {unknown}")

    def route(self, incident: Incident) -> list[Routed]:
        """One routed alert per unit the matching routes notify, in route order. A unit
        named by several routes gets one alert on the union of their channels (the first
        route's escalation unless it had none); a partner nobody covers is skipped."""
        facts = IncidentFacts.of(incident)
        record = incident_to_wire(incident)
        country_in = self._country_in(incident)
        routed: dict[str, Routed] = {}
        for route in self.policy.routes_for(facts):
            for target in route.notify:
                unit = self.unit(target.to, incident)
                if unit is None:
                    continue  # no partner covers this place
                known = routed.get(unit.unit_id)
                if known is not None:
                    channels = tuple(dict.fromkeys(known.channels + target.channels))
                    routed[unit.unit_id] = Routed(
                        known.alert,
                        facts,
                        known.group_key,
                        channels,
                        known.escalation or target.escalation,
                        known.route,
                        known.life_at_risk,
                    )
                    continue
                alert = self.alert_for(incident, unit, country_in, record)
                routed[unit.unit_id] = Routed(
                    alert=alert,
                    facts=facts,
                    group_key=self.policy.group_key(facts, unit.unit_id),
                    channels=target.channels,
                    escalation=target.escalation,
                    route=route.name,
                    life_at_risk=self.policy.life_at_risk_for(facts),
                )
        return list(routed.values())

    def unit(self, name: str, incident: Incident) -> AgencyUnit | None:
        country_in = self._country_in(incident)
        if name == "responsible":
            found = self.places.unit_for(incident.segment, incident.lon, country_in)
            return found or self.fallback
        if name == "partner":
            return self.places.unit_for(incident.segment, incident.lon, self._other(country_in))
        return self.units[name]

    def alert_for(
        self,
        incident: Incident,
        unit: AgencyUnit,
        country_in: str | None = None,
        record: dict[str, Any] | None = None,
        suffix: str = "",
    ) -> Alert:
        """The alert for ``unit``: the whole incident for a unit of the country entered
        (or the fallback), what the sharing policy allows for any other."""
        country_in = country_in or self._country_in(incident)
        record = record if record is not None else incident_to_wire(incident)
        responsible = unit.country == country_in or unit == self.fallback
        number = incident.incident_id.removeprefix("INC-")
        return Alert(
            alert_id=f"ALR-{number}-{unit.unit_id}{suffix}",
            incident_id=incident.incident_id,
            recipient=unit,
            audience=Audience.RESPONSIBLE if responsible else Audience.PARTNER,
            created_at=incident.detected_at,
            payload=dict(record) if responsible else self.sharing.filter(unit.agency, record),
            simulated=incident.simulated,
        )

    def _country_in(self, incident: Incident) -> str:
        destination = incident.direction.destination if incident.direction is not None else None
        return (
            self.boundary.north
            if destination is None or destination.value == "north"
            else self.boundary.south
        )

    def _other(self, country: str) -> str:
        return self.boundary.south if country == self.boundary.north else self.boundary.north
