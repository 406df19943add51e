"""What a TAK client sends on the stream: one CoT event after another (ATAK puts an XML
declaration before each), read with defusedxml under explicit limits, then interpreted:

* a friendly position report (``a-f-*``, e.g. ATAK's self report ``a-f-G-U-C``) is a
  :class:`~borderwatch.domain.responder.ResponderPosition`, its agency the connection's
  certificate's, never anything in the XML;
* a sighting is a detection in the wire format (docs/references.md), for the ingest
  path HTTP detections take: a GeoChat message (``b-t-f``) whose text reports people or
  a group, or an unknown/hostile ground marker (``a-u-G*``, ``a-h-G*``). Its position
  error is the point's ``ce`` (1-sigma metres, CoT Base-Event schema); ``9999999``
  means unknown and is refused (no position error is invented). A GeoChat's point is
  where the sender's device is (ATAK writes its own position), so the sighting is
  placed there; a distance or bearing in the text is not read;
* a ping (``t-x-c-t``) and anything else is ignored.

Refused (``InputError`` naming the part): more than :data:`MAX_EVENT_BYTES`, any DTD
(so entity declarations, billion laughs and external entities never expand), nesting
deeper than :data:`MAX_DEPTH`, bytes that are not XML, a root that is not ``event``.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from borderwatch.adapters.tak.identity import DeviceIdentity
from borderwatch.domain import InputError
from borderwatch.domain.detection import MAX_COUNT, SIGMA_MAX_M, SIGMA_MIN_M
from borderwatch.domain.position import Position
from borderwatch.domain.responder import ResponderPosition
from borderwatch.domain.time import format_time, parse_time

MAX_EVENT_BYTES = 64 * 1024
"""Largest event taken: an ATAK position report is under 1 kB and a GeoChat a few kB;
a sender of more (a data package belongs on TAK Server's HTTPS port, not the stream) is
refused and its connection closed."""
MAX_DEPTH = 16
"""Deepest element nesting taken: CoT events are 3-4 levels deep."""
UNKNOWN_CE = 9999999.0
PING_TYPE = "t-x-c-t"
SENSOR_PREFIX = "tak."
"""A device's sightings are reported as sensor ``tak.<device>`` (its certificate's CN)."""


@dataclass(frozen=True, slots=True)
class Sighting:
    """A sighting as a detection in the wire format (``wire``), and what it came from."""

    wire: dict[str, Any]
    cot_type: str


def read_event(data: bytes) -> ET.Element:
    """One event's XML, parsed safely (see the module docstring for what is refused)."""
    if len(data) > MAX_EVENT_BYTES:
        raise InputError("event", f"is {len(data)} bytes; at most {MAX_EVENT_BYTES} taken")
    try:
        root: ET.Element = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True,
                                             forbid_external=True)
    except DefusedXmlException as err:
        raise InputError("event", f"refused: {type(err).__name__} (no DTD, entity or "
                         "external reference is taken)") from None
    except ET.ParseError as err:
        raise InputError("event", f"is not well-formed XML: {err}") from None
    if root.tag != "event":
        raise InputError("event", f"the root element must be <event>, got <{root.tag[:40]}>")
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InputError("event", f"nested deeper than {MAX_DEPTH} elements")
        stack.extend((child, depth + 1) for child in node)
    return root


def is_ping(root: ET.Element) -> bool:
    return root.get("type") == PING_TYPE


def interpret(root: ET.Element, device: DeviceIdentity) -> ResponderPosition | Sighting | None:
    """What an event from ``device`` is: a responder position, a sighting, or nothing
    for us (None). ``InputError`` names the attribute that is missing or wrong."""
    cot_type = root.get("type") or ""
    if cot_type.startswith("a-f-"):
        return responder_position(root, device)
    if cot_type == "b-t-f":
        return chat_sighting(root, device)
    if cot_type.startswith(("a-u-G", "a-h-G")):
        return marker_sighting(root, device)
    return None


def responder_position(root: ET.Element, device: DeviceIdentity) -> ResponderPosition:
    """A friendly position report: uid, callsign (``<contact callsign>``, else the
    uid), position, time, and speed and course from ``<track>`` when given."""
    uid = _attr(root, "uid", "event")
    lat, lon = _point(root)
    contact = root.find("detail/contact")
    callsign = (contact.get("callsign") if contact is not None else None) or uid
    track = root.find("detail/track")
    speed = course = None
    if track is not None:
        speed = _number(track, "speed", "track") if track.get("speed") else None
        course = _number(track, "course", "track") if track.get("course") else None
    return ResponderPosition(uid=uid, callsign=callsign[:128], agency=device.agency,
                             position=Position(lat, lon), time=_time(root), source=
                             f"{SENSOR_PREFIX}{device.device}", speed_mps=speed,
                             course_deg=course)


