"""``POST /v1/detections``: a batch in the detection wire format (docs/references.md).

Each item is validated on its own: a bad item is reported (index, field, reason) and the
valid ones are kept. Accepted items are committed to SQLite before the answer (a 2xx means
stored); an ``id`` already stored is reported as a duplicate and ignored. When the live
pipeline is too far behind, the whole batch is refused with 429 and ``Retry-After``
before anything is stored, so the client can simply send the same batch again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

from borderwatch.adapters.sources.detection_wire import parse_detection
from borderwatch.app.http.sensors import refuse_undeclared
from borderwatch.app.runtime.service import IntakeUnavailable
from borderwatch.domain import Detection, InputError
from borderwatch.domain.access import Principal

if TYPE_CHECKING:
    from borderwatch.app.runtime.service import Service

RETRY_AFTER_S = 1
WIRE_FIELDS = ("time", "sensor_id", "lat", "lon", "sigma_m", "kind", "count", "confidence",
               "id", "children", "simulated")
"""The fields of the detection wire format; anything else in an item is not stored."""
_WIRE_SET = frozenset(WIRE_FIELDS)


def ingest_batch(service: Service, body: bytes, who: Principal | None = None
                 ) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Status code, JSON answer and headers for one ingest request by ``who`` (None: a
    producer inside the service, not held to the sensor registry)."""
    try:
        items = orjson.loads(body)
    except orjson.JSONDecodeError as err:
        return 400, {"detail": f"the body is not JSON: {err}"}, {}
    if isinstance(items, dict) and isinstance(items.get("detections"), list):
        items = items["detections"]
    if not isinstance(items, list):
        return 422, {"detail": "the body must be a JSON array of detections"}, {}
    limit = service.config.max_batch
    if len(items) > limit:
        return 413, {"detail": f"at most {limit} detections per request, got {len(items)}"}, {}
    live = service.live
    counters = live.counters
    errors: list[dict[str, Any]] = []
    valid: list[tuple[int, Detection]] = []
    stored: list[tuple[str | None, bytes]] = []
    dumps = orjson.dumps
    for index, item in enumerate(items):
        try:
            det = parse_detection(item)
        except InputError as err:
            errors.append({"index": index, "field": err.field, "reason": err.reason})
            continue
        valid.append((index, det))
        # Stored as sent (its wire fields only): it parses again to the same detection
        # after a restart, and re-formatting every item cost as much as validating it.
        if item.keys() <= _WIRE_SET:
            stored.append((det.id, dumps(item)))
        else:
            stored.append((det.id, dumps({k: item[k] for k in WIRE_FIELDS if k in item})))
    if valid:
        valid, stored = _placeable(service, valid, stored, errors)
    if valid:  # declared sensors only, and within the key's limit (sensors.py)
        valid, stored = refuse_undeclared(service, who, valid, stored, errors)
    if live.stopped is not None:
        counters.throttled += 1
        return (503, {"detail": f"nothing from this request was stored: {live.stopped}"},
                {"Retry-After": str(RETRY_AFTER_S)})
    if not live.has_room(len(valid)):
        counters.throttled += 1
        return (
            429,
            {"detail": "the service is catching up; nothing from this request was stored. "
                       f"Send it again after {RETRY_AFTER_S} s.", "pending": live.pending},
            {"Retry-After": str(RETRY_AFTER_S)},
        )
    # A tracker that stops between the check and the hand-over is restarted from the
    # log, which then holds this batch (worker.ProcessTracker.submit).
    try:
        fresh = service.accept(stored, [det for _, det in valid])
    except IntakeUnavailable as err:
        counters.throttled += 1
        return (503, {"detail": "the bus did not acknowledge this request; send it again "
                                f"(repeated ids are stored once): {err}"},
                {"Retry-After": str(RETRY_AFTER_S)})
    accepted = [det for (_, det), new in zip(valid, fresh, strict=True) if new]
    duplicates = [index for (index, _), new in zip(valid, fresh, strict=True) if not new]
    counters.accepted += len(accepted)
    counters.rejected += len(errors)
    counters.duplicates += len(duplicates)
    return (
        200,
        {
            "accepted": len(accepted),
            "duplicates": duplicates,
            "errors": errors,
            "simulated": any(det.simulated for det in accepted),
        },
        {},
    )


def _placeable(
    service: Service,
    valid: list[tuple[int, Detection]],
    stored: list[tuple[str | None, bytes]],
    errors: list[dict[str, Any]],
) -> tuple[list[tuple[int, Detection]], list[tuple[str | None, bytes]]]:
    """Refuse, with a per-item error, what the deployment's map frame cannot place: its
    Lambert conic sends the far pole to infinity (found by the API fuzzer; the tracker
    would drop it unseen). One projection call for the batch."""
    east, north = service.boundary.frame.to_local(
        np.fromiter((d.lat for _, d in valid), float, len(valid)),
        np.fromiter((d.lon for _, d in valid), float, len(valid)),
    )
    placed = np.isfinite(east) & np.isfinite(north)
    if placed.all():
        return valid, stored
    for n in np.flatnonzero(~placed).tolist():
        errors.append({"index": valid[n][0], "field": "lat",
                       "reason": "cannot be placed on this deployment's map frame"})
    errors.sort(key=lambda e: e["index"])
    keep = np.flatnonzero(placed).tolist()
    return [valid[n] for n in keep], [stored[n] for n in keep]
