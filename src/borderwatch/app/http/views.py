"""What each principal receives: GeoJSON (RFC 7946: [lon, lat], WGS 84) for tracks,
incidents and sensors, alert records, and live-feed events, each in the principal's view.

* screening officers, operators, viewers and admins of the responsible side see the
  operational picture without personal fields (:func:`roles.scrub`);
* a partner sees only what the sharing gate releases for its agency: the gate keeps the
  fields ``sharing.yaml`` allows and logs the disclosure (channel ``api``);
* case records with people are not made here (see ``api.py``: owner screening officers
  only, each read logged).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from borderwatch.alerts import SharingGate
from borderwatch.app.http.roles import owns, scrub
from borderwatch.domain import AgencyUnit, Alert, Audience
from borderwatch.domain.access import Action, Principal, Role
from borderwatch.domain.time import parse_time

GEOJSON_MEDIA_TYPE = "application/geo+json"


@dataclass(frozen=True)
class Filters:
    """Time and bounding-box filters of the GeoJSON endpoints."""

    since: datetime | None = None
    until: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None
    """west, south, east, north (degrees), as RFC 7946 section 5 orders a bbox."""

    def keep(self, lat: float, lon: float, when: str | None) -> bool:
        if self.bbox is not None:
            west, south, east, north = self.bbox
            if not (south <= lat <= north and west <= lon <= east):
                return False
        if when is not None and (self.since or self.until):
            at = parse_time(when)
            if self.since is not None and at < self.since:
                return False
            if self.until is not None and at > self.until:
                return False
        return True


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``west,south,east,north``; raises ValueError naming what is wrong.

    >>> parse_bbox("-112.1,48.9,-111.8,49.1")
    (-112.1, 48.9, -111.8, 49.1)
    """
    parts = text.split(",")
    if len(parts) != 4:
        raise ValueError("bbox must be west,south,east,north (four numbers)")
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise ValueError("bbox must be four numbers") from None
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise ValueError("bbox must be finite numbers")
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise ValueError("bbox needs -180 <= west <= east <= 180 and -90 <= south <= north <= 90")
    return west, south, east, north


class Viewer:
    """Makes every record a principal receives; one instance per service."""

    def __init__(self, gate: SharingGate) -> None:
        self.gate = gate

    def released(self, who: Principal, record: dict[str, Any], *, kind: str) -> dict[str, Any]:
        """``record`` as ``who`` may see it. For a partner the sharing gate decides (and logs
        the disclosure); for everyone else personal fields are removed."""
        if who.role is not Role.PARTNER:
            return scrub(record)  # type: ignore[no-any-return]
        unit = AgencyUnit(who.agency, who.agency, who.sharing_agency, "")
        alert = Alert(
            alert_id=f"api:{kind}:{record.get('incident_id') or record.get('track_id', '')}",
            incident_id=str(record.get("incident_id", "")),
            recipient=unit,
            audience=Audience.PARTNER,
            created_at=parse_time(record["time"]) if "time" in record else _EPOCH,
            payload=record,
            simulated=bool(record.get("simulated", False)),
        )
        kept = dict(self.gate.release(alert, "api").alert.payload)
        kept["simulated"] = bool(record.get("simulated", False))  # always marked
        return kept

    def track_feature(self, who: Principal, track: dict[str, Any]) -> dict[str, Any]:
        # The trail is positions only: it is not walked by the filters (a thousand tracks'
        # trails were most of the cost of a live-feed event).
        props = self.released(who, {k: v for k, v in track.items() if k != "trail"},
                              kind="track")
        feature: dict[str, Any] = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [track["lon"], track["lat"]]},
            "properties": props,
        }
        if who.role is not Role.PARTNER:
            feature["id"] = track["track_id"]
            trail = track.get("trail") or []
            if len(trail) >= 2:
                props["trail"] = {"type": "LineString", "coordinates": trail}
        return feature

    def incident_feature(self, who: Principal, incident: dict[str, Any]) -> dict[str, Any]:
        feature: dict[str, Any] = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [incident["lon"], incident["lat"]]},
            "properties": self.released(who, incident, kind="incident"),
        }
        if who.role is not Role.PARTNER:
            feature["id"] = incident["incident_id"]
        return feature

    def alert(self, who: Principal, state: dict[str, Any]) -> dict[str, Any] | None:
        """An alert record as ``who`` sees it; None when it is not theirs to see. A partner
        sees only its own agency's alerts, whose payload the gate already limited when it
        was raised; an operator of the responsible side sees every alert."""
        unit = state["unit"]
        if who.role is Role.PARTNER:
            if not owns(who.agency, unit["unit_id"], unit["agency"]):
                return None
            keep = (
                "alert_id", "status", "raised_at", "acknowledged_at", "resolved_at",
                "payload", "simulated", "unit",
            )
            return scrub({k: state[k] for k in keep})  # type: ignore[no-any-return]
        return scrub(state)  # type: ignore[no-any-return]

    @staticmethod
    def shared_tracks(event: dict[str, Any]) -> dict[str, Any]:
        """A ``tracks`` event as every role but the partner's sees it. Its tracks are
        features whose properties are TRACK_FIELDS, which hold no personal field
        (live.track_features, checked by a test): the features as they are. A partner's
        view goes through the sharing gate instead."""
        return {
            "type": "tracks",
            "features": event["tracks"],
            "ended": event["ended"],
            "data_time": event["data_time"],
            "simulated": event["simulated"],
        }

    def event(self, who: Principal, event: dict[str, Any]) -> dict[str, Any] | None:
        """A live-feed event in ``who``'s view (None: nothing for them)."""
        kind = event["type"]
        if kind == "tracks":
            if who.role is not Role.PARTNER:
                return self.shared_tracks(event)
            return {
                "type": "tracks",
                "features": [self.track_feature(who, f["properties"]) for f in event["tracks"]],
                "ended": [],
                "data_time": event["data_time"],
                "simulated": event["simulated"],
            }
        if kind == "incident":
            return {
                "type": "incident",
                "feature": self.incident_feature(who, event["incident"]),
                "simulated": event["simulated"],
            }
        if kind == "alert":
            alert = self.alert(who, event["alert"])
            if alert is None:
                return None
            return {"type": "alert", "event": event["event"], "alert": alert,
                    "simulated": event["simulated"]}
        if kind == "case":
            return scrub(event) if who.may(Action.READ_CASE) else None
        return scrub(event)  # type: ignore[no-any-return]


_EPOCH = parse_time("1970-01-01T00:00:00Z")
def collection(features: list[dict[str, Any]], *, simulated: bool) -> dict[str, Any]:
    """A FeatureCollection; ``simulated`` is a foreign member (RFC 7946 section 6.1)."""
    return {"type": "FeatureCollection", "features": features, "simulated": simulated}
