"""OASIS Common Alerting Protocol 1.2 messages for other agencies (validated in tests
against the OASIS schema: docs/references.md, "Common Alerting Protocol 1.2").

Section numbers are those of the CAP 1.2 specification (OASIS Standard, 1 July 2010):

* 3.2.1 ``sent`` and every time carry an explicit offset and no fractional seconds
  (``2025-02-03T13:16:34-00:00`` form); we write ``+00:00``.
* 3.2.1 ``status``: ``Exercise`` for anything simulated or replayed, so it can never be
  taken for a real event; ``Actual`` otherwise.
* 3.2.1 ``msgType``: ``Alert`` first, ``Update`` when a later message supersedes earlier
  ones (the crossing supersedes the approach warning), ``Cancel`` to withdraw them; both
  name the earlier messages in ``references`` as ``sender,identifier,sent`` triples
  separated by spaces.
* 3.2.1 ``scope``: ``Restricted`` (with a ``restriction`` text) for the responsible
  agency's own teams, ``Private`` (with ``addresses``) for a named partner unit.
* 3.2.2 ``category``: ``Security``; and ``Rescue`` as well when life is at risk.
* 3.2.4 ``area``: a ``circle`` is ``lat,lon radius_km``; a ``polygon`` is closed
  ``lat,lon`` pairs (first = last), WGS 84.

Canada's profile CAP-CP asks for one event type per message and language tags: each
message has one ``info`` with ``language`` ``en-CA``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from borderwatch.alerts.gate import Release
from borderwatch.domain import Audience, BorderwatchError, check_lat_lon

NS = "urn:oasis:names:tc:emergency:cap:1.2"
MSG_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")
_SEVERITY = {"extreme": "Extreme", "severe": "Severe", "moderate": "Moderate", "minor": "Minor"}
_FORBIDDEN_IN_IDS = set(" ,<&")
"""CAP 3.2.1: identifier and sender must not contain spaces, commas or restricted chars."""


class CapError(BorderwatchError):
    """A CAP message cannot be made as asked."""


def cap_time(value: datetime) -> str:
    """CAP 3.2.1 time: ``2025-02-03T13:16:34+00:00`` (no fractional seconds)."""
    if value.tzinfo is None:
        raise CapError(f"CAP times carry an offset: {value!r} has none")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


@dataclass(frozen=True, slots=True)
class Circle:
    lat: float
    lon: float
    radius_km: float

    def text(self) -> str:
        check_lat_lon(self.lat, self.lon)
        if not self.radius_km >= 0:
            raise CapError(f"circle radius must be >= 0 km, got {self.radius_km!r}")
        return f"{self.lat:.6f},{self.lon:.6f} {self.radius_km:.3f}"


@dataclass(frozen=True, slots=True)
class Polygon:
    points: tuple[tuple[float, float], ...]
    """(lat, lon) vertices; closed on output if the caller did not close it."""

    def text(self) -> str:
        points = list(self.points)
        if len(points) < 3:
            raise CapError("a CAP polygon needs at least 3 distinct points (CAP 3.2.4)")
        if points[0] != points[-1]:
            points.append(points[0])
        for lat, lon in points:
            check_lat_lon(lat, lon)
        return " ".join(f"{lat:.6f},{lon:.6f}" for lat, lon in points)


@dataclass(frozen=True)
class CapInfo:
    event: str
    categories: tuple[str, ...]
    urgency: str
    severity: str
    certainty: str
    headline: str
    description: str
    area_desc: str
    circles: tuple[Circle, ...] = ()
    polygons: tuple[Polygon, ...] = ()
    instruction: str = ""
    onset: datetime | None = None
    expires: datetime | None = None
    sender_name: str = ""
    parameters: tuple[tuple[str, str], ...] = ()
    language: str = "en-CA"


@dataclass(frozen=True)
class CapMessage:
    """One CAP 1.2 ``alert`` (OASIS Common Alerting Protocol v1.2, 2010): the envelope
    fields and its ``info`` blocks; :meth:`to_xml` checks and serialises it."""

    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    scope: str
    restriction: str = ""
    addresses: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    """``sender,identifier,sent`` of earlier messages (CAP 3.2.1 references)."""
    incidents: tuple[str, ...] = ()
    note: str = ""
    infos: tuple[CapInfo, ...] = field(default_factory=tuple)

    @property
    def reference(self) -> str:
        """How a later message names this one."""
        return f"{self.sender},{self.identifier},{cap_time(self.sent)}"

    def to_xml(self) -> bytes:
        """The message as UTF-8 CAP 1.2 XML, elements in the schema's order.

        Raises :class:`CapError` for what CAP forbids: empty ids or ids with spaces or
        commas, an unknown msgType, an Update or Cancel without references, a Private
        scope without addresses, a Restricted one without a restriction (CAP 3.2.1)."""
        for name, value in (("identifier", self.identifier), ("sender", self.sender)):
            if not value or set(value) & _FORBIDDEN_IN_IDS:
                raise CapError(f"{name} must be non-empty, without spaces or commas: {value!r}")
        if self.msg_type not in MSG_TYPES:
            raise CapError(f"msgType must be one of {MSG_TYPES}, got {self.msg_type!r}")
        if self.msg_type in ("Update", "Cancel") and not self.references:
            raise CapError(f"a {self.msg_type} must reference the messages it concerns")
        if self.scope == "Private" and not self.addresses:
            raise CapError("scope Private needs addresses (CAP 3.2.1)")
        if self.scope == "Restricted" and not self.restriction:
            raise CapError("scope Restricted needs a restriction text (CAP 3.2.1)")
        root = ET.Element(f"{{{NS}}}alert")

        def add(parent: ET.Element, tag: str, text: str) -> ET.Element:
            child = ET.SubElement(parent, f"{{{NS}}}{tag}")
            child.text = text
            return child

        # Element order is the schema's sequence (CAP 1.2 XSD, alert).
        add(root, "identifier", self.identifier)
        add(root, "sender", self.sender)
        add(root, "sent", cap_time(self.sent))
        add(root, "status", self.status)
        add(root, "msgType", self.msg_type)
        add(root, "scope", self.scope)
        if self.restriction:
            add(root, "restriction", self.restriction)
        if self.addresses:
            # Space-separated; an address with a space would need quotes (CAP 3.2.1).
            add(root, "addresses", " ".join(self.addresses))
        if self.note:
            add(root, "note", self.note)
        if self.references:
            add(root, "references", " ".join(self.references))
        if self.incidents:
            add(root, "incidents", " ".join(self.incidents))
        for info in self.infos:
            node = ET.SubElement(root, f"{{{NS}}}info")
            add(node, "language", info.language)
            for category in info.categories:
                add(node, "category", category)
            add(node, "event", info.event)
            add(node, "urgency", info.urgency)
            add(node, "severity", info.severity)
            add(node, "certainty", info.certainty)
            if info.onset:
                add(node, "onset", cap_time(info.onset))
            if info.expires:
                add(node, "expires", cap_time(info.expires))
            if info.sender_name:
                add(node, "senderName", info.sender_name)
            add(node, "headline", info.headline)
            add(node, "description", info.description)
            if info.instruction:
                add(node, "instruction", info.instruction)
            for name, value in info.parameters:
                parameter = ET.SubElement(node, f"{{{NS}}}parameter")
                add(parameter, "valueName", name)
                add(parameter, "value", value)
            area = ET.SubElement(node, f"{{{NS}}}area")
            add(area, "areaDesc", info.area_desc)
            for polygon in info.polygons:
                add(area, "polygon", polygon.text())
            for circle in info.circles:
                add(area, "circle", circle.text())
        ET.register_namespace("", NS)
        data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        return data


def message_id(release: Release, msg_type: str, serial: int = 0) -> str:
    base = f"{release.alert.alert_id}-{msg_type.lower()}"
    return base if serial == 0 else f"{base}-{serial}"


def alert_message(
    release: Release,
    *,
    sender: str,
    headline: str,
    life_at_risk: bool,
    msg_type: str = "Alert",
    references: Sequence[str] = (),
    radius_km: float = 1.0,
    serial: int = 0,
    expires_after_s: float = 6 * 3600,
) -> CapMessage:
    """The CAP message for a released alert: scope Restricted for the responsible unit,
    Private addressed to the unit for a partner; only the fields the gate let through."""
    alert = release.alert
    payload = alert.payload
    if "lat" not in payload or "lon" not in payload:
        raise CapError(
            f"alert {alert.alert_id}: no position this recipient may see; a CAP area needs one"
        )
    partner = alert.audience is Audience.PARTNER
    kind = str(payload.get("type", "incident"))
    direction = str(payload.get("direction") or "")
    description_parts = [f"{k}: {payload[k]}" for k in sorted(payload) if k != "risk"]
    risk = payload.get("risk")
    if isinstance(risk, dict):
        reasons = "; ".join(str(r.get("text")) for r in risk.get("reasons", []) if r.get("points"))
        description_parts.append(f"risk: {risk.get('level')} ({reasons})")
    if alert.simulated:
        description_parts.insert(0, "EXERCISE - SIMULATED DATA, NOT A REAL EVENT.")
    info = CapInfo(
        event=f"Border {kind} {direction}".strip(),
        categories=("Security", "Rescue") if life_at_risk else ("Security",),
        urgency="Immediate",
        severity=_SEVERITY.get(str(payload.get("severity", "")), "Unknown"),
        certainty="Observed" if kind == "crossing" else "Likely",
        headline=headline[:160],
        description="\n".join(description_parts),
        area_desc=f"Estimated position of the {kind}",
        circles=(Circle(float(payload["lat"]), float(payload["lon"]), radius_km),),
        onset=alert.created_at,
        expires=alert.created_at + timedelta(seconds=expires_after_s),
        sender_name="Borderwatch",
    )
    return CapMessage(
        identifier=message_id(release, msg_type, serial),
        sender=sender,
        sent=alert.created_at,
        status="Exercise" if alert.simulated else "Actual",
        msg_type=msg_type,
        scope="Private" if partner else "Restricted",
        restriction="" if partner else f"{alert.recipient.agency} operational use only",
        addresses=(alert.recipient.unit_id,) if partner else (),
        references=tuple(references),
        incidents=(alert.incident_id,),
        infos=(info,),
    )


def cancel_message(
    release: Release, *, sender: str, references: Sequence[str], reason: str, now: datetime
) -> CapMessage:
    """Withdraw earlier messages (CAP 3.2.1 msgType Cancel); an ``info`` is optional there,
    the note says why."""
    alert = release.alert
    partner = alert.audience is Audience.PARTNER
    return CapMessage(
        identifier=message_id(release, "Cancel"),
        sender=sender,
        sent=now,
        status="Exercise" if alert.simulated else "Actual",
        msg_type="Cancel",
        scope="Private" if partner else "Restricted",
        restriction="" if partner else f"{alert.recipient.agency} operational use only",
        addresses=(alert.recipient.unit_id,) if partner else (),
        references=tuple(references),
        incidents=(alert.incident_id,),
        note=reason,
    )
