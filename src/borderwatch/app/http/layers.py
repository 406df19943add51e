"""Reference layers of the map (boundary, ports), sensors with their coverage, and the
monthly statistics, as the API returns them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from pyproj import Geod

from borderwatch.app.http.views import Filters
from borderwatch.app.runtime.picture import SensorSeen
from borderwatch.cases.base import CaseStore
from borderwatch.domain.access import Principal, Role
from borderwatch.geo import Boundary, Places
from borderwatch.stats import CaseStoreEncounters
from borderwatch.stats.periods import month_label
from borderwatch.stats.publication import published

_GEOD = Geod(ellps="WGS84")


def map_layers(boundary: Boundary, places: Places) -> dict[str, Any]:
    """Boundary segments as LineStrings ([lon, lat]) and ports of entry as Points."""
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "id": seg.segment_id,
            "geometry": {
                "type": "LineString",
                "coordinates": [[lon, lat] for lat, lon in seg.coords],
            },
            "properties": {
                "layer": "boundary",
                "segment": seg.segment_id,
                "label": seg.name,
                "left": seg.left,
                "right": seg.right,
            },
        }
        for seg in boundary.segments
    ]
    features += [
        {
            "type": "Feature",
            "id": port.port_id,
            "geometry": {"type": "Point", "coordinates": [port.lon, port.lat]},
            "properties": {"layer": "port", "label": port.name, "segment": port.segment},
        }
        for port in places.ports
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "simulated": False,
        "source": boundary.source,
        "accuracy": boundary.accuracy,
    }


def coverage_ring(sensor: SensorSeen) -> list[list[float]] | None:
    """A camera's view cone (or a drone's footprint circle) as a closed [lon, lat] ring."""
    info = sensor.info
    range_m = info.get("range_m")
    if not isinstance(range_m, int | float) or range_m <= 0:
        return None
    fov = float(info.get("fov_deg", 360.0))
    azimuth = float(info.get("azimuth_deg", 0.0))
    steps = 24
    start = azimuth - fov / 2
    ring = [] if fov >= 360 else [[sensor.lon, sensor.lat]]
    for i in range(steps + 1):
        # Bearings are degrees clockwise from true north, on the WGS 84 ellipsoid.
        lon, lat, _ = _GEOD.fwd(sensor.lon, sensor.lat, start + fov * i / steps, range_m)
        ring.append([round(lon, 6), round(lat, 6)])
    ring.append(ring[0])
    return ring


def sensor_features(
    sensors: list[SensorSeen], where: Filters, who: Principal, *, owner: bool
) -> list[dict[str, Any]]:
    """Sensors as Points, with their coverage as a Polygon beside the point (a
    GeometryCollection), for a key of the deployment's agency (``owner``,
    views.Viewer.restricted). Nobody else is told where its sensors are: the sharing
    policy releases no sensor to any agency."""
    if not owner or who.role is Role.PARTNER:
        return []
    out = []
    for s in sensors:
        if not where.keep(s.lat, s.lon, s.last_seen or None):
            continue
        point = {"type": "Point", "coordinates": [s.lon, s.lat]}
        ring = coverage_ring(s)
        geometry: dict[str, Any] = (
            point
            if ring is None
            else {
                "type": "GeometryCollection",
                "geometries": [point, {"type": "Polygon", "coordinates": [ring]}],
            }
        )
        out.append(
            {
                "type": "Feature",
                "id": s.sensor_id,
                "geometry": geometry,
                "properties": {
                    "sensor_id": s.sensor_id,
                    "last_seen": s.last_seen or None,
                    "detections": s.detections,
                    "simulated": s.simulated,
                    **s.info,
                },
            }
        )
    return out


def monthly_stats(
    cases: CaseStore,
    *,
    publishable: bool,
    entered: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """People intercepted per local month (the month of the interception's local date)."""
    rows = CaseStoreEncounters(cases, entered=entered).encounters().rows()
    per_month = Counter(row.month for row in rows)
    months = [
        {"month": month_label(m), "count": (published(n) if publishable else n)}
        for m, n in sorted(per_month.items())
    ]
    return {
        "months": months,
        "publishable": publishable,
        "simulated": any(row.simulated for row in rows),
        "total": None if publishable else sum(per_month.values()),
    }
