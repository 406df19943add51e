"""Cursor-on-Target events: tracks, sensor view cones, geofence-breach alerts, cancels.

Pure builders; every event is validated in tests against the MITRE CoT Base-Event schema
(with the Track and Sensor detail schemas) and the TAK ``__geofence`` detail type
(docs/references.md, "Cursor-on-Target"). What the schemas and the TAK ecosystem ask of us:

* ``version="2.0"``; ``time``/``start``/``stale`` are UTC ``xs:dateTime``.
* ``ce``/``le`` are 1-sigma errors in metres (Base-Event schema, ``point``);
  ``9999999.0`` means unknown.
* A later event with the same ``uid`` replaces the earlier one on a TAK map, so a track
  keeps one uid for its whole life (``borderwatch.<track_id>``).
* ``how="m-f"``: machine generated, fused from several sensors (Base-Event ``how``).
* ``opex="s"`` marks a simulation (Base-Event clarification 2, 26 Feb 2007): replayed or
  simulated data must never look real.
* A position is required: there is no default (``pytak.cot_point`` turns a missing
  position into 0.0, which for a border is a safety bug; docs/references.md).
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from borderwatch.alerts.gate import Release
from borderwatch.domain import BorderwatchError, check_lat_lon

UNKNOWN_ERROR_M = 9999999.0
"""CoT's value for an unknown ``ce``, ``le`` or ``hae``."""
TRACK_UID_PREFIX = "borderwatch."
KIND_TYPES = {
    "person": "a-u-G",
    "unknown": "a-u-G",
    "vehicle": "a-u-G-E-V",
    "animal": "a-n-G",
}
"""Track types: an unidentified ground track (``a-u-G``); a vehicle (MIL-STD-2525 ground
equipment, vehicle); an animal is neutral (``a-n-G``) so it never looks like a threat."""
SEVERITY_QOS = {"extreme": "9-r-g", "severe": "7-r-g", "moderate": "5-r-g", "minor": "3-r-g"}
"""Base-Event ``qos``: priority, replace (a newer event overtakes), guaranteed delivery."""


class CotError(BorderwatchError):
    """An event cannot be built honestly (e.g. the recipient may not see the position)."""


def cot_time(value: datetime) -> str:
    """``2025-02-03T13:16:34.000Z`` (UTC, milliseconds)."""
    if value.tzinfo is None:
        raise CotError(f"CoT times are UTC: {value!r} has no time zone")
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _num(value: float, digits: int = 7) -> str:
    text = f"{value:.{digits}f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _angle(degrees: float) -> float:
    """In [0, 360) after rounding to 0.1 degree (359.97 must not print as 360.0, which the
    Track and Sensor schemas exclude)."""
    return round(degrees % 360.0, 1) % 360.0


def event(
    *,
    uid: str,
    type: str,
    time: datetime,
    stale: datetime,
    how: str,
    lat: float,
    lon: float,
    ce: float = UNKNOWN_ERROR_M,
    simulated: bool,
    qos: str | None = None,
    start: datetime | None = None,
) -> ET.Element:
    """The event envelope with its point; add details with :func:`detail`."""
    check_lat_lon(lat, lon)
    if not math.isfinite(ce) or ce < 0:
        raise CotError(f"ce must be a finite error in metres, got {ce!r}")
    root = ET.Element(
        "event",
        {
            "version": "2.0",
            "uid": uid,
            "type": type,
            "time": cot_time(time),
            "start": cot_time(start or time),
            "stale": cot_time(stale),
            "how": how,
        },
    )
    if qos:
        root.set("qos", qos)
    # Base-Event opex: "o" operations, "e" exercise, "s" simulation.
    root.set("opex", "s" if simulated else "o")
    ET.SubElement(
        root,
        "point",
        {
            "lat": _num(lat),
            "lon": _num(lon),
            "hae": _num(UNKNOWN_ERROR_M, 1),
            "ce": _num(min(ce, UNKNOWN_ERROR_M), 1),
            "le": _num(UNKNOWN_ERROR_M, 1),
        },
    )
    return root


def detail(root: ET.Element) -> ET.Element:
    found = root.find("detail")
    return found if found is not None else ET.SubElement(root, "detail")


def to_bytes(root: ET.Element) -> bytes:
    """One event, no XML declaration: events are concatenated on a TAK stream."""
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return data


@dataclass(frozen=True, slots=True)
class TrackReport:
    """What a TAK map needs of a fused track."""

    track_id: str
    time: datetime
    lat: float
    lon: float
    sigma_m: float
    course_deg: float
    """Direction of motion from true north, [0, 360)."""
    speed_ms: float
    kind: str
    group_size: int
    simulated: bool
    sources: tuple[str, ...] = ()
    group_size_range: tuple[int, int] | None = None
    """(low, high) of the head count, said in the remarks when wider than the count."""
    """Sensor ids that fed the track (``<link relation="c-f">`` to each)."""


