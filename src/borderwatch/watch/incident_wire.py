"""The incident wire format (docs/references.md): one JSON object per line from `borderwatch run`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from borderwatch.domain import Direction, Incident, InputError, check_lat_lon
from borderwatch.domain.time import format_time, parse_time


def incident_to_wire(incident: Incident) -> dict[str, Any]:
    """The incident as a JSON-ready dict: times as ISO 8601 UTC, coordinates to 7 decimals
    (about 1 cm), what is unknown as None, and ``extra`` merged last. The same record goes
    to files, the API and the alert payloads, so they agree."""
    out: dict[str, Any] = {
        "incident_id": incident.incident_id,
        "type": incident.type.value,
        "direction": incident.direction.value if incident.direction else None,
        "time": format_time(incident.time),
        "lat": round(incident.lat, 7),
        "lon": round(incident.lon, 7),
        "segment": incident.segment,
        "group_size": incident.group_size,
        "group_size_range": (list(incident.group_size_range)
                             if incident.group_size_range is not None else None),
        "track_id": incident.track_id,
        "severity": incident.severity.value,
        "detected_at": format_time(incident.detected_at),
        "latency_s": round(incident.latency_s, 1),
        "kind": incident.kind.value,
        "children": incident.children,
        "speed_ms": round(incident.speed_ms, 2),
        "heading_deg": round(incident.heading_deg, 1),
        "distance_to_line_m": round(incident.distance_to_line_m, 1),
        "risk": incident.risk.to_json(),
        "simulated": incident.simulated,
    }
    if incident.eta_s is not None:
        out["eta_s"] = round(incident.eta_s, 0)
    if incident.revision:  # absent means 0, as raised: older readers see nothing new
        out["revision"] = incident.revision
        if incident.revised_at is not None:
            out["revised_at"] = format_time(incident.revised_at)
    out.update(incident.extra)
    return out


@dataclass(frozen=True)
class IncidentRecord:
    """The fields of a wire incident that evaluation needs (from any producer)."""

    incident_id: str
    type: str
    direction: Direction | None
    time: datetime
    detected_at: datetime
    lat: float
    lon: float
    group_size: int | None
    group_size_range: tuple[int, int] | None = None
    revision: int = 0
    """0 as raised, n for the n-th revision of its head count (absent on the wire: 0)."""


def _revision(obj: dict[str, Any]) -> int:
    value = obj.get("revision", 0)
    if type(value) is not int or value < 0:
        raise InputError("revision", f"must be an integer >= 0, got {value!r}")
    return value


def _size_range(obj: dict[str, Any], group: int | None) -> tuple[int, int] | None:
    """``group_size_range``: absent or null is None; else [low, high] integers >= 1 with
    low <= group_size <= high (a range that leaves out its own estimate is a producer's
    bug, refused rather than guessed)."""
    value = obj.get("group_size_range")
    if value is None:
        return None
    if (not isinstance(value, list) or len(value) != 2
            or any(type(v) is not int or v < 1 for v in value)):
        raise InputError("group_size_range", f"must be [low, high], integers >= 1, got {value!r}")
    low, high = value
    if not low <= high or (group is not None and not low <= group <= high):
        raise InputError("group_size_range",
                         f"must hold group_size ({group}) with low <= high, got {value!r}")
    return low, high


def incident_from_wire(obj: dict[str, Any]) -> IncidentRecord:
    for key in ("incident_id", "type", "time", "detected_at", "lat", "lon"):
        if key not in obj:
            raise InputError(key, "is required")
    direction = obj.get("direction")
    if direction is not None and direction not in ("northbound", "southbound"):
        raise InputError("direction", f"must be northbound or southbound, got {direction!r}")
    group = obj.get("group_size")
    lat, lon = check_lat_lon(obj["lat"], obj["lon"])
    return IncidentRecord(
        incident_id=str(obj["incident_id"]),
        type=str(obj["type"]),
        direction=Direction(direction) if direction else None,
        time=parse_time(obj["time"]),
        detected_at=parse_time(obj["detected_at"], "detected_at"),
        lat=lat,
        lon=lon,
        group_size=group if type(group) is int else None,
        group_size_range=_size_range(obj, group if type(group) is int else None),
        revision=_revision(obj),
    )
