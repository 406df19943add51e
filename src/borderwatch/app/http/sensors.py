"""The HTTP side of declared sensors: ingest's refusal of a sensor the registry does not
admit for the caller's key (sources/registry.py), ``/v1/sensors`` one page at a time
(a service with 100,000 sensors once answered 133 MB to one request), and
``/v1/sensors/health``, the health panel's rows (runtime/sensor_meter.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from borderwatch.app.http.layers import sensor_features
from borderwatch.app.http.views import Filters
from borderwatch.domain import Detection
from borderwatch.domain.access import Principal
from borderwatch.sources.registry import page_after

if TYPE_CHECKING:
    from borderwatch.app.runtime.service import Service

PAGE_MAX = 1_000
"""Most sensors in one answer of /v1/sensors (about 0.4 MB)."""


def refuse_undeclared(
    service: Service,
    who: Principal | None,
    valid: list[tuple[int, Detection]],
    stored: list[tuple[str | None, bytes]],
    errors: list[dict[str, Any]],
) -> tuple[list[tuple[int, Detection]], list[tuple[str | None, bytes]]]:
    """Keep the items whose sensor ``who`` may report for; each other gets a per-item
    error naming ``sensor_id`` and why (not declared, another agency's, over the key's
    limit). ``who`` None: a producer inside the service, held to nothing."""
    if who is None:
        return valid, stored
    keep: list[int] = []
    refused = False
    decided: dict[str, str | None] = {}
    for n, (index, det) in enumerate(valid):
        sensor_id = det.sensor_id
        if sensor_id not in decided:
            decided[sensor_id] = service.admit_sensor(sensor_id, who)
        reason = decided[sensor_id]
        if reason is None:
            keep.append(n)
        else:
            refused = True
            errors.append({"index": index, "field": "sensor_id", "reason": reason})
    if not refused:
        return valid, stored
    errors.sort(key=lambda e: e["index"])
    return [valid[n] for n in keep], [stored[n] for n in keep]


def sensor_page(service: Service, who: Principal, where: Filters, limit: int,
                cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Up to ``limit`` (at most :data:`PAGE_MAX`) sensors kept by ``where``, by id, after
    ``cursor`` (the last id of the page before), as GeoJSON features; and the cursor of
    the next page (None: no more)."""
    if service.viewer.restricted(who):  # no sensor is shared: not even how many pages
        return [], None
    limit = max(1, min(limit, PAGE_MAX))
    sensors = {s.sensor_id: s for s in service.live.snapshot_sensors()
               if where.keep(s.lat, s.lon, s.last_seen or None)}
    ids, after = page_after(sensors, cursor, limit)
    return sensor_features([sensors[i] for i in ids], Filters(), who, owner=True), after


def sensor_health_page(service: Service, who: Principal, limit: int,
                       cursor: str | None) -> tuple[dict[str, Any], str | None]:
    """One page of the sensor health panel: per sensor (declared, seen on the map, or
    named by a refused report), its last report's data time and how long ago it reached
    the service, reports taken per minute and refused over the recent window, refused in
    all, its expected interval and whether it is silent past it. Nobody outside the
    deployment's agency is told anything of its sensors (as ``sensor_page``)."""
    if service.viewer.restricted(who):
        return {"window_s": service.meter.window_s, "sensors": [], "simulated": False}, None
    limit = max(1, min(limit, PAGE_MAX))
    with service.health_lock:
        now = service.monotonic()
        activity = service.meter.activity(now)
        unmetered = service.meter.unmetered
    window = service.meter.window_s
    declared = service.config.sensors.sensors
    expected = service.config.sensors.expected_intervals()
    seen = {s.sensor_id: s for s in service.live.snapshot_sensors()}
    ids, after = page_after({*declared, *seen, *activity}, cursor, limit)
    rows = []
    for sensor_id in ids:
        met, on_map = activity.get(sensor_id), seen.get(sensor_id)
        ago = None if met is None else met.last_report_s_ago
        interval = expected.get(sensor_id)
        rows.append({
            "sensor_id": sensor_id,
            "declared": sensor_id in declared,
            "last_report": (on_map.last_seen or None) if on_map else None,
            "last_report_s_ago": ago,
            "detections": on_map.detections if on_map else 0,
            "per_minute": 0.0 if met is None else met.per_minute(window),
            "refused": 0 if met is None else met.refused,
            "refused_total": 0 if met is None else met.refused_total,
            "expected_interval_s": interval,
            "silent": interval is not None and (ago is None or ago > interval),
            "simulated": bool(on_map and on_map.simulated),
        })
    body = {"window_s": window, "sensors": rows, "unmetered": unmetered,
            "simulated": any(r["simulated"] for r in rows)}
    return body, after
