"""The live picture as CoT for one TAK connection: each live-feed event, *as the
connection's principal sees it* (app/http/views.py applied the sharing policy), turned
into CoT events. Pure; the TLS stream (adapters/tak/stream.py) sends what this makes.

What a view lacks is never invented (cot.py, module docstring):

* a track needs its ``track_id`` (a TAK map keeps one uid per track) and its position;
  a partner's view of a track has neither id nor any way to tell two groups apart over
  time, so partners get no tracks over TAK, only incidents (docs/devices.md);
* an incident needs its position; its uid is its ``incident_id`` when the view has it,
  else a digest of the released fields (a partner's view: the digest says nothing the
  fields do not, and the same incident sent twice replaces itself on the map);
* only released fields are written: a partner's incident event has type, time,
  position, direction and group size, nothing else (no track link, no severity).
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from borderwatch.alerts.cot import (
    TRACK_UID_PREFIX,
    TrackReport,
    detail,
    event,
    to_bytes,
    track_event,
)
from borderwatch.domain.time import parse_time

INCIDENT_TYPES = {"crossing": "b-a-g", "approach": "b-a-g"}
"""An incident is a geofence-breach alarm (``b-a-g``: the fence is the boundary); any
other incident type is a generic alarm point (``b-a``)."""
INCIDENT_STALE_S = 3600.0
TRACK_STALE_S = 60.0


def track_cot(props: Mapping[str, Any], *, stale_s: float = TRACK_STALE_S) -> bytes | None:
    """A track feature's properties (live.TRACK_FIELDS) as a CoT track event; None when
    the view lacks the id, time or position (see the module docstring)."""
    if not all(isinstance(props.get(k), str) for k in ("track_id", "time")):
        return None
    lat, lon = props.get("lat"), props.get("lon")
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return None
    kind = str(props.get("kind") or "unknown")
    group = props.get("group_size")
    return track_event(TrackReport(
        track_id=str(props["track_id"]),
        time=parse_time(str(props["time"])),
        lat=float(lat),
        lon=float(lon),
        sigma_m=float(props.get("position_sigma_m") or 9999999.0),
        course_deg=float(props.get("heading_deg") or 0.0),
        speed_ms=max(0.0, float(props.get("speed_ms") or 0.0)),
        kind=kind,
        group_size=group if type(group) is int else 1,
        simulated=bool(props.get("simulated", False)),
    ), stale_s)


def incident_cot(record: Mapping[str, Any], *, simulated: bool,
                 stale_s: float = INCIDENT_STALE_S) -> bytes | None:
    """An incident (its wire record, or the fields released of it) as a CoT alarm at its
    point; None without time or position."""
    lat, lon, when = record.get("lat"), record.get("lon"), record.get("time")
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return None
    if not isinstance(when, str):
        return None
    at = parse_time(when)
    kind = str(record.get("type") or "incident")
    incident_id = record.get("incident_id")
    if isinstance(incident_id, str) and incident_id:
        subject = incident_id
    else:
        released = repr(sorted((k, repr(v)) for k, v in record.items())).encode()
        subject = "shared-" + hashlib.sha256(released).hexdigest()[:16]
    root = event(uid=f"{TRACK_UID_PREFIX}incident.{subject}",
                 type=INCIDENT_TYPES.get(kind, "b-a"), time=at,
                 stale=at + timedelta(seconds=stale_s), how="m-f", lat=float(lat),
                 lon=float(lon), simulated=simulated, qos="9-r-g")
    body = detail(root)
    if isinstance(record.get("track_id"), str):
        ET.SubElement(body, "link", {"uid": TRACK_UID_PREFIX + str(record["track_id"]),
                                     "relation": "p-p"})
    words = [kind.upper()]
    if record.get("direction"):
        words.append(str(record["direction"]))
    group = record.get("group_size")
    if type(group) is int:
        words.append(f"group of {group}")
    if record.get("severity"):
        words.append(f"({record['severity']})")
    tag = "EXERCISE - SIMULATED: " if simulated else ""
    ET.SubElement(body, "remarks").text = tag + " ".join(words)
    return to_bytes(root)


def feed_event_cot(viewed: Mapping[str, Any]) -> list[bytes]:
    """A live-feed event in a principal's view (views.Viewer.event) as CoT events: every
    track of a ``tracks`` event, an ``incident``'s alarm; nothing for the rest (alerts go
    to TAK through the outbox's CoT channel, cases never)."""
    kind = viewed.get("type")
    made: list[bytes | None] = []
    if kind == "tracks":
        made = [track_cot(f.get("properties") or {}) for f in viewed.get("features", ())]
    elif kind == "incident":
        feature = viewed.get("feature") or {}
        made = [incident_cot(feature.get("properties") or {},
                             simulated=bool(viewed.get("simulated", False)))]
    return [m for m in made if m is not None]
