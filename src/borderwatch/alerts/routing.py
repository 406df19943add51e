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

from borderwatch.alerts.sharing import SharingPolicy
from borderwatch.domain import AgencyUnit, Alert, Audience, Incident
from borderwatch.geo import Boundary, Places
from borderwatch.watch.wire import incident_to_wire

FALLBACK_UNIT = AgencyUnit(
    "BW-OPS", "Borderwatch operations centre (no unit covers this place)", "BORDERWATCH", "--"
)


@dataclass
class Router:
    boundary: Boundary
    places: Places
    sharing: SharingPolicy
    fallback: AgencyUnit = FALLBACK_UNIT

    def __post_init__(self) -> None:
        self._seq = itertools.count(1)

    def route(self, incident: Incident) -> list[Alert]:
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