_COUNT = re.compile(
    r"\b(?:group of|about|approx\.?|~)?\s*(\d{1,5})\s*(?:x\s*)?"
    r"(?:people|persons?|pax|adults?|individuals?|subjects?|walkers?|migrants?|pers)\b",
    re.IGNORECASE)
_GROUP_OF = re.compile(r"\bgroup of (\d{1,5})\b", re.IGNORECASE)
_SIGHTED = re.compile(r"\b(?:group|person|people|persons|pax|individuals?|walkers?)\b",
                      re.IGNORECASE)
_SEEN = re.compile(r"\b(?:sight(?:ed|ing)|seen|spotted|observed|see|moving|heading|walking|"
                   r"crossing|crossed)\b", re.IGNORECASE)


def sighting_count(text: str) -> int | None:
    """How many people a chat message reports seeing; None when it reports none.
    A group without a number is two (the least a group is).

    >>> sighting_count("Group of 6 sighted heading north")
    6
    >>> sighting_count("4 pax moving N along the coulee")
    4
    >>> sighting_count("group spotted near the fence line")
    2
    >>> sighting_count("coffee at 0600?") is None
    True
    """
    for pattern in (_GROUP_OF, _COUNT):
        found = pattern.search(text)
        if found:
            return int(found.group(1))
    if _SIGHTED.search(text) and _SEEN.search(text):
        return 2 if re.search(r"\bgroup\b", text, re.IGNORECASE) else 1
    return None


def chat_sighting(root: ET.Element, device: DeviceIdentity) -> Sighting | None:
    """A GeoChat message reporting people seen, at the chat's point; None for any other
    message (chat is chat)."""
    remarks = root.find("detail/remarks")
    text = (remarks.text or "") if remarks is not None else ""
    count = sighting_count(text)
    if count is None:
        return None
    return _sighting(root, device, count, "b-t-f")


def marker_sighting(root: ET.Element, device: DeviceIdentity) -> Sighting:
    """An unknown or hostile ground marker a field user dropped: people there, as many
    as its remarks say (else one)."""
    remarks = root.find("detail/remarks")
    count = sighting_count((remarks.text or "") if remarks is not None else "") or 1
    return _sighting(root, device, count, root.get("type") or "a-u-G")


def _sighting(root: ET.Element, device: DeviceIdentity, count: int, cot_type: str) -> Sighting:
    if not device.may_report:
        raise InputError("certificate OU", f"a {device.role} device may not report "
                         "sightings (only field devices)")
    uid = _attr(root, "uid", "event")
    lat, lon = _point(root)
    ce = _ce(root)
    when = _time(root)
    wire: dict[str, Any] = {
        "time": format_time(when),
        "sensor_id": SENSOR_PREFIX + device.device,
        "lat": lat,
        "lon": lon,
        "sigma_m": ce,
        "kind": "person",
        "count": min(count, MAX_COUNT),
        # A marker re-sent unchanged is the same report (stored once); moved or re-dated,
        # it is a new one.
        "id": f"{SENSOR_PREFIX}{device.device}/{uid}/{format_time(when)}"[:128],
        # Base-Event opex: "s" simulation, "e" exercise: never taken for real.
        "simulated": (root.get("opex") or "")[:1] in ("s", "e"),
    }
    return Sighting(wire, cot_type)


def _attr(node: ET.Element, name: str, where: str) -> str:
    value = node.get(name)
    if value is None or not value.strip():
        raise InputError(f"{where}@{name}", "is required")
    return value.strip()


def _number(node: ET.Element, name: str, where: str) -> float:
    text = _attr(node, name, where)
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{where}@{name}", f"must be a number, got {text[:40]!r}") from None
    if not math.isfinite(value):
        raise InputError(f"{where}@{name}", f"must be finite, got {text[:40]!r}")
    return value


def _point(root: ET.Element) -> tuple[float, float]:
    point = root.find("point")
    if point is None:
        raise InputError("point", "is required (CoT events carry their position)")
    lat, lon = _number(point, "lat", "point"), _number(point, "lon", "point")
    try:
        Position(lat, lon)
    except InputError as err:
        raise InputError(f"point@{err.field}", err.reason) from None
    return lat, lon


def _ce(root: ET.Element) -> float:
    point = root.find("point")
    assert point is not None  # _point ran first
    ce = _number(point, "ce", "point")
    if ce >= UNKNOWN_CE:
        raise InputError("point@ce", "is 9999999 (unknown): a sighting needs its position "
                         "error; set the marker's accuracy")
    if not SIGMA_MIN_M <= ce <= SIGMA_MAX_M:
        raise InputError("point@ce", f"must be within [{SIGMA_MIN_M:g}, {SIGMA_MAX_M:g}] "
                         f"metres, got {ce:g}")
    return ce


def _time(root: ET.Element) -> datetime:
    return parse_time(_attr(root, "time", "event"), "event@time")