def track_event(report: TrackReport, stale_s: float = 60.0) -> bytes:
    root = event(
        uid=TRACK_UID_PREFIX + report.track_id,
        type=KIND_TYPES.get(report.kind, "a-u-G"),
        time=report.time,
        stale=report.time + timedelta(seconds=stale_s),
        how="m-f",
        lat=report.lat,
        lon=report.lon,
        ce=report.sigma_m,
        simulated=report.simulated,
    )
    body = detail(root)
    # Track schema: course in [0, 360) degrees from true north; speed >= 0 in m/s.
    ET.SubElement(
        body,
        "track",
        {"course": _num(_angle(report.course_deg), 1), "speed": _num(report.speed_ms, 2)},
    )
    ET.SubElement(body, "contact", {"callsign": f"{report.track_id} ({report.kind})"})
    for sensor_id in report.sources:
        ET.SubElement(body, "link", {"uid": TRACK_UID_PREFIX + sensor_id, "relation": "c-f"})
    remarks = f"{report.kind} group of about {report.group_size}"
    low, high = report.group_size_range or (report.group_size, report.group_size)
    if low != high:
        remarks += f" ({low} to {high})"
    ET.SubElement(body, "remarks").text = remarks + (" (SIMULATED)" if report.simulated else "")
    return to_bytes(root)


def sensor_event(
    *,
    sensor_id: str,
    time: datetime,
    lat: float,
    lon: float,
    azimuth_deg: float,
    fov_deg: float,
    range_m: float,
    simulated: bool,
    model: str = "",
    stale_s: float = 3600.0,
) -> bytes:
    """A sensor's view cone: a designated sensor point (CoT types ``b-m-p-s-p-i``) with the
    Sensor schema's ``azimuth`` [0, 360), ``fov`` [0, 360) and ``range`` in metres."""
    root = event(
        uid=TRACK_UID_PREFIX + sensor_id,
        type="b-m-p-s-p-i",
        time=time,
        stale=time + timedelta(seconds=stale_s),
        how="m-c",  # machine, configured: the pose comes from the sensor registry
        lat=lat,
        lon=lon,
        ce=5.0,
        simulated=simulated,
    )
    body = detail(root)
    attrs = {
        "azimuth": _num(_angle(azimuth_deg), 1),
        "fov": _num(min(fov_deg, 359.9), 1),
        "range": _num(range_m, 1),
    }
    if model:
        attrs["model"] = model
    ET.SubElement(body, "sensor", attrs)
    ET.SubElement(body, "contact", {"callsign": sensor_id})
    return to_bytes(root)


def alert_uid(release: Release) -> str:
    """One uid per recipient and track: the crossing alert replaces the approach alert
    about the same group on that recipient's map."""
    subject = str(release.alert.payload.get("track_id") or release.alert.incident_id)
    return f"{TRACK_UID_PREFIX}alert.{release.alert.recipient.unit_id}.{subject}"


def alert_event(release: Release, *, headline: str, stale_s: float = 3600.0) -> bytes:
    """A geofence-breach alert (``b-a-g``) at the incident's point."""
    alert = release.alert
    payload = alert.payload
    if "lat" not in payload or "lon" not in payload:
        raise CotError(
            f"alert {alert.alert_id}: the sharing policy gives {alert.recipient.agency} no "
            "position, and a CoT event needs one (no default position is ever invented)"
        )
    severity = str(payload.get("severity", ""))
    root = event(
        uid=alert_uid(release),
        type="b-a-g",
        time=alert.created_at,
        stale=alert.created_at + timedelta(seconds=stale_s),
        how="m-f",
        lat=float(payload["lat"]),
        lon=float(payload["lon"]),
        simulated=alert.simulated,
        qos=SEVERITY_QOS.get(severity, "9-r-g"),
    )
    body = detail(root)
    # TAK __geofence detail: the fence is the boundary itself, triggered on entry.
    ET.SubElement(
        body,
        "__geofence",
        {
            "elevationMonitored": "false",
            "minElevation": "0",
            "maxElevation": "0",
            "monitor": "All",
            "trigger": "Entry",
            "tracking": "true",
            "boundingSphere": "0",
        },
    )
    if "track_id" in payload:
        ET.SubElement(
            body,
            "link",
            {"uid": TRACK_UID_PREFIX + str(payload["track_id"]), "relation": "p-p"},
        )
    ET.SubElement(
        body,
        "__borderwatch",
        {
            "alert_id": alert.alert_id,
            "incident_id": alert.incident_id,
            "recipient": alert.recipient.unit_id,
            "simulated": "true" if alert.simulated else "false",
        },
    )
    tag = "EXERCISE - SIMULATED: " if alert.simulated else ""
    ET.SubElement(body, "remarks").text = tag + headline
    return to_bytes(root)


def cancel_event(release: Release, *, reason: str) -> bytes:
    """Cancel an alert on TAK maps (``b-a-o-can``), sent with the alert's own uid so it
    replaces the alert, stale at once."""
    alert = release.alert
    payload = alert.payload
    if "lat" not in payload or "lon" not in payload:
        raise CotError(f"alert {alert.alert_id}: no position this recipient may see")
    root = event(
        uid=alert_uid(release),
        type="b-a-o-can",
        time=alert.created_at,
        stale=alert.created_at,
        how="m-f",
        lat=float(payload["lat"]),
        lon=float(payload["lon"]),
        simulated=alert.simulated,
        qos="9-r-g",
    )
    body = detail(root)
    ET.SubElement(body, "remarks").text = reason
    return to_bytes(root)


def split_events(buffer: bytes) -> tuple[list[bytes], bytes]:
    """Split a TCP byte stream right after each ``</event>``; return events and the rest."""
    events = []
    marker = b"</event>"
    start = 0
    while True:
        end = buffer.find(marker, start)
        if end < 0:
            break
        chunk = buffer[start : end + len(marker)].strip()
        if chunk:
            events.append(chunk)
        start = end + len(marker)
    return events, buffer[start:]
