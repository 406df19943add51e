"""What each principal receives: GeoJSON (RFC 7946: [lon, lat], WGS 84) for tracks,
incidents and sensors, alert records, and live-feed events, each in the principal's view.

* keys of the owning agency (the deployment's for tracks, sensors and incidents; also the
  agency an incident is routed to whole) see the picture without personal fields
  (:func:`roles.scrub`);
* a partner key, and a key of any role of another agency, sees only what the sharing gate
  releases for its agency, geometry included: the gate keeps the fields ``sharing.yaml``
  allows and logs the disclosure (channel ``api``);
* case records with people are not made here (see ``api.py``: owner screening officers
  only, each read logged).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from borderwatch.alerts import SharingGate
from borderwatch.alerts.sharing import responsible_agency
from borderwatch.app.http.roles import owns, scrub
from borderwatch.domain import AgencyUnit, Alert, Audience
from borderwatch.domain.access import Action, Principal, Role
from borderwatch.domain.time import parse_time
from borderwatch.geo import Boundary, Places

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
    """Makes every record a principal receives; one instance per service.

    Who owns what (docs/security/sharing.md): the deployment's ``agency`` owns its
    picture (tracks, sensors, incidents); an incident is owned as well by the agency it is
    routed to whole (:func:`sharing.responsible_agency`). A key of an owning agency reads
    the record without personal fields; a partner key, and a key of any role of another
    agency, gets what the sharing policy releases to its agency, through the gate."""

    def __init__(self, gate: SharingGate, *, agency: str = "RCMP",
                 boundary: Boundary | None = None, places: Places | None = None) -> None:
        """``boundary`` and ``places``: where incidents are routed (None: only the
        deployment's agency owns an incident)."""
        self.gate = gate
        self.agency = agency
        self.boundary = boundary
        self.places = places

    def restricted(self, who: Principal) -> bool:
        """Whether ``who`` is outside the deployment's agency (or a partner key): then
        every record reaches them through the sharing policy, and their views are made
        for them alone (feed.message_for)."""
        return who.role is Role.PARTNER or who.sharing_agency != self.agency

    def owns_incident(self, who: Principal, incident: dict[str, Any]) -> bool:
        if not self.restricted(who):
            return True
        if who.role is Role.PARTNER or self.boundary is None or self.places is None:
            return False
        return who.sharing_agency == responsible_agency(incident, self.boundary, self.places)

    def released(self, who: Principal, record: dict[str, Any], *, kind: str,
                 owner: bool = False) -> dict[str, Any]:
        """``record`` as ``who`` may see it. An owner gets it without personal fields;
        anyone else what the sharing gate releases to their agency (the gate logs it)."""
        if owner:
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
        owner = not self.restricted(who)
        props = self.released(who, {k: v for k, v in track.items() if k != "trail"},
                              kind="track", owner=owner)
        feature: dict[str, Any] = {"type": "Feature", "geometry": released_point(props),
                                   "properties": props}
        if owner:
            feature["id"] = track["track_id"]
            trail = track.get("trail") or []
            if len(trail) >= 2:
                props["trail"] = {"type": "LineString", "coordinates": trail}
        return feature

    def track_features(self, who: Principal,
                       tracks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Many tracks as ``who`` may see them (as :meth:`track_feature` each). Outside
        the deployment's agency they are released by the gate in one pass, with one
        disclosure entry for them all, not one per track."""
        if not self.restricted(who):
            return [self.track_feature(who, t) for t in tracks]
        records = [{k: v for k, v in t.items() if k != "trail"} for t in tracks]
        unit = AgencyUnit(who.agency, who.agency, who.sharing_agency, "")
        kept = self.gate.release_records(records, unit, "api", kind="track")
        features = []
        for record, props in zip(records, kept, strict=True):
            props["simulated"] = bool(record.get("simulated", False))  # always marked
            features.append({"type": "Feature", "geometry": released_point(props),
                             "properties": props})
        return features

    def incident_feature(self, who: Principal, incident: dict[str, Any]) -> dict[str, Any]:
        owner = self.owns_incident(who, incident)
        props = self.released(who, incident, kind="incident", owner=owner)
        feature: dict[str, Any] = {"type": "Feature", "geometry": released_point(props),
                                   "properties": props}
        if owner:
            feature["id"] = incident["incident_id"]
        return feature

    def alert(self, who: Principal, state: dict[str, Any]) -> dict[str, Any] | None:
        """An alert record as ``who`` sees it; None when it is not theirs to see. Outside
        the deployment's agency a key sees only its own agency's alerts, whose payload is
        what was sent to that unit (limited by the gate when it was raised, if it was a
        partner's); the deployment's agency sees every alert."""
        unit = state["unit"]
        if self.restricted(who):
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
        """A ``tracks`` event as the deployment's agency sees it. Its tracks are features
        whose properties are TRACK_FIELDS, which hold no personal field
        (live.track_features, checked by a test): the features as they are. Any other
        agency's view goes through the sharing gate instead."""
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
        restricted = self.restricted(who)
        if kind == "tracks":
            if not restricted:
                return self.shared_tracks(event)
            return {
                "type": "tracks",
                "features": self.track_features(who, [f["properties"] for f in event["tracks"]]),
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
        if kind == "responder":
            # A unit's position is its agency's: another agency sees only its own units.
            unit = event["responder"]
            return event if not restricted or unit["agency"] == who.sharing_agency else None
        if kind == "interception":
            # The deployment's own operations centre; a partner learns of a return through
            # the handoff notice the sharing policy releases (docs/officers.md).
            return None if restricted else event
        if kind == "case":
            # Not even a case's existence leaves the deployment's agency (api._read_case).
            return scrub(event) if who.may(Action.READ_CASE) and not restricted else None
        return scrub(event)  # type: ignore[no-any-return]


def released_point(properties: dict[str, Any]) -> dict[str, Any] | None:
    """A feature's geometry made from its *released* properties: a Point when both ``lat``
    and ``lon`` were released, else null (RFC 7946 section 3.2 allows an unlocated
    feature), so a position withheld from the properties is not sent as geometry.

    >>> released_point({"lat": 49.0, "lon": -111.9})
    {'type': 'Point', 'coordinates': [-111.9, 49.0]}
    >>> released_point({"lat": 49.0}) is None
    True
    """
    lat, lon = properties.get("lat"), properties.get("lon")
    if isinstance(lat, int | float) and isinstance(lon, int | float):
        return {"type": "Point", "coordinates": [lon, lat]}
    return None


_EPOCH = parse_time("1970-01-01T00:00:00Z")
def collection(features: list[dict[str, Any]], *, simulated: bool) -> dict[str, Any]:
    """A FeatureCollection; ``simulated`` is a foreign member (RFC 7946 section 6.1)."""
    return {"type": "FeatureCollection", "features": features, "simulated": simulated}
