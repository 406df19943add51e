"""The task sent to an assigned unit: a CoT waypoint at the predicted intercept point.

A designated point, type ``b-m-p-w`` (CoT types: "m - Mapping, p - Designated point, w -
waypoints"), which every TAK client draws; ``how="m-p"`` (Base-Event ``how``: machine,
predicted — it is where the group *will* be). One uid per incident
(``intercept.<incident_id>`` after the track prefix), so a new assignment moves the point instead
of adding one. The unit it is for is named in ``<contact>`` and linked with its uid;
``<__borderwatch>`` carries the incident, the unit and the expected time. Simulated data
is marked (``opex="s"``, remarks prefixed) as every CoT event of Borderwatch is
(alerts/cot.py).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

from borderwatch.alerts.cot import TRACK_UID_PREFIX, cot_time, detail, event, to_bytes
from borderwatch.respond.intercept import Proposal

STALE_AFTER_ARRIVAL_S = 1800.0
"""The waypoint stays on the map this long past the expected arrival."""


def task_uid(incident_id: str) -> str:
    return f"{TRACK_UID_PREFIX}intercept.{incident_id}"


def intercept_task_event(*, incident_id: str, proposal: Proposal, assigned_at: datetime,
                         simulated: bool) -> bytes:
    """The waypoint for ``proposal``'s unit, sent when it is assigned at ``assigned_at``."""
    root = event(
        uid=task_uid(incident_id),
        type="b-m-p-w",
        time=assigned_at,
        stale=max(proposal.at, assigned_at) + timedelta(seconds=STALE_AFTER_ARRIVAL_S),
        how="m-p",
        lat=proposal.point.lat,
        lon=proposal.point.lon,
        simulated=simulated,
        qos="9-r-g",
    )
    body = detail(root)
    ET.SubElement(body, "contact", {"callsign": f"Intercept {incident_id} ({proposal.callsign})"})
    ET.SubElement(body, "link", {"uid": proposal.unit_id, "relation": "p-p"})
    ET.SubElement(body, "__borderwatch", {
        "task": "intercept",
        "incident_id": incident_id,
        "unit_id": proposal.unit_id,
        "eta": cot_time(proposal.at),
        "simulated": "true" if simulated else "false",
    })
    minutes = proposal.travel_s / 60.0
    text = (f"{proposal.callsign}: intercept the group of incident {incident_id} here, "
            f"in about {minutes:.0f} min ({proposal.distance_m / 1000:.1f} km straight line; "
            "the group's path is predicted at constant velocity, roads not considered)")
    ET.SubElement(body, "remarks").text = ("EXERCISE - SIMULATED: " if simulated else "") + text
    return to_bytes(root)
