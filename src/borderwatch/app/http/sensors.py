"""The HTTP side of declared sensors: ingest's refusal of a sensor the registry does not
admit for the caller's key (sources/registry.py), and ``/v1/sensors`` one page at a time
(a service with 100,000 sensors once answered 133 MB to one request)."""

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
